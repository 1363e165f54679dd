import { TapError } from '../errors.js'
import type { TapConfig } from '../config/tap-config.js'

export async function runCheck(_config: TapConfig, _print: (line: string) => void): Promise<boolean> {
  throw new TapError('INTERNAL', 'check is not implemented yet', { exitCode: 2 })
}
