/**
 * pgoutput runs: before anything is read, the slot's publication must cover every selected
 * LOG_BASED table (src/replication/publication.ts). A table it lacks is added when its stream loads
 * from scratch in this run; the position the loads start from (end_lsn) is then read again, after
 * the addition and after every transaction that may have written the table unpublished: a load
 * bookmarked before the addition would miss the changes made in between.
 */
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import { withClient } from '../pg/connect.js'
import {
  addToPublication,
  type PublicationFacts,
  type PublishedStream,
  tablesToAdd,
} from '../replication/publication.js'
import type { LogBasedTableFacts } from '../replication/replica-identity.js'
import { getBookmark, type SingerState } from '../singer/state.js'
import type { PlannedStream } from './plan.js'
import { currentWalLsn } from './wal-lsn.js'

/**
 * Decides on the facts the run's main connection read (no connection when the publication already
 * covers every stream, the usual case), adds what is missing on one more short connection, and
 * returns the end_lsn the run goes on with (`endLsn`, or a newer one when tables were added).
 * Throws a PublicationError naming what an administrator runs.
 */
export async function coverPublication(
  config: TapConfig,
  logger: Logger,
  found: PublicationFacts,
  streams: readonly PlannedStream[],
  state: SingerState,
  facts: readonly LogBasedTableFacts[],
  endLsn: bigint,
  signal?: AbortSignal,
): Promise<bigint> {
  const published: PublishedStream[] = streams.map((s) => ({
    tapStreamId: s.tapStreamId,
    schemaName: s.schemaName,
    tableName: s.tableName,
    columns: s.columns.map((c) => c.name),
    loadsFromScratch: getBookmark(state, s.tapStreamId).lsn === undefined,
  }))
  const add = tablesToAdd(found, published, facts)
  if (add.length === 0) return endLsn
  return withClient(config, { target: 'primary' }, async (client) => {
    await addToPublication(client, found.name, add, { onWait: (m) => logger.warn(m), signal })
    logger.info(
      `Added ${add.map((t) => `${t.schemaName}.${t.tableName}`).join(', ')} to publication ${found.name}`,
    )
    return currentWalLsn(client)
  })
}
