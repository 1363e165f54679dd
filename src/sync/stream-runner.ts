/**
 * The main-thread side of one FULL_TABLE / INCREMENTAL stream (or a LOG_BASED initial load):
 * writes the stream's opening messages, runs its task on the pool, writes each batch the worker
 * sends, moves the bookmark only after the batch's records were written, writes STATE every
 * ~1000 rows and the closing messages (docs/behaviour.md#full_table, docs/examples/messages-full-table.jsonl).
 */
import type { TapConfig } from '../config/tap-config.js'
import { deserializeError, TapError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import type { SyncMetrics } from '../log/metrics.js'
import { BatchReceiver } from '../protocol/batch-channel.js'
import type { BatchMark, BatchMessage, SnapshotImportedMessage, TaskResult } from '../protocol/messages.js'
import { activateVersionLine } from '../singer/messages.js'
import { getBookmark, rawJson, type BookmarkPatch } from '../singer/state.js'
import type { OutputEmitter } from './emitter.js'
import { CHUNKS_KEY } from './chunk-state.js'
import { fullTableStart, incrementalStart, type PlannedStream } from './plan.js'
import type { TablePool, TaskWithoutPort } from './pool.js'
import type { ProgressSink } from './progress.js'
import { streamSchemaLine } from '../catalog/stream-schema.js'

/** STATE cadence in rows (pipelinewise's UPDATE_BOOKMARK_PERIOD, one value for every method). */
const STATE_EVERY_ROWS = 1000

export interface StreamRunContext {
  readonly pool: TablePool
  readonly emitter: OutputEmitter
  readonly metrics: SyncMetrics
  readonly progress: ProgressSink
  readonly logger: Logger
  readonly config: TapConfig
  /** Unacknowledged batches a worker may have in flight. */
  readonly maxInFlight: number
  /** pg_current_wal_lsn() at the start of the run: where a fresh LOG_BASED initial load (unchunked) starts. */
  readonly endLsn?: bigint
  readonly now: () => number
}

export type StreamStatus = 'done' | 'stopped' | 'aborted' | 'failed'

/** How a stream's end is reported (METRIC sync_duration's status, the progress view). */
export function endedStatus(status: StreamStatus): 'succeeded' | 'failed' | 'interrupted' {
  return status === 'done' ? 'succeeded' : status === 'failed' ? 'failed' : 'interrupted'
}

export interface StreamOutcome {
  readonly status: StreamStatus
  readonly rows: number
  readonly error?: TapError
}

interface Opening {
  readonly task: TaskWithoutPort
  readonly firstRunOfVersion: boolean
}

export interface StreamRunOptions {
  /** Instead of the stream's own (a chunk's names the chunk). */
  readonly logger?: Logger
  /** The task's transaction imported the exported snapshot (chunks). */
  readonly onSnapshotImported?: () => void
  /** False when the caller reports the task's end itself (a chunk's line says more). */
  readonly logEnd?: boolean
}

export class StreamRun {
  readonly stream: PlannedStream
  readonly #ctx: StreamRunContext
  readonly #logger: Logger
  readonly #onSnapshotImported: (() => void) | undefined
  readonly #logEnd: boolean
  #channel: BatchReceiver<BatchMessage, SnapshotImportedMessage> | undefined
  #stopRequested = false
  #aborted = false
  #rowsSinceState = 0
  #rows = 0
  /** A LOG_BASED initial load: where its first attempt started, the bookmark's lsn from its first xmin on. */
  #loadLsn: bigint | undefined
  #writeError: TapError | undefined

  constructor(ctx: StreamRunContext, stream: PlannedStream, options: StreamRunOptions = {}) {
    this.#ctx = ctx
    this.stream = stream
    this.#logger = options.logger ?? ctx.logger.child({ stream: stream.stream })
    this.#onSnapshotImported = options.onSnapshotImported
    this.#logEnd = options.logEnd ?? true
  }

  /** Ask the worker to stop after the rows it has read (signal, or another stream failed). */
  stop(): void {
    this.#stopRequested = true
    this.#channel?.stop()
  }

  /** Drop everything at once (stdout is gone). */
  abort(): void {
    this.#aborted = true
    this.#channel?.abort()
  }

  async run(): Promise<StreamOutcome> {
    if (this.#stopRequested || this.#aborted) return { status: 'stopped', rows: 0 }
    const { emitter, metrics, progress, config } = this.#ctx
    const s = this.stream
    const opening = this.#open()
    this.#logger.info(
      `Starting ${s.method === 'LOG_BASED' ? 'LOG_BASED initial load (full table)' : s.method} sync of ${s.schemaName}.${s.tableName}${opening.task.kind === 'fullTable' && opening.task.resumeXmin !== undefined ? ` resuming after xmin ${opening.task.resumeXmin}` : ''}`,
    )
    emitter.begin(s.tapStreamId)
    await emitter.write(streamSchemaLine(s, config.debug_lsn))
    await emitter.writeState()
    if (opening.firstRunOfVersion && opening.task.kind === 'fullTable')
      await emitter.write(activateVersionLine(s.stream, opening.task.version))
    metrics.streamStarted(s.stream)
    progress.started(s.stream, s.rowEstimate)
    const outcome = await this.runTask(opening.task)
    const status = endedStatus(outcome.status)
    progress.ended(s.stream, status)
    metrics.streamEnded(s.stream, status)
    if (outcome.status === 'done') await this.#close(opening.task)
    return outcome
  }

  /** The task, and the bookmark's version committed before anything is written. */
  #open(): Opening {
    const { emitter, config } = this.#ctx
    const s = this.stream
    const bookmark = getBookmark(emitter.state, s.tapStreamId)
    const columns = s.columns.map((c) => ({ name: c.name, type: c.type }))
    const base = {
      stream: s.stream,
      tapStreamId: s.tapStreamId,
      schemaName: s.schemaName,
      tableName: s.tableName,
      columns,
      rowEstimate: s.rowEstimate,
      maxInFlight: this.#ctx.maxInFlight,
      rowFilter: s.rowFilter,
    }
    if (s.method === 'INCREMENTAL') {
      const start = incrementalStart(bookmark, this.#ctx.now())
      emitter.commit(s.tapStreamId, { version: start.version, replication_key: s.replicationKey })
      return {
        task: {
          ...base,
          kind: 'incremental',
          version: start.version,
          replicationKey: s.replicationKey as string,
          from: start.from,
          limit: config.limit,
        },
        firstRunOfVersion: false,
      }
    }
    const start = fullTableStart(bookmark, s.isView, config.fast_sync, this.#ctx.now())
    // A fresh version starts without xmin: a stale one would make an interrupted run resume wrongly.
    // A chunk plan left by a chunked load belongs to an older version, whichever way this read starts.
    const patch: BookmarkPatch =
      start.resumeXmin === undefined
        ? { version: start.version, xmin: undefined, [CHUNKS_KEY]: undefined }
        : { version: start.version, [CHUNKS_KEY]: undefined }
    if (s.method === 'LOG_BASED') {
      // A resumed load streams from where its first attempt started, so the changes made since (deletes
      // of rows already written above all) are replayed. A fresh one starts at this run's position, and
      // its bookmark gets no lsn before its first xmin: `lsn` without `xmin` would mean the load is done.
      this.#loadLsn = start.resumeXmin === undefined ? this.#ctx.endLsn : bookmark.lsn
      if (this.#loadLsn === undefined)
        throw new TapError(
          'INTERNAL',
          `stream ${s.tapStreamId}: a LOG_BASED initial load without a WAL position to stream from`,
        )
      emitter.commit(s.tapStreamId, start.resumeXmin === undefined ? { ...patch, lsn: undefined } : patch)
    } else {
      emitter.commit(s.tapStreamId, patch)
    }
    return {
      task: {
        ...base,
        kind: 'fullTable',
        version: start.version,
        order: start.order,
        resumeXmin: start.resumeXmin,
      },
      firstRunOfVersion: start.firstRunOfVersion,
    }
  }

  /** Runs one pool task and writes its batches (a whole stream here; chunked-stream.ts runs chunks with it). */
  async runTask(task: TaskWithoutPort): Promise<StreamOutcome> {
    const running = this.#ctx.pool.run(task)
    // Batches are handled one after another, each acknowledged once written (batch-channel.ts).
    const channel = new BatchReceiver<BatchMessage, SnapshotImportedMessage>(running.port, {
      batch: (m, written) => this.#onBatch(m, written),
      other: () => this.#onSnapshotImported?.(),
    })
    this.#channel = channel
    if (this.#aborted) channel.abort()
    else if (this.#stopRequested) channel.stop()
    let result: TaskResult
    try {
      result = await running.result
    } catch (e) {
      // Piscina rejects only when the thread itself died (the task never rejects).
      result = {
        status: 'failed',
        rows: this.#rows,
        error: { code: 'SYNC_FAILED', message: `worker thread failed: ${(e as Error).message}`, exitCode: 1 },
      }
    }
    await channel.idle()
    channel.close()
    if (this.#writeError) return { status: 'failed', rows: this.#rows, error: this.#writeError }
    if (result.status === 'failed') {
      const cause = deserializeError(result.error)
      const error = new TapError(cause.code, `stream ${this.stream.tapStreamId}: ${cause.message}`, {
        hint: cause.hint,
        exitCode: cause.exitCode,
      })
      return { status: 'failed', rows: this.#rows, error }
    }
    if (result.clamped.length > 0) {
      const parts = result.clamped.map(([column, n]) => `${column}: ${n}`)
      this.#logger.warn(
        `Out-of-range date/time values clamped (infinity, BC or after 9999): ${parts.join(', ')}`,
      )
    }
    if (this.#logEnd || result.status !== 'done')
      this.#logger.info(`${result.status === 'done' ? 'Finished' : 'Stopped'} after ${this.#rows} rows`)
    return { status: result.status, rows: this.#rows }
  }

  /** `written`: stdout is done with the batch's bytes (its buffer goes back to the worker). */
  async #onBatch(m: BatchMessage, written: () => void): Promise<void> {
    if (this.#aborted || this.#writeError) return
    const { emitter, metrics, progress } = this.#ctx
    const s = this.stream
    try {
      await emitter.writeRecords(m.lines, m.rows, written)
      this.#rows += m.rows
      metrics.recordsWritten(s.stream, m.rows)
      progress.advanced(s.stream, m.rows)
      if (m.mark !== undefined)
        emitter.commit(
          s.tapStreamId,
          this.#loadLsn === undefined ? markPatch(m.mark) : { ...markPatch(m.mark), lsn: this.#loadLsn },
        )
      this.#rowsSinceState += m.rows
      if (this.#rowsSinceState >= STATE_EVERY_ROWS && m.mark !== undefined) {
        this.#rowsSinceState = 0
        await emitter.writeState()
      }
    } catch (e) {
      // stdout is gone: the worker must not wait for credits that will never come.
      this.#writeError = e instanceof TapError ? e : new TapError('OUTPUT_CLOSED', String(e))
      this.abort()
    }
  }

  /** The closing messages: `xmin: null` (and the LOG_BASED lsn), ACTIVATE_VERSION, STATE. */
  async #close(task: TaskWithoutPort): Promise<void> {
    const { emitter } = this.#ctx
    const s = this.stream
    if (task.kind === 'fullTable') {
      const patch: BookmarkPatch = s.isView ? {} : { xmin: null }
      emitter.commit(s.tapStreamId, this.#loadLsn === undefined ? patch : { ...patch, lsn: this.#loadLsn })
      await emitter.write(activateVersionLine(s.stream, task.version))
    }
    emitter.end(s.tapStreamId)
    await emitter.writeState()
  }
}

function markPatch(mark: BatchMark): BookmarkPatch {
  return 'xmin' in mark ? { xmin: mark.xmin } : { replication_key_value: rawJson(mark.keyValue) }
}
