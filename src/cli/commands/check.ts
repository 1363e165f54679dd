import { BaseCommand } from '../base-command.js'
import { configFlag, globalFlags } from '../flags.js'
import { runCheck } from '../../check/run-check.js'

export default class Check extends BaseCommand {
  static override summary =
    'Preflight: connection, privileges, wal_level, the output plugin (pgoutput or wal2json), slot and publication, connection budget.'
  static override flags = { ...globalFlags, ...configFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(Check)
    const config = this.loadTapConfig(flags.config, flags)
    const ok = await runCheck(config, (line) => process.stdout.write(this.logger.redact(line) + '\n'))
    process.exitCode = ok ? 0 : 1
  }
}
