import { BaseCommand } from '../base-command.js'
import { configFlag, globalFlags, stateFlag } from '../flags.js'
import { runDiscover } from '../../catalog/run-discover.js'
import { SingerOutput } from '../../singer/output.js'

export default class Discover extends BaseCommand {
  static override summary = "Write the catalog of the database's tables and views to stdout."
  static override flags = { ...globalFlags, ...configFlag, ...stateFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(Discover)
    const config = this.loadTapConfig(flags.config, flags)
    // --state is accepted with --discover and ignored (Meltano passes both).
    await runDiscover(config, this.logger, new SingerOutput())
  }
}
