import { Flags } from '@oclif/core'
import { BaseCommand } from '../../base-command.js'
import { configFlag, globalFlags } from '../../flags.js'
import { runSlotStatus } from '../../../replication/slot-cli.js'

export default class SlotStatus extends BaseCommand {
  static override summary =
    'Show the replication slot: active, confirmed_flush_lsn, restart_lsn, wal_status and the lag in bytes.'
  static override flags = {
    ...globalFlags,
    ...configFlag,
    json: Flags.boolean({ description: 'One JSON object instead of key: value lines.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(SlotStatus)
    const config = this.loadTapConfig(flags.config, flags)
    await runSlotStatus(config, this.logger, flags.json ? 'json' : 'text', (text) =>
      process.stdout.write(text),
    )
  }
}
