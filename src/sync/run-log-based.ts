/**
 * LOG_BASED streaming, main-thread side (docs/behaviour.md#steps-of-a-run), behind the sync engine's seam
 * (src/sync/log-based-seam.ts): find the slot, start the replication worker, write what it hands
 * over in order, write STATE after the records it covers, decide when to stop, log metrics.
 * The LSN rules are in docs/lsn-and-state.md.
 */
import { MessageChannel, Worker } from 'node:worker_threads'
import { transfer, wrap, type Remote } from 'comlink'
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs'
import { deserializeError, TapError, type SerializedTapError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { SyncMetrics } from '../log/metrics.js'
import { withClient } from '../pg/connect.js'
import { formatLsn, smallestLsn, type Lsn } from '../pg/lsn.js'
import { getBookmark } from '../singer/state.js'
import type { LogBasedRunArgs, LogBasedRunner, LogBasedStream } from './log-based-seam.js'
import {
  behindSlotContinueWarning,
  behindSlotError,
  positionsBehindSlot,
  streamPosition,
} from './behind-slot.js'
import { NO_PROGRESS, type ProgressSink } from './progress.js'
import { streamSchemaLine } from '../catalog/stream-schema.js'
import { bookmarkLsn, slotFloor } from '../replication/acker.js'
import type {
  ReplicatedStream,
  ReplicationBatch,
  ReplicationWorkerApi,
  ReplicationWorkerData,
  StreamReport,
  WorkerToMain,
} from '../protocol/replication-messages.js'
import { findSlot, prettyBytes } from '../replication/slot.js'
import { describeStop, stopReason, type StopReason } from '../replication/stop-rule.js'

/** dist/workers/replication.worker.js, from dist/src/sync/run-log-based.js. */
const REPLICATION_WORKER_URL = new URL('../../workers/replication.worker.js', import.meta.url)

/** Batches the worker may post before the main thread has written them (~0.5 MB of lines each). */
const MAX_IN_FLIGHT = 4
/** A STATE at the latest after this many records (pipelinewise's UPDATE_BOOKMARK_PERIOD), or after poll_interval. */
const STATE_EVERY_RECORDS = 10_000
const METRICS_INTERVAL_MS = 60_000
const STOP_CHECK_MS = 1_000
/** How often the live progress view asks the worker for the position of the server's newest keepalive. */
const WAL_END_SAMPLE_MS = 500
/** How long a stopping worker may take to hand over its last batch. */
const STOP_TIMEOUT_MS = 30_000

export const runLogBased: LogBasedRunner = async (args) => {
  const { config, emitter, streams } = args
  const logger = args.logger.child({ component: 'replication' })

  const slot = await withClient(config, { target: 'primary' }, (client) => findSlot(client, config))
  const slotConfirmed = slot.confirmedFlushLsn ?? 0n
  const bookmarks = new Map<string, Lsn | undefined>(
    streams.map((s) => [s.tapStreamId, getBookmark(emitter.state, s.tapStreamId).lsn]),
  )
  const startLsn = smallestLsn(bookmarks.values()) ?? args.endLsn
  const inputFloor = slotFloor(
    args.inputState,
    emitter.state,
    streams.map((s) => s.tapStreamId),
    args.held ?? [],
  )
  if (slot.active)
    logger.warn(
      `replication slot ${slot.name} is in use by process ${slot.activePid ?? '?'}; starting will fail while it is`,
    )
  // Settled before the pool phase (src/sync/behind-slot.ts); found here only under `continue`, or
  // when the slot moved since (another consumer): then it is too late to reload, so it is refused.
  const behind = positionsBehindSlot(
    streams.map((s) => streamPosition(s.tapStreamId, getBookmark(emitter.state, s.tapStreamId))),
    slot.confirmedFlushLsn,
  )
  if (behind.length > 0) {
    const at = { name: slot.name, confirmedFlushLsn: slotConfirmed }
    if (config.state_behind_slot !== 'continue') throw behindSlotError(at, behind)
    logger.warn(behindSlotContinueWarning(at, behind))
  }
  logger.info(
    `LOG_BASED: ${streams.length} stream${streams.length === 1 ? '' : 's'} from ${formatLsn(startLsn)} to ${formatLsn(args.endLsn)} ` +
      `(slot ${slot.name}, lag ${slot.lagBytes === null ? 'unknown' : prettyBytes(slot.lagBytes)})`,
  )

  // pipelinewise sends each LOG_BASED stream's SCHEMA before streaming; loaded streams already did.
  for (const s of streams) {
    if (!s.schemaWritten)
      await emitter.write(streamSchemaLine({ ...s, method: 'LOG_BASED' }, config.debug_lsn))
  }

  const run = new ReplicationRun(args, logger, bookmarks, startLsn > slotConfirmed ? startLsn : slotConfirmed)
  await run.execute({
    slotName: slot.name,
    startLsn,
    inputFloor,
    slotConfirmed,
    streams: streams.map((s) =>
      replicatedStream(s, bookmarks.get(s.tapStreamId), getBookmark(emitter.state, s.tapStreamId).version),
    ),
    debugLsn: config.debug_lsn,
    pollIntervalMs: Math.max(100, Math.round(config.poll_interval * 1000)),
    maxInFlight: MAX_IN_FLIGHT,
  })
}

function replicatedStream(
  s: LogBasedStream,
  bookmark: Lsn | undefined,
  version: number | undefined,
): ReplicatedStream {
  return {
    tapStreamId: s.tapStreamId,
    stream: s.stream,
    schemaName: s.schemaName,
    tableName: s.tableName,
    columns: s.columns,
    keyProperties: s.keyProperties,
    deselected: s.deselectedColumns,
    bookmark,
    version,
    partitions: s.partitions,
    insertsOnly: s.insertsOnly ?? false,
  }
}

/** Messages from the worker (and its death) in arrival order, one at a time. */
class Inbox {
  #queue: WorkerToMain[] = []
  #wake: (() => void) | undefined

  push(m: WorkerToMain): void {
    this.#queue.push(m)
    const w = this.#wake
    this.#wake = undefined
    w?.()
  }

  async next(): Promise<WorkerToMain> {
    while (this.#queue.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve))
    return this.#queue.shift() as WorkerToMain
  }
}

class ReplicationRun {
  readonly #args: LogBasedRunArgs
  readonly #logger: Logger
  readonly #bookmarks: ReadonlyMap<string, Lsn | undefined>
  readonly #metrics: SyncMetrics
  readonly #progress: ProgressSink
  /** Every change below this has been written to stdout. */
  #written: Lsn
  #stateWritten: Lsn | undefined
  #recordsSinceState = 0
  #lastStateAt = Date.now()
  readonly #startedAt = Date.now()
  #lastDataAt = Date.now()
  #stopping: StopReason | 'error' | undefined
  #stopTimeout: NodeJS.Timeout | undefined
  /** Ends the read loop when the worker does not answer a stop in time. */
  #onStopTimeout: (() => void) | undefined
  #api: Remote<ReplicationWorkerApi> | undefined
  readonly #perStream = new Map<string, number>()
  #records = 0
  #recordsAtLastMetrics = 0
  #lastMetricsAt = Date.now()

  constructor(
    args: LogBasedRunArgs,
    logger: Logger,
    bookmarks: ReadonlyMap<string, Lsn | undefined>,
    start: Lsn,
  ) {
    this.#args = args
    this.#logger = logger
    this.#bookmarks = bookmarks
    this.#written = start
    this.#metrics = new SyncMetrics(args.logger)
    for (const s of args.streams) {
      this.#perStream.set(s.stream, 0)
      this.#metrics.streamStarted(s.stream)
    }
    this.#progress = args.progress ?? NO_PROGRESS
    this.#progress.replicationStarted(args.streams.map((s) => s.stream))
    this.#progress.walPosition(start, args.endLsn)
  }

  async execute(options: Parameters<ReplicationWorkerApi['start']>[0]): Promise<void> {
    const workerData: ReplicationWorkerData = { config: this.#args.config, logger: this.#args.logger.options }
    const worker = new Worker(REPLICATION_WORKER_URL, {
      workerData,
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    })
    const inbox = new Inbox()
    let ended = false
    const died = (why: string) => {
      if (!ended)
        inbox.push({
          type: 'end',
          position: this.#written,
          reports: [],
          error: { code: 'REPLICATION_FAILED', message: `the replication worker ${why}`, exitCode: 1 },
        })
    }
    this.#onStopTimeout = () => died(`did not stop within ${STOP_TIMEOUT_MS / 1000} s`)
    worker.on('error', (e) => died(`failed: ${e.message}`))
    worker.on('exit', (code) => died(`exited (code ${code})`))
    const api = wrap<ReplicationWorkerApi>(nodeEndpoint(worker))
    this.#api = api
    const { port1, port2 } = new MessageChannel()
    port2.on('message', (m: WorkerToMain) => inbox.push(m))

    const signal = this.#args.signal
    const onAbort = () => this.#checkStop()
    signal.addEventListener('abort', onAbort)
    const stopTimer = setInterval(() => this.#checkStop(), STOP_CHECK_MS)
    const metricsTimer = setInterval(() => this.#logMetrics(), METRICS_INTERVAL_MS)
    const walEndTimer = this.#progress.live
      ? setInterval(() => this.#sampleWalEnd(), WAL_END_SAMPLE_MS)
      : undefined
    let failure: TapError | undefined
    let reports: readonly StreamReport[] = []
    // Not awaited: a worker that dies while connecting never answers the call, but its exit does
    // reach the inbox. A failed start also arrives there as the worker's `end`.
    api.start(options, transfer(port1, [port1]) as unknown as typeof port1).then(
      () => this.#checkStop(),
      (e: unknown) => {
        const err = startError(e)
        inbox.push({
          type: 'end',
          position: this.#written,
          reports: [],
          error: {
            code: err.code,
            message: err.message,
            exitCode: err.exitCode,
            ...(err.hint ? { hint: err.hint } : {}),
          },
        })
      },
    )
    try {
      for (;;) {
        const m = await inbox.next()
        if (m.type === 'end') {
          reports = m.reports
          if (m.error && failure === undefined) failure = deserializeError(m.error)
          break
        }
        if (failure === undefined) {
          try {
            await this.#onBatch(m)
          } catch (e) {
            // stdout closed, most likely: stop the worker, and keep granting credits until its end.
            failure =
              e instanceof TapError
                ? e
                : new TapError('REPLICATION_FAILED', `LOG_BASED streaming failed: ${(e as Error).message}`, {
                    cause: e,
                  })
            this.#requestStop('error')
          }
        }
        port2.postMessage({ type: 'ack' })
      }
    } finally {
      ended = true
      clearInterval(stopTimer)
      clearInterval(metricsTimer)
      clearInterval(walEndTimer)
      if (this.#stopTimeout) clearTimeout(this.#stopTimeout)
      signal.removeEventListener('abort', onAbort)
      port2.close()
      await worker.terminate().catch(() => undefined)
    }
    // The final STATE (docs/behaviour.md#steps-of-a-run, 6), also after a streaming failure: it claims only what was written.
    if (failure?.code !== 'OUTPUT_CLOSED') await this.#writeState(true)
    this.#summary(reports, failure !== undefined)
    if (failure) throw failure
  }

  async #onBatch(b: ReplicationBatch): Promise<void> {
    if (b.lines.length > 0) await this.#args.emitter.writeRecords(b.lines, b.records)
    // A TRUNCATE's new version goes into the bookmark only now that its ACTIVATE_VERSION is written.
    for (const sw of b.versions) {
      this.#args.emitter.commit(sw.tapStreamId, { version: sw.version })
      this.#logger
        .child({ stream: sw.stream })
        .warn(
          `TRUNCATE of ${sw.table}: ACTIVATE_VERSION ${sw.version} written; the stream's records go on under version ${sw.version}. ` +
            'A target that honours ACTIVATE_VERSION drops the truncated rows; a target that ignores it keeps them',
        )
    }
    if (b.messages > 0) this.#lastDataAt = Date.now()
    for (const [stream, n] of b.counts) {
      this.#perStream.set(stream, (this.#perStream.get(stream) ?? 0) + n)
      this.#metrics.recordsWritten(stream, n)
      this.#progress.replicated(stream, n)
    }
    this.#records += b.records
    this.#recordsSinceState += b.records
    if (b.position > this.#written) this.#written = b.position
    this.#progress.walPosition(this.#written)
    const due =
      this.#recordsSinceState >= STATE_EVERY_RECORDS ||
      Date.now() - this.#lastStateAt >= this.#args.config.poll_interval * 1000
    if (due) await this.#writeState(false)
    this.#checkStop()
  }

  /** Bookmarks move to the written position (idle tables too), then a STATE line. */
  async #writeState(final: boolean): Promise<void> {
    if (!final && this.#stateWritten === this.#written) return
    const { emitter } = this.#args
    for (const s of this.#args.streams)
      emitter.commit(s.tapStreamId, { lsn: bookmarkLsn(this.#bookmarks.get(s.tapStreamId), this.#written) })
    await (final ? emitter.writeFinalState() : emitter.writeState())
    this.#stateWritten = this.#written
    this.#recordsSinceState = 0
    this.#lastStateAt = Date.now()
  }

  #checkStop(): void {
    if (this.#stopping !== undefined || this.#api === undefined) return
    const { config, endLsn, signal } = this.#args
    const inputs = {
      aborted: signal.aborted,
      breakAtEndLsn: config.break_at_end_lsn,
      endLsn,
      written: this.#written,
      now: Date.now(),
      startedAt: this.#startedAt,
      lastDataAt: this.#lastDataAt,
      maxRunSeconds: config.max_run_seconds,
      idleSeconds: config.logical_poll_total_seconds,
    }
    const reason = stopReason(inputs)
    if (reason === undefined) return
    this.#logger.info(`Stopping replication: ${describeStop(reason, inputs, formatLsn(endLsn))}`)
    this.#requestStop(reason)
  }

  /** The worker answers with its last batch and `end` on the port; the loop reads until then. */
  #requestStop(reason: StopReason | 'error'): void {
    if (this.#stopping !== undefined) return
    this.#stopping = reason
    this.#api?.stop().catch(() => undefined)
    this.#stopTimeout = setTimeout(() => this.#onStopTimeout?.(), STOP_TIMEOUT_MS)
  }

  #walEndSampling = false

  /**
   * For the live view only: the position in the server's newest keepalive, without a query (the
   * replication connection takes none while streaming, and no other connection is opened for this).
   */
  #sampleWalEnd(): void {
    if (this.#api === undefined || this.#stopping !== undefined || this.#walEndSampling) return
    this.#walEndSampling = true
    Promise.resolve(this.#api.status())
      .then(
        (st) => this.#progress.walPosition(this.#written, st.keepaliveLsn),
        () => undefined,
      )
      .finally(() => {
        this.#walEndSampling = false
      })
  }

  #logMetrics(): void {
    const now = Date.now()
    const rate =
      (this.#records - this.#recordsAtLastMetrics) / Math.max(0.001, (now - this.#lastMetricsAt) / 1000)
    this.#recordsAtLastMetrics = this.#records
    this.#lastMetricsAt = now
    this.#logger.info(
      `Replication metrics: ${this.#records} messages processed (${rate.toFixed(1)} msg/sec), streams: ${JSON.stringify(Object.fromEntries(this.#perStream))}`,
    )
    if (this.#logger.isEnabled('debug') && this.#api !== undefined && this.#stopping === undefined) {
      Promise.resolve(this.#api.status()).then(
        (st) =>
          this.#logger.debug(
            `Replication status: read up to ${formatLsn(st.position)}, written up to ${formatLsn(this.#written)}, slot confirmed at ${formatLsn(st.confirm)}, ` +
              `${st.messages} WAL messages, ${st.statusUpdates} standby status updates${st.inTransaction ? ', inside a transaction' : ''}`,
          ),
        () => undefined,
      )
    }
  }

  #summary(reports: readonly StreamReport[], failed: boolean): void {
    const seconds = (Date.now() - this.#startedAt) / 1000
    this.#logger.info(
      `Replication completed: ${this.#records} messages in ${seconds.toFixed(1)} seconds (${(this.#records / Math.max(0.001, seconds)).toFixed(1)} msg/sec)`,
    )
    this.#logger.info(`Messages per stream: ${JSON.stringify(Object.fromEntries(this.#perStream))}`)
    this.#logger.info(
      `Streams written up to ${formatLsn(this.#written)} (lsn ${this.#written}); end_lsn was ${formatLsn(this.#args.endLsn)}`,
    )
    const status = failed ? 'failed' : this.#stopping === 'signal' ? 'interrupted' : 'succeeded'
    for (const s of this.#args.streams) this.#metrics.streamEnded(s.stream, status)
    this.#progress.replicationEnded(status)
    this.#metrics.close()
    for (const r of reports) {
      const log = this.#logger.child({ stream: r.stream })
      if (r.toastRecords > 0)
        log.warn(
          `${r.toastRecords} update${r.toastRecords === 1 ? '' : 's'} written without unchanged TOAST column${r.toastColumns.length === 1 ? '' : 's'} ${r.toastColumns.join(', ')} (wal2json does not send them; set REPLICA IDENTITY FULL to get them)`,
        )
      if (r.skipped > 0)
        log.info(
          `${r.skipped} change${r.skipped === 1 ? '' : 's'} skipped: already covered by the stream's bookmark`,
        )
      for (const [column, n] of r.clamped)
        log.warn(
          `${n} value${n === 1 ? '' : 's'} of column ${column} clamped to the date-time range (infinity, BC or after 9999)`,
        )
    }
  }
}

/** comlink rethrows the worker's Error with its message: our worker puts the serialized TapError there. */
function startError(e: unknown): TapError {
  const message = e instanceof Error ? e.message : String(e)
  try {
    const s = JSON.parse(message) as SerializedTapError
    if (typeof s.code === 'string' && typeof s.message === 'string') return deserializeError(s)
  } catch {
    // not ours
  }
  return new TapError('REPLICATION_FAILED', `starting the replication worker: ${message}`)
}
