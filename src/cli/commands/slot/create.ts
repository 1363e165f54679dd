import { Flags } from '@oclif/core'
import { BaseCommand } from '../../base-command.js'
import { configFlag, globalFlags } from '../../flags.js'
import { runSlotCreate } from '../../../replication/slot-cli.js'
import { DEFAULT_SLOT_PLUGIN, SLOT_PLUGINS } from '../../../replication/slot.js'

export default class SlotCreate extends BaseCommand {
  static override summary =
    'Create the replication slot LOG_BASED streams read (replication_slot_name, else pipelinewise_<dbname>[_<tap_id>]), and for pgoutput its publication.'
  static override description =
    "pgoutput (built into PostgreSQL) by default: the publication (publication_name, else the slot's name) is created first when missing; LOG_BASED runs add the tables they stream. `--plugin wal2json` makes a slot of the wal2json extension. An existing slot of that name is kept. Needs wal_level = logical and the REPLICATION attribute (and, for a new publication, CREATE on the database)."
  static override flags = {
    ...globalFlags,
    ...configFlag,
    plugin: Flags.string({
      description: 'Output plugin of a new slot.',
      options: [...SLOT_PLUGINS],
      default: DEFAULT_SLOT_PLUGIN,
    }),
    json: Flags.boolean({ description: 'Report the slot as one JSON object.', default: false }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(SlotCreate)
    const config = this.loadTapConfig(flags.config, flags)
    const plugin = SLOT_PLUGINS.find((p) => p === flags.plugin) ?? DEFAULT_SLOT_PLUGIN
    await runSlotCreate(
      config,
      this.logger,
      flags.json ? 'json' : 'text',
      (text) => process.stdout.write(text),
      plugin,
    )
  }
}
