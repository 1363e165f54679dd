// Long (~410 lines): the top of a sync, read top to bottom in the order the run does things; each step it calls lives in its own module.
/**
 * A sync run (docs/behaviour.md, STATE to Connections): inputs → plan → one short-lived main connection (live columns, end_lsn;
 * with use_secondary one to each server in turn, then one to the replica for the replay position of
 * LOG_BASED loads read there: replica-catchup.ts) → FULL_TABLE / INCREMENTAL streams and LOG_BASED
 * initial loads on the pool → LOG_BASED streaming (log-based-seam.ts) → final STATE. Connections
 * at any moment: the main one alone, then the pool's (≤ max_workers, plus the exported snapshot's
 * as the main one while chunks start), then the replication run's; never two phases at once.
 */
import { type PublicationFacts, readPublicationFacts } from '../replication/publication.js'
import { publicationNameOf } from '../replication/slot-name.js'
import type pg from 'pg'
import { isColumnDeselected, isStreamSelected } from '../catalog/metadata.js'
import type { TapConfig } from '../config/tap-config.js'
import { TapError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { SyncMetrics } from '../log/metrics.js'
import { withClient } from '../pg/connect.js'
import {
  decideReplicaIdentity,
  readLogBasedTables,
  type LogBasedTableFacts,
  type StreamTableFacts,
} from '../replication/replica-identity.js'
import { findSlot, type SlotInfo } from '../replication/slot.js'
import type { SingerOutput } from '../singer/output.js'
import { readCatalog, readState } from '../singer/read-inputs.js'
import { getBookmark, type SingerState } from '../singer/state.js'
import { settleBehindSlot } from './behind-slot.js'
import { OutputEmitter } from './emitter.js'
import { readLiveTables } from '../catalog/live-tables.js'
import type { LogBasedStream } from './log-based-seam.js'
import { runLogBased } from './run-log-based.js'
import {
  needsInitialLoad,
  planStreams,
  reconcileState,
  restartLoadsWithoutLsn,
  selectStreams,
  type PlannedStream,
  type SelectedStream,
} from './plan.js'
import { checkRowFilters } from './check-row-filters.js'
import { attachRowFilters } from './row-filters.js'
import { TablePool } from './pool.js'
import { NO_PROGRESS, type ProgressSink, type RunEnd } from './progress.js'
import { progressOpener } from './progress-opener.js'
import { replicaLoadLsn } from './replica-catchup.js'
import { readChunkFacts, type ChunkFacts } from './chunk-facts.js'
import { ChunkedStreamRun, chunkedStarts } from './chunked-stream.js'
import { runJobs, streamJob, streamOrder, type Job } from './scheduler.js'
import { SnapshotExporter } from './snapshot.js'
import { coverPublication } from './cover-publication.js'
import { currentWalLsn } from './wal-lsn.js'
import { StreamRun, type StreamRunContext } from './stream-runner.js'
import { StopSignals } from './signals.js'

export interface SyncArgs {
  config: TapConfig
  catalogPath: string
  statePath: string | undefined
  logger: Logger
  output: SingerOutput
  /** The live progress view on stderr (a terminal; the command decides: src/log/view-mode.ts). */
  progressView?: boolean
}

/** Batches a worker may send ahead of what stdout has taken: bounds memory at ~credits × 1 MB per worker. */
const MAX_IN_FLIGHT = 3

/** Returns the process exit code. */
export async function runSync(args: SyncArgs): Promise<number> {
  const { config, logger, output } = args
  // Bad input fails here, before any connection or output.
  // Only the selected entries are kept: a catalog of thousands of tables is not held whole.
  const catalog = readCatalog(args.catalogPath, { keep: isStreamSelected })
  const inputState = readState(args.statePath)
  const filters = attachRowFilters(
    catalog.allStreamIds,
    selectStreams(catalog, config),
    config.stream_options,
  )
  for (const w of filters.warnings) logger.warn(w)
  const selected = filters.streams
  for (const s of selected)
    if (s.rowFilter !== undefined)
      logger.info(
        `stream ${s.tapStreamId}: reading only rows where custom_where_clauses ${JSON.stringify(s.rowFilter)} hold`,
      )
  if (selected.length === 0) logger.warn('no stream is selected in the catalog: nothing to sync')

  const signals = new StopSignals(logger)
  const openProgress = progressOpener(args.progressView === true)
  let progress: ProgressSink = NO_PROGRESS
  let end: RunEnd = 'failed'
  const ended = (code: number): number => {
    end = code === 0 ? 'finished' : 'stopped'
    return code
  }
  try {
    const { live, slot, chunkFacts, logBasedTables, publication, ...facts } = await readServerFacts(
      config,
      selected,
    )
    let endLsn = facts.endLsn
    const plan = planStreams(selected, live)
    for (const w of plan.warnings) logger.warn(w)
    const logStreams = plan.streams.filter((s) => s.method === 'LOG_BASED')
    // A LOG_BASED stream that would lose its UPDATEs and DELETEs is refused here, before any output.
    const identity = decideReplicaIdentity(logStreams, logBasedTables ?? [], config.log_based_inserts_only)
    for (const w of identity.warnings) logger.warn(w)
    const start = restartLoadsWithoutLsn(reconcileState(inputState, plan.streams), plan.streams)
    for (const w of start.warnings) logger.warn(w)
    // A bookmark behind the slot is refused (or reloaded) here, before any output (behind-slot.ts).
    const behind = settleBehindSlot(
      config.state_behind_slot,
      slot,
      logStreams.map((s) => s.tapStreamId),
      start.state,
    )
    for (const w of behind.warnings) logger.warn(w)
    // pgoutput: the publication covers every LOG_BASED table before any load takes its position.
    if (publication !== undefined && endLsn !== undefined && logStreams.length > 0)
      endLsn = await coverPublication(
        config,
        logger,
        publication,
        logStreams,
        behind.state,
        logBasedTables ?? [],
        endLsn,
        signals.signal,
      )
    const emitter = new OutputEmitter(output, behind.state, {
      stateIntervalMs: config.state_interval_seconds * 1000,
    })
    if (signals.stopped) return ended(await finish(emitter, signals, logger))
    // LOG_BASED loads that read a replica are bookmarked at its replay position; streaming still ends at the primary's end_lsn.
    const replicaLsn =
      slot === undefined
        ? undefined
        : await replicaLoadLsn({
            config,
            logger,
            streams: plan.streams,
            state: emitter.state,
            inputState,
            slot,
            endLsn,
            signal: signals.signal,
          })
    if (signals.stopped) return ended(await finish(emitter, signals, logger))
    progress = await openProgress()
    progress.planned(plan.streams)

    const poolStreams = plan.streams.filter(
      (s) => s.method !== 'LOG_BASED' || needsInitialLoad(getBookmark(emitter.state, s.tapStreamId)),
    )
    const loaded = new Set<string>()
    if (poolStreams.length > 0) {
      const outcome = await runPool(
        config,
        logger,
        emitter,
        poolStreams,
        signals,
        replicaLsn ?? endLsn,
        chunkFacts,
        progress,
      )
      for (const id of outcome.completed) loaded.add(id)
      if (outcome.outputClosed) return ended(quietOutputClosed(logger))
      if (outcome.failure !== undefined) {
        await emitter.writeFinalState().catch(() => undefined)
        throw outcome.failure
      }
    }

    if (logStreams.length > 0 && !signals.stopped && endLsn !== undefined) {
      await runLogBasedStreams(
        config,
        logger,
        emitter,
        logStreams,
        loaded,
        inputState,
        endLsn,
        signals.signal,
        identity.streams,
        progress,
      )
    }
    return ended(await finish(emitter, signals, logger))
  } catch (e) {
    if (e instanceof TapError && e.code === 'OUTPUT_CLOSED') return ended(quietOutputClosed(logger))
    throw e
  } finally {
    progress.close(end)
    signals.dispose()
  }
}

interface ServerFacts {
  live: Awaited<ReturnType<typeof readLiveTables>>
  endLsn?: bigint
  /** The slot LOG_BASED streams from, as it was before the run. */
  slot?: SlotInfo
  /** Sizes of the tables that may load in chunks (none when chunk_rows is 0). */
  chunkFacts?: ChunkFacts
  /** Replica identity and partitions of the selected LOG_BASED tables. */
  logBasedTables?: LogBasedTableFacts[]
  /** A pgoutput slot's publication, as it covers the selected LOG_BASED tables. */
  publication?: PublicationFacts
}

/** The main connection: live columns of the selected tables in one query, row filters parsed, and end_lsn for LOG_BASED. */
async function readServerFacts(config: TapConfig, selected: readonly SelectedStream[]): Promise<ServerFacts> {
  if (selected.length === 0) return { live: [] }
  const wantsLsn = selected.some((s) => s.method === 'LOG_BASED')
  // end_lsn comes from the primary; when reads go to a replica that is a second (sequential) connection.
  const lsnOnReadConnection = wantsLsn && !config.use_secondary
  const facts = await withClient(config, { target: 'read' }, async (client): Promise<ServerFacts> => {
    const lsn = lsnOnReadConnection ? await slotAndWalLsn(client, config) : undefined
    const chunkFacts = await chunkFactsFor(client, config, selected)
    const logBasedTables = wantsLsn
      ? await readLogBasedTables(
          client,
          selected.filter((s) => s.method === 'LOG_BASED'),
        )
      : undefined
    const live = await readLiveTables(client, selected)
    await checkRowFilters(client, selected, live)
    const publication =
      lsn === undefined ? undefined : await publicationFacts(client, config, lsn.slot, logBasedTables)
    return { live, endLsn: lsn?.endLsn, slot: lsn?.slot, chunkFacts, logBasedTables, publication }
  })
  if (wantsLsn && !lsnOnReadConnection)
    Object.assign(
      facts,
      await withClient(config, { target: 'primary' }, async (client) => {
        const lsn = await slotAndWalLsn(client, config)
        return { ...lsn, publication: await publicationFacts(client, config, lsn.slot, facts.logBasedTables) }
      }),
    )
  return facts
}

/** pgoutput: what the slot's publication covers of the LOG_BASED tables (on the primary). */
async function publicationFacts(
  client: pg.Client,
  config: TapConfig,
  slot: SlotInfo,
  tables: readonly LogBasedTableFacts[] | undefined,
): Promise<PublicationFacts | undefined> {
  if (slot.plugin !== 'pgoutput') return undefined
  return readPublicationFacts(client, publicationNameOf(config, slot.name), tables ?? [])
}

/** A missing or unusable slot fails the run here, before any table is read (docs/behaviour.md#bad-input). */
async function slotAndWalLsn(
  client: pg.Client,
  config: TapConfig,
): Promise<{ slot: SlotInfo; endLsn: bigint }> {
  const slot = await findSlot(client, config)
  return { slot, endLsn: await currentWalLsn(client) }
}

interface PoolOutcome {
  /** Streams whose read completed. */
  completed: string[]
  failure?: TapError
  outputClosed: boolean
}

async function chunkFactsFor(
  client: pg.Client,
  config: TapConfig,
  selected: readonly SelectedStream[],
): Promise<ChunkFacts | undefined> {
  const candidates = selected.filter((s) => s.method === 'FULL_TABLE' || s.method === 'LOG_BASED')
  if (config.chunk_rows === 0 || candidates.length === 0) return undefined
  return readChunkFacts(client, candidates)
}

/**
 * The pool phase: whole streams and the chunks of chunked loads as jobs on one pool of
 * min(max_workers, jobs) threads. When some load is chunked, the exported snapshot's connection is
 * the phase's main connection (snapshot.ts), released once every chunk has imported it.
 */
async function runPool(
  config: TapConfig,
  logger: Logger,
  emitter: OutputEmitter,
  streams: readonly PlannedStream[],
  signals: StopSignals,
  endLsn: bigint | undefined,
  chunkFacts: ChunkFacts | undefined,
  progress: ProgressSink,
): Promise<PoolOutcome> {
  const starts = chunkedStarts({
    streams,
    state: emitter.state,
    chunkRows: config.chunk_rows,
    facts: chunkFacts,
    logger,
  })
  const withLsn = streams.some((s) => s.method === 'LOG_BASED' && starts.get(s.tapStreamId)?.kind === 'fresh')
  const snapshot =
    starts.size > 0
      ? await SnapshotExporter.open({ config, logger, withLsn, signal: signals.signal })
      : undefined
  let pool: TablePool | undefined
  const metrics = new SyncMetrics(logger)
  try {
    // The jobs decide the pool's size, and the pool is what they run on: it is set before any job runs.
    const ctx: StreamRunContext = {
      get pool(): TablePool {
        return pool as TablePool
      },
      emitter,
      metrics,
      progress,
      logger,
      config,
      maxInFlight: MAX_IN_FLIGHT,
      endLsn,
      now: Date.now,
    }
    const jobs: Job[] = []
    for (const s of streamOrder(streams)) {
      const start = starts.get(s.tapStreamId)
      if (start !== undefined && snapshot !== undefined)
        jobs.push(...new ChunkedStreamRun(ctx, s, start, snapshot).jobs)
      else jobs.push(streamJob(new StreamRun(ctx, s)))
    }
    snapshot?.seal()
    const size = Math.max(1, Math.min(config.max_workers, jobs.length))
    pool = new TablePool({ size, config, logger })
    return await runJobs(jobs, size, logger, signals.signal)
  } finally {
    metrics.close()
    await snapshot?.close()
    await pool?.close()
  }
}

async function runLogBasedStreams(
  config: TapConfig,
  logger: Logger,
  emitter: OutputEmitter,
  planned: readonly PlannedStream[],
  loaded: ReadonlySet<string>,
  inputState: SingerState,
  endLsn: bigint,
  signal: AbortSignal,
  tables: ReadonlyMap<string, StreamTableFacts>,
  progress: ProgressSink,
): Promise<void> {
  // A stream whose initial load did not finish waits for the next run; its lsn (where the load began)
  // still holds the slot back, or that run could not replay from it.
  const unfinished = planned.filter((s) => needsInitialLoad(getBookmark(emitter.state, s.tapStreamId)))
  const streams: LogBasedStream[] = planned
    .filter((s) => !unfinished.includes(s))
    .map((s) => ({
      tapStreamId: s.tapStreamId,
      stream: s.stream,
      schemaName: s.schemaName,
      tableName: s.tableName,
      columns: s.columns,
      keyProperties: s.keyProperties,
      schemaWritten: loaded.has(s.tapStreamId),
      deselectedColumns: catalogColumns(s).filter(
        (c) => !s.columns.some((k) => k.name === c) && isColumnDeselected(s.entry, c),
      ),
      partitions: tables.get(s.tapStreamId)?.partitions,
      insertsOnly: tables.get(s.tapStreamId)?.insertsOnly ?? false,
    }))
  if (streams.length === 0) return
  await runLogBased({
    config,
    logger,
    streams,
    held: unfinished.map((s) => s.tapStreamId),
    inputState,
    emitter,
    endLsn,
    signal,
    progress,
  })
}

/** The columns the catalog entry has metadata for. */
function catalogColumns(s: PlannedStream): string[] {
  return s.entry.metadata.flatMap((m) =>
    m.breadcrumb[0] === 'properties' && typeof m.breadcrumb[1] === 'string' ? [m.breadcrumb[1]] : [],
  )
}

/** The last STATE, the last line of stdout; exit 0, or 130/143 after a signal (its STATE is safe to resume from). */
async function finish(emitter: OutputEmitter, signals: StopSignals, logger: Logger): Promise<number> {
  if (!signals.stopped) emitter.setCurrentlySyncing(null)
  await emitter.writeFinalState()
  logger.info(`Sync ${signals.stopped ? 'stopped' : 'finished'}: ${emitter.recordsWritten} records written`)
  return signals.exitCode ?? 0
}

/** stdout closed by its reader (docs/behaviour.md#signals-and-a-closed-stdout): no error line, no trace, a non-zero exit. */
function quietOutputClosed(logger: Logger): number {
  logger.debug('stdout was closed by its reader; stopped')
  return 1
}
