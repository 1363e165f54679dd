import { TapError } from '../errors.js'
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import type { SingerOutput } from '../singer/output.js'

export interface SyncArgs {
  config: TapConfig
  catalogPath: string
  statePath: string | undefined
  logger: Logger
  output: SingerOutput
}

/** Returns the process exit code. */
export async function runSync(_args: SyncArgs): Promise<number> {
  throw new TapError('INTERNAL', 'sync is not implemented yet', { exitCode: 2 })
}
