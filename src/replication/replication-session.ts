// Long (~410 lines): the one loop that owns the replication socket, its intake queue and the acker; cutting it would pass their shared state between files.
/**
 * The replication worker's session (workers/replication.worker.ts is its thread entry): the run's
 * one replication connection (docs/behaviour.md#log_based, #connections), from START_REPLICATION to
 * the last batch.
 *
 * - pg-logical-replication streams from the slot with the decoder of its output plugin
 *   (decoders.ts). Its flow control is off (it costs a chain of promises per message): messages
 *   are queued here and handled in one synchronous loop; when one must wait (no credit on the batch
 *   channel, a schema re-read) the socket is paused and the server waits.
 * - The library never acknowledges on its own (`auto: false`, `timeoutSeconds: 0`); every standby
 *   status is sent here and reports `Acker.confirm` (docs/lsn-and-state.md).
 * - Records are rendered here with the shared renderer (change-records.ts) and handed to the main
 *   thread as UTF-8 batches on the batch channel (src/protocol/batch-channel.ts), the same channel
 *   the table workers use; comlink carries only the control calls (start, stop, status).
 * - A change with a column the stream does not know (or a column set not checked yet) re-reads the
 *   table's columns on the worker's one cached ordinary connection, opened on first need; so does
 *   the partition lookup of a relation name first seen while a stream is partitioned. No value
 *   ever needs a query.
 */
