import { Flags } from '@oclif/core'
import { BaseCommand } from '../../base-command.js'
import { configFlag, globalFlags } from '../../flags.js'
import { runSlotCreate } from '../../../replication/slot-cli.js'

export default class SlotCreate extends BaseCommand {
  static override summary =
    'Create the wal2json replication slot LOG_BASED streams read (replication_slot_name, else pipelinewise_<dbname>[_<tap_id>]).'
  static override description =
    'An existing wal2json slot of that name is kept. Needs wal_level = logical and the REPLICATION attribute.'
  static override flags = {
    ...globalFlags,
    ...configFlag,
    json: Flags.boolean({ description: 'Report the slot as one JSON object.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(SlotCreate)
    const config = this.loadTapConfig(flags.config, flags)
    await runSlotCreate(config, this.logger, flags.json ? 'json' : 'text', (text) =>
      process.stdout.write(text),
    )
  }
}
