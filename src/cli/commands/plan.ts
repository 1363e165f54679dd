import { Flags } from '@oclif/core'
import { BaseCommand } from '../base-command.js'
import { catalogFlags, configFlag, globalFlags } from '../flags.js'
import { InputError } from '../../errors.js'
import { runPlan } from '../../shard/run-plan.js'

export default class Plan extends BaseCommand {
  static override summary =
    'Split the selected streams of a catalog into N shard catalogs balanced by estimated size, for N tap processes side by side.'
  static override description =
    "Writes DIR/shard-1.catalog.json ... DIR/shard-N.catalog.json (every selected stream in exactly one; streams not selected are left out) and prints the plan: each shard's streams with estimated rows and bytes, the connection budget of the whole fleet (N × (max_workers + 2)) against the server's free connections, and the replication slot each LOG_BASED shard needs. Refuses N the server cannot carry, or N above the number of selected streams. Each shard then runs as its own process with its own STATE."
  static override examples = [
    '<%= config.bin %> plan --config config.json --catalog catalog.json --shards 3 --out shards/',
  ]
  static override flags = {
    ...globalFlags,
    ...configFlag,
    ...catalogFlags,
    shards: Flags.integer({ description: 'Number of shards (tap processes).', required: true, min: 1 }),
    out: Flags.string({
      description: 'Directory for the shard catalogs (created if missing).',
      required: true,
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Plan)
    const config = this.loadTapConfig(flags.config, flags)
    const catalogPath = flags.catalog ?? flags.properties
    if (catalogPath === undefined)
      throw new InputError(
        'CATALOG_INVALID',
        'missing --catalog: plan needs a catalog file (from --discover, with streams selected)',
      )
    const lines = await runPlan({ config, catalogPath, shards: flags.shards, outDir: flags.out })
    process.stdout.write(this.logger.redact(lines.join('\n')) + '\n')
  }
}
