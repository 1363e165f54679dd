import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import type { SingerOutput } from '../singer/output.js'
import { stringifyJson } from '../singer/json.js'
import { buildCatalog, duplicateStreamIds } from './build-catalog.js'
import { discoverTables } from './discover.js'

/** `discover`: the catalog JSON on stdout (pretty, 2 spaces, bounds exact), counts and timing on stderr. */
export async function runDiscover(config: TapConfig, logger: Logger, output: SingerOutput): Promise<void> {
  const started = performance.now()
  const { database, tables, warnings } = await discoverTables(config)
  const queried = performance.now()
  for (const w of warnings) logger.warn(w)
  const catalog = buildCatalog(tables, database)
  for (const id of duplicateStreamIds(catalog)) {
    logger.warn(`several tables have the stream id ${id} (schema and table names containing '-'); selections and bookmarks apply to all of them`)
  }
  await output.write(stringifyJson(catalog, 2) + '\n')
  await output.flush()
  const seconds = (ms: number) => (ms / 1000).toFixed(3)
  logger.info(`Discovered ${catalog.streams.length} streams in ${seconds(performance.now() - started)} s ` +
    `(query ${seconds(queried - started)} s)`)
}
