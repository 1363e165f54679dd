import { BaseCommand } from '../../base-command.js'
import { configFlag, globalFlags } from '../../flags.js'
import { runSlotDrop } from '../../../replication/slot-cli.js'

export default class SlotDrop extends BaseCommand {
  static override summary =
    'Drop the replication slot LOG_BASED streams read; the server then frees the WAL it kept.'
  static override description =
    'Refuses while the slot is in use. The next LOG_BASED run needs a new slot and, to lose nothing, a fresh initial load of its streams.'
  static override flags = { ...globalFlags, ...configFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(SlotDrop)
    const config = this.loadTapConfig(flags.config, flags)
    await runSlotDrop(config, this.logger, (text) => process.stdout.write(text))
  }
}
