import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import type { SingerOutput } from '../singer/output.js'
import { catalogText, duplicateIds } from './build-catalog.js'
import { discoverTables } from './discover.js'
import { tapStreamId } from '../values/pg-type.js'

/**
 * `discover`: the catalog JSON on stdout (pretty, 2 spaces, bounds exact), counts and timing on
 * stderr. The catalog is written as it is built, a piece at a time, so its size in memory does not
 * grow with the number of tables (5,000 tables × 20 columns make a 46 MB catalog).
 */
export async function runDiscover(config: TapConfig, logger: Logger, output: SingerOutput): Promise<void> {
  const started = performance.now()
  const { database, tables, warnings } = await discoverTables(config)
  const queried = performance.now()
  for (const w of warnings) logger.warn(w)
  for (const id of duplicateIds(tables.map((t) => tapStreamId(t.schemaName, t.tableName)))) {
    logger.warn(
      `several tables have the stream id ${id} (schema and table names containing '-'); selections and bookmarks apply to all of them`,
    )
  }
  for (const piece of catalogText(tables, database)) await output.write(piece)
  await output.write('\n')
  await output.flush()
  const seconds = (ms: number) => (ms / 1000).toFixed(3)
  logger.info(
    `Discovered ${tables.length} streams in ${seconds(performance.now() - started)} s ` +
      `(query ${seconds(queried - started)} s)`,
  )
}
