import { TapError } from '../errors.js'
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import type { SingerOutput } from '../singer/output.js'

export async function runDiscover(_config: TapConfig, _logger: Logger, _output: SingerOutput): Promise<void> {
  throw new TapError('INTERNAL', 'discover is not implemented yet', { exitCode: 2 })
}