import type pg from 'pg'
import { LogicalReplicationService } from 'pg-logical-replication'
import { readLiveTables } from '../catalog/live-tables.js'
import type { TapConfig } from '../config/tap-config.js'
import { serializeError, TapError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { clientConfig, openClient } from '../pg/connect.js'
import { formatLsn, parseLsn } from '../pg/lsn.js'
import { queryError } from '../pg/pg-errors.js'
import { BatchSender, type ChannelPort } from '../protocol/batch-channel.js'
import type {
  ReplicationBatch,
  ReplicationEnd,
  ReplicationStatus,
  StartOptions,
} from '../protocol/messages.js'
import type { ColumnInfo } from '../values/pg-type.js'
import { Acker } from './acker.js'
import { BatchBuilder } from './batch-builder.js'
import { ChangeRecords } from './change-records.js'
import type { TruncateEvent } from './change-event.js'
import { type ChangeDecoder, decoderFor } from './decoders.js'
import { readRelationRoutes } from './replica-identity.js'
import { pauseSocket, resumeSocket, SERVICE_OPTIONS, sendStandbyStatus } from './replication-service.js'
import { replicationError } from './slot.js'

/**
 * A batch goes once it has this many characters (while messages are handled, and when the queue
 * runs dry); a smaller one waits FLUSH_DELAY_MS for more. Posting every few records would cost more
 * in postMessage than the records cost to render; much bigger batches cost more in GC and in
 * encoding one long string (measured on the bench's log case: 512K characters was about 10% slower).
 */
const FLUSH_CHARS = 64 * 1024
const FLUSH_DELAY_MS = 20
/**
 * Without data for this long, a status update asks the server for a keepalive (besides the one
 * every poll_interval): its position shows whether the server is still reading towards end_lsn (a
 * big transaction is read whole before its first change is sent), which the main thread's stop rule
 * counts as activity (src/replication/stop-rule.ts).
 */
const IDLE_PING_MS = 250

export interface SessionContext {
  readonly config: TapConfig
  readonly logger: Logger
}

/** One run's streaming, from START_REPLICATION to the `end` message on the batch channel. */
export class ReplicationSession {
  readonly #opts: StartOptions
  readonly #ctx: SessionContext
  readonly #port: BatchSender<ReplicationBatch, ReplicationEnd>
  readonly #decoder: ChangeDecoder
  readonly #acker: Acker
  readonly #records: ChangeRecords
  readonly #batch = new BatchBuilder()
  readonly #svc: LogicalReplicationService
  #columnsClient: pg.Client | undefined
  #timer: NodeJS.Timeout | undefined
  #idleTimer: NodeJS.Timeout | undefined
  #lastDataAt = Date.now()
  /**
   * XLogData received and not handled yet, oldest first, from `#queueHead` on (the library's flow
   * control is off: replication-service.ts). `#draining`: the loop that handles them runs.
   */
  #queue: Array<{ readonly lsn: string; readonly payload: unknown }> = []
  #queueHead = 0
  #draining = false
  #streaming = false
  #stopping = false
  #failure: TapError | undefined
  #ended: Promise<void> | undefined
  /** The 'data' handler running now, awaited before the last batch. */
  #handling: Promise<void> = Promise.resolve()
  #flushing: Promise<void> = Promise.resolve()
  #flushTimer: NodeJS.Timeout | undefined
  #postedPosition: bigint
  #messages = 0
  #recordsSent = 0
  #statusUpdates = 0
  #keepaliveLsn = 0n

  constructor(opts: StartOptions, port: ChannelPort, ctx: SessionContext) {
    this.#opts = opts
    this.#ctx = ctx
    this.#port = new BatchSender(port, opts.maxInFlight)
    this.#decoder = decoderFor(opts.plugin, { streams: opts.streams, publication: opts.publication })
    this.#acker = new Acker({
      start: opts.startLsn,
      inputFloor: opts.inputFloor,
      slotConfirmed: opts.slotConfirmed,
    })
    this.#postedPosition = this.#acker.position
    this.#records = new ChangeRecords({
      streams: opts.streams,
      debugLsn: opts.debugLsn,
      logger: ctx.logger,
      readColumns: (s, t) => this.#readColumns(s, t),
      readRoutes: async (relations) => readRelationRoutes(await this.#client(), relations),
    })
    this.#svc = new LogicalReplicationService(
      clientConfig(ctx.config, { target: 'primary', replication: true }),
      SERVICE_OPTIONS,
    )
  }

  async start(): Promise<void> {
    const svc = this.#svc
    svc.on('data', (lsn: string, payload: unknown) => this.#onData(lsn, payload))
    svc.on('heartbeat', (lsn: string, _time: number, shouldRespond: boolean) =>
      this.#onKeepalive(lsn, shouldRespond),
    )
    svc.on('error', (e: Error) => this.#fail(replicationError(e, this.#opts.slotName, 'logical replication')))
    const started = new Promise<void>((resolve) => svc.once('start', () => resolve()))
    const streaming = svc.subscribe(this.#decoder.plugin, this.#opts.slotName, formatLsn(this.#opts.startLsn))
    streaming.then(
      () => {
        if (!this.#stopping)
          this.#fail(new TapError('REPLICATION_FAILED', 'the server ended the replication stream'))
      },
      (e: unknown) =>
        this.#fail(
          replicationError(
            e,
            this.#opts.slotName,
            `${this.#streaming ? 'streaming' : 'starting replication'} from slot "${this.#opts.slotName}"`,
          ),
        ),
    )
    await Promise.race([
      started,
      streaming.then(
        () => undefined,
        () => undefined,
      ),
    ])
    if (this.#failure) throw this.#failure
    if (this.#stopping) {
      // Stopped while connecting: pg-logical-replication makes its client after a stop that came
      // early enough, and streams on; end that one too.
      await this.#svc.stop().catch(() => undefined)
      return
    }
    this.#streaming = true
    this.#ctx.logger.info(
      `Streaming from slot ${this.#opts.slotName} at ${formatLsn(this.#opts.startLsn)}; confirming ${formatLsn(this.#acker.confirm)}`,
    )
    // Pre-flush (docs/behaviour.md#steps-of-a-run, 3), and a ping so the server answers with its position at once.
    this.#sendStatus(true)
    this.#timer = setInterval(() => this.#sendStatus(true), this.#opts.pollIntervalMs)
    this.#idleTimer = setInterval(() => {
      if (Date.now() - this.#lastDataAt >= IDLE_PING_MS) this.#sendStatus(true)
    }, IDLE_PING_MS)
  }

  status(): ReplicationStatus {
    return {
      streaming: this.#streaming && !this.#stopping,
      position: this.#acker.position,
      confirm: this.#acker.confirm,
      inTransaction: this.#acker.inTransaction,
      messages: this.#messages,
      records: this.#recordsSent,
      statusUpdates: this.#statusUpdates,
      keepaliveLsn: this.#keepaliveLsn,
    }
  }

  /** Stops reading, hands over what was read, posts `end`. Safe to call more than once. */
  stop(): Promise<void> {
    this.#ended ??= this.#end()
    return this.#ended
  }

  async #end(): Promise<void> {
    this.#stopping = true
    if (this.#timer) clearInterval(this.#timer)
    if (this.#idleTimer) clearInterval(this.#idleTimer)
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    // Flow control may have paused the socket; a paused socket never sees the server's end, and
    // the library's stop() waits for it.
    resumeSocket(this.#svc)
    await this.#svc.stop().catch(() => undefined)
    await this.#handling
    if (!this.#failure) await this.#flush()
    await this.#flushing.catch(() => undefined)
    if (!this.#failure) {
      // After the last batch: its records are written whatever this finds.
      await this.#records.checkIgnored().catch((e: unknown) => {
        this.#failure =
          e instanceof TapError
            ? e
            : new TapError(
                'REPLICATION_FAILED',
                `checking the partitions at the end of the run: ${(e as Error).message}`,
              )
      })
    }
    // Connections close before `end`: the main thread terminates this thread when it sees it.
    await this.#columnsClient?.end().catch(() => undefined)
    this.#columnsClient = undefined
    await this.#svc.destroy().catch(() => undefined)
    this.#port.post({
      type: 'end',
      position: this.#postedPosition,
      reports: this.#records.reports(),
      ...(this.#failure ? { error: serializeError(this.#failure) } : {}),
    })
  }

  #fail(e: TapError): void {
    // Our own stop ends the client: while streaming ('Connection terminated'), or while the
    // connection is still being made, where it fails in any way (an authentication cut short, the
    // library querying the closed client). Nothing was streamed then, so nothing is lost.
    if (
      this.#stopping &&
      this.#failure === undefined &&
      (!this.#streaming || /Connection terminated|Client was closed/i.test(e.message))
    )
      return
    this.#failure ??= e
    void this.stop()
  }

  /** Standby status update: write = flush = apply = Acker.confirm. */
  #sendStatus(ping: boolean): void {
    if (this.#stopping || !this.#streaming) return
    this.#statusUpdates++
    sendStandbyStatus(this.#svc, this.#acker.confirm, ping).catch(() => undefined)
  }

  #onKeepalive(lsn: string, shouldRespond: boolean): void {
    if (this.#stopping) return
    const queued = this.#draining || this.#queueHead < this.#queue.length
    const walEnd = parseLsn(lsn)
    if (walEnd > this.#keepaliveLsn) this.#keepaliveLsn = walEnd
    this.#acker.keepalive(walEnd, queued)
    if (shouldRespond) this.#sendStatus(false)
    if (!queued) this.#flushSoon()
  }

  /** Emitted synchronously for each XLogData: queued, and handled by one loop at a time. */
  #onData(lsn: string, payload: unknown): void {
    if (this.#stopping) return
    this.#lastDataAt = Date.now()
    this.#queue.push({ lsn, payload })
    if (this.#draining) return
    this.#draining = true
    this.#handling = this.#drain()
  }

  /**
   * Handles the queued messages in order, synchronously as long as nothing needs waiting; when a
   * message must wait (a column re-read, no credit for a full batch) the socket is paused, so the
   * server waits instead of the queue growing. Resumes the socket once the queue is empty.
   */
  async #drain(): Promise<void> {
    let lsn = ''
    try {
      while (this.#queueHead < this.#queue.length && !this.#stopping) {
        const m = this.#queue[this.#queueHead++]
        lsn = m.lsn
        const pending = this.#handle(parseLsn(m.lsn), m.payload)
        if (pending !== undefined) {
          pauseSocket(this.#svc)
          await pending
        }
        // A batch goes once it is worth a message; waiting for credit pauses the socket.
        if (this.#batch.lines.length >= FLUSH_CHARS) {
          pauseSocket(this.#svc)
          await this.#flush()
        }
      }
    } catch (e) {
      this.#fail(
        e instanceof TapError
          ? e
          : new TapError('REPLICATION_FAILED', `decoding the change at ${lsn}: ${(e as Error).message}`),
      )
    } finally {
      this.#queue = []
      this.#queueHead = 0
      this.#draining = false
    }
    if (this.#stopping) return
    resumeSocket(this.#svc)
    // Every message received so far is handled: a keepalive held meanwhile applies now.
    this.#acker.drained()
    if (this.#batch.lines.length >= FLUSH_CHARS) await this.#flush()
    else this.#flushSoon()
  }

  /** One message; a promise only when it must wait for a query first. */
  #handle(lsn: bigint, payload: unknown): Promise<void> | undefined {
    const ev = this.#decoder.decode(payload)
    this.#messages++
    this.#batch.messages++
    switch (ev.action) {
      case 'B':
        this.#acker.begin()
        this.#records.begin(
          ev.commitLsn !== undefined
            ? { start: ev.commitLsn }
            : ev.nextLsn !== undefined
              ? { end: parseLsn(ev.nextLsn) }
              : undefined,
        )
        break
      case 'C':
        this.#records.commit()
        // The XLogData of a commit starts at the commit's end (logical decoding's write location).
        this.#acker.commit(lsn)
        break
      case 'I':
      case 'U':
      case 'D':
        return this.#records.change(lsn, ev, this.#batch) ?? undefined
      case 'T':
        return this.#records.truncate(ev, this.#batch) ?? undefined
      case 'truncate':
        // pgoutput: one message for every table of a TRUNCATE, in order.
        return this.#truncateAll(ev.tables, 0)
      default:
        return undefined
    }
    return undefined
  }

  #truncateAll(tables: readonly TruncateEvent[], from: number): Promise<void> | undefined {
    for (let i = from; i < tables.length; i++) {
      const pending = this.#records.truncate(tables[i], this.#batch)
      if (pending) return pending.then(() => this.#truncateAll(tables, i + 1))
    }
    return undefined
  }

  /** A flush in FLUSH_DELAY_MS, unless one is already due. */
  #flushSoon(): void {
    if (this.#flushTimer !== undefined || this.#stopping) return
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined
      void this.#flush()
    }, FLUSH_DELAY_MS)
  }

  /** Posts the batch at hand with the position it reaches; one flush at a time, in order. */
  #flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const position = this.#acker.position
      if (this.#batch.lines.length === 0 && position === this.#postedPosition) return
      const b = this.#batch
      const message: ReplicationBatch = {
        type: 'batch',
        lines: this.#port.encode(b.lines),
        records: b.records,
        messages: b.messages,
        counts: [...b.counts],
        position,
        versions: b.versions,
      }
      this.#recordsSent += b.records
      b.reset()
      this.#postedPosition = position
      await this.#port.send(message)
    })
    return this.#flushing
  }

  /** The worker's one ordinary connection (primary: the WAL is ahead of any replica), opened on first need. */
  async #client(): Promise<pg.Client> {
    if (this.#columnsClient === undefined) {
      this.#columnsClient = await openClient(this.#ctx.config, { target: 'primary' })
      this.#columnsClient.on('error', () => undefined)
    }
    return this.#columnsClient
  }

  /** The stream's columns today. */
  async #readColumns(schemaName: string, tableName: string): Promise<readonly ColumnInfo[] | undefined> {
    const client = await this.#client()
    try {
      const [table] = await readLiveTables(client, [{ schemaName, tableName }])
      return table?.columns
    } catch (e) {
      throw queryError(e, `re-reading the columns of ${schemaName}.${tableName}`)
    }
  }
}
