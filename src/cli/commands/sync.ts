import { BaseCommand } from '../base-command.js'
import { catalogFlags, configFlag, globalFlags, stateFlag } from '../flags.js'
import { InputError } from '../../errors.js'
import { runSync } from '../../sync/run-sync.js'
import { SingerOutput } from '../../singer/output.js'

export default class Sync extends BaseCommand {
  static override summary = 'Sync the selected streams of a catalog, writing Singer messages to stdout.'
  static override flags = { ...globalFlags, ...configFlag, ...catalogFlags, ...stateFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(Sync)
    const config = this.loadTapConfig(flags.config, flags)
    const catalogPath = flags.catalog ?? flags.properties
    if (catalogPath === undefined) throw new InputError('CATALOG_INVALID', 'missing --catalog: sync needs a catalog file (from --discover, with streams selected)')
    process.exitCode = await runSync({ config, catalogPath, statePath: flags.state, logger: this.logger, output: new SingerOutput() })
  }
}
