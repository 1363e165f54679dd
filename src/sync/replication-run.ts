/**
 * One LOG_BASED run of the replication worker, main-thread side: starts the worker (its control
 * plane is a comlink handle: src/protocol/control-plane.ts), writes the batches it sends on the
 * batch channel (src/protocol/batch-channel.ts) in order, moves the bookmarks and writes STATE only
 * after the records they cover were written, decides when to stop (stop-rule.ts), logs metrics.
 * Each batch is acknowledged only once written, so a slow stdout slows the worker, whose paused
 * handler pauses the replication socket: the server waits instead of our memory growing.
 */
import { MessageChannel, Worker } from 'node:worker_threads'
import type { Remote } from 'comlink'
import { deserializeError, serializeError, TapError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { SyncMetrics } from '../log/metrics.js'
import { formatLsn, type Lsn } from '../pg/lsn.js'
import { BatchReceiver } from '../protocol/batch-channel.js'
import { movePort, workerHandle } from '../protocol/control-plane.js'
import type {
  ReplicationBatch,
  ReplicationEnd,
  ReplicationWorkerApi,
  ReplicationWorkerData,
  StartOptions,
  StreamReport,
} from '../protocol/messages.js'
import { bookmarkLsn } from '../replication/acker.js'
import { describeStop, type StopReason, stopReason } from '../replication/stop-rule.js'
import type { LogBasedRunArgs } from './log-based-seam.js'
import { NO_PROGRESS, type ProgressSink } from './progress.js'

/** dist/workers/replication.worker.js, from dist/src/sync/replication-run.js. */
const REPLICATION_WORKER_URL = new URL('../../workers/replication.worker.js', import.meta.url)

/** A STATE at the latest after this many records (pipelinewise's UPDATE_BOOKMARK_PERIOD), or after poll_interval. */
const STATE_EVERY_RECORDS = 10_000
const METRICS_INTERVAL_MS = 60_000
const STOP_CHECK_MS = 1_000
/** How often the live progress view asks the worker for the position of the server's newest keepalive. */
const WAL_END_SAMPLE_MS = 500
/** How long a stopping worker may take to hand over its last batch. */
const STOP_TIMEOUT_MS = 30_000

export class ReplicationRun {
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
  /** The server's newest keepalive position as last sampled, and when it last moved forward. */
  #serverLsn = 0n
  #serverAdvancedAt: number | undefined
  #serverSampling = false
  #stopping: StopReason | 'error' | undefined
  #stopTimeout: NodeJS.Timeout | undefined
  /** Ends the read loop when the worker does not answer a stop in time. */
  #onStopTimeout: (() => void) | undefined
  #api: Remote<ReplicationWorkerApi> | undefined
  readonly #perStream = new Map<string, number>()
  #records = 0
  #recordsAtLastMetrics = 0
  #lastMetricsAt = Date.now()
  /** Writing a batch failed (stdout closed): the run's error, whatever the worker says. */
  #writeFailure: TapError | undefined

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

  async execute(options: StartOptions): Promise<void> {
    const workerData: ReplicationWorkerData = { config: this.#args.config, logger: this.#args.logger.options }
    const worker = new Worker(REPLICATION_WORKER_URL, {
      workerData,
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    })
    // The worker's last word: its `end` message after the last batch, or (it died, a start failed,
    // a stop timed out) one made here. The first one counts.
    let endWith: (end: ReplicationEnd) => void = () => undefined
    const ended = new Promise<ReplicationEnd>((resolve) => {
      endWith = resolve
    })
    const died = (why: string) =>
      endWith(this.#endOf(new TapError('REPLICATION_FAILED', `the replication worker ${why}`)))
    this.#onStopTimeout = () => died(`did not stop within ${STOP_TIMEOUT_MS / 1000} s`)
    worker.on('error', (e) => died(`failed: ${e.message}`))
    worker.on('exit', (code) => died(`exited (code ${code})`))
    const api = workerHandle<ReplicationWorkerApi>(worker)
    this.#api = api
    const { port1, port2 } = new MessageChannel()
    const channel = new BatchReceiver<ReplicationBatch, ReplicationEnd>(port2, {
      batch: (b, written) => this.#onBatch(b, written),
      // After every batch before it: the receiver handles messages in order.
      other: (m) => endWith(m),
    })

    const signal = this.#args.signal
    const onAbort = () => this.#checkStop()
    signal.addEventListener('abort', onAbort)
    // The server's position is sampled first, so the rule sees the newest one.
    const stopTimer = setInterval(
      () => void this.#sampleServer().then(() => this.#checkStop()),
      STOP_CHECK_MS,
    )
    const metricsTimer = setInterval(() => this.#logMetrics(), METRICS_INTERVAL_MS)
    const walEndTimer = this.#progress.live
      ? setInterval(() => this.#sampleWalEnd(), WAL_END_SAMPLE_MS)
      : undefined
    // Not awaited: a worker that dies while connecting never answers the call, but its exit does
    // end the run. A failed start rejects with the worker's TapError (src/protocol/control-plane.ts).
    api.start(options, movePort(port1)).then(
      () => this.#checkStop(),
      (e: unknown) =>
        endWith(
          this.#endOf(
            e instanceof TapError
              ? e
              : new TapError(
                  'REPLICATION_FAILED',
                  `starting the replication worker: ${(e as Error).message}`,
                ),
          ),
        ),
    )
    let end: ReplicationEnd
    try {
      end = await ended
      // A made-up end may come while batches are still being written: they finish first.
      await channel.idle()
    } finally {
      clearInterval(stopTimer)
      clearInterval(metricsTimer)
      clearInterval(walEndTimer)
      if (this.#stopTimeout) clearTimeout(this.#stopTimeout)
      signal.removeEventListener('abort', onAbort)
      channel.close()
      await worker.terminate().catch(() => undefined)
    }
    const failure = this.#writeFailure ?? (end.error ? deserializeError(end.error) : undefined)
    // The final STATE (docs/behaviour.md#steps-of-a-run, 6), also after a streaming failure: it claims only what was written.
    if (failure?.code !== 'OUTPUT_CLOSED') await this.#writeState(true)
    this.#summary(end.reports, failure !== undefined)
    if (failure) throw failure
  }

  /** An `end` made on this side: nothing more is written. */
  #endOf(error: TapError): ReplicationEnd {
    return { type: 'end', position: this.#written, reports: [], error: serializeError(error) }
  }

  /** A batch, in order; after a failure to write, the rest are dropped (and acknowledged) until the end. */
  async #onBatch(b: ReplicationBatch, written: () => void): Promise<void> {
    if (this.#writeFailure !== undefined) return
    try {
      await this.#writeBatch(b, written)
    } catch (e) {
      // stdout closed, most likely: stop the worker; the channel keeps granting credits until its end.
      this.#writeFailure =
        e instanceof TapError
          ? e
          : new TapError('REPLICATION_FAILED', `LOG_BASED streaming failed: ${(e as Error).message}`, {
              cause: e,
            })
      this.#requestStop('error')
    }
  }

  async #writeBatch(b: ReplicationBatch, written: () => void): Promise<void> {
    if (b.lines.length > 0) await this.#args.emitter.writeRecords(b.lines, b.records, written)
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
      serverLsn: this.#serverLsn,
      serverAdvancedAt: this.#serverAdvancedAt,
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

  /**
   * For the stop rule: the position of the server's newest keepalive, which moves while the server
   * reads WAL it has not sent anything of yet (the worker asks for keepalives while no data comes).
   */
  async #sampleServer(): Promise<void> {
    if (this.#api === undefined || this.#stopping !== undefined || this.#serverSampling) return
    this.#serverSampling = true
    await Promise.resolve(this.#api.status())
      .then(
        (st) => {
          if (st.keepaliveLsn > this.#serverLsn) {
            this.#serverLsn = st.keepaliveLsn
            this.#serverAdvancedAt = Date.now()
          }
        },
        () => undefined,
      )
      .finally(() => {
        this.#serverSampling = false
      })
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
          `${r.toastRecords} update${r.toastRecords === 1 ? '' : 's'} written without unchanged TOAST column${r.toastColumns.length === 1 ? '' : 's'} ${r.toastColumns.join(', ')} (logical decoding does not send them; set REPLICA IDENTITY FULL to get them)`,
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
