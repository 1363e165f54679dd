import { BaseCommand } from '../base-command.js'
import { catalogFlags, configFlag, globalFlags, progressFlags, stateFlag } from '../flags.js'
import { InputError } from '../../errors.js'
import { runSync } from '../../sync/run-sync.js'
import { SingerOutput } from '../../singer/output.js'
import { envLevel, sameFile } from '../../log/logger.js'
import { viewMode } from '../../log/view-mode.js'

export default class Sync extends BaseCommand {
  static override summary = 'Sync the selected streams of a catalog, writing Singer messages to stdout.'
  static override flags = { ...globalFlags, ...configFlag, ...catalogFlags, ...stateFlag, ...progressFlags }

  async run(): Promise<void> {
    const { flags } = await this.parse(Sync)
    const config = this.loadTapConfig(flags.config, flags)
    const catalogPath = flags.catalog ?? flags.properties
    if (catalogPath === undefined)
      throw new InputError(
        'CATALOG_INVALID',
        'missing --catalog: sync needs a catalog file (from --discover, with streams selected)',
      )
    const mode = viewMode({
      stderrIsTTY: process.stderr.isTTY === true,
      stdoutIsStderr: sameFile(1, 2),
      format: this.logger.options.format,
      askedLevel: flags.debug ? 'debug' : envLevel(process.env),
      progress: flags.progress,
      verbose: flags.verbose,
    })
    if (mode.level !== undefined) this.logger = this.logger.withLevel(mode.level)
    process.exitCode = await runSync({
      config,
      catalogPath,
      statePath: flags.state,
      logger: this.logger,
      output: new SingerOutput(),
      progressView: mode.view,
    })
  }
}
