/**
 * Everything that crosses between the main thread and a worker thread, for both kinds of worker:
 * the table-sync threads of the Piscina pool (workers/table-sync.worker.ts) and the one replication
 * worker (workers/replication.worker.ts). Plain data only (structured clone: bigint is fine).
 *
 * Two planes, the same for both workers:
 * - data: ONE credit-based batch channel (batch-channel.ts) on a MessagePort. The worker posts
 *   batches whose `lines` are UTF-8 bytes *moved* across (transferList, never copied); at most
 *   `maxInFlight` are unacknowledged. The main thread writes each batch, then answers with one `ack`
 *   (a credit back, carrying the buffers stdout is done with, to be filled again). A MessagePort has
 *   no backpressure of its own; the credits are it: a slow stdout stops the acks, which stops the
 *   worker, which stops reading from the server.
 * - control: a table task is a Piscina task (its port travels in the task, its result is the
 *   `TaskResult`); the replication worker is a comlink handle (`ReplicationWorkerApi`: start, stop,
 *   status; src/protocol/control-plane.ts). A failure crosses as a `SerializedTapError` either way and
 *   is rebuilt as the same TapError class on the main side.
 */
import type { MessagePort } from 'node:worker_threads'
import type { TapConfig } from '../config/tap-config.js'
import type { SerializedTapError } from '../errors.js'
import type { SerializableLoggerOptions } from '../log/logger.js'
import type { ColumnInfo, PgValueType, TableName } from '../values/pg-type.js'

// ---------------------------------------------------------------------------------------------
// The batch channel (both workers)

/** What every batch has: finished Singer lines, each ending in '\n', as UTF-8 bytes moved across. */
export interface ChannelBatch {
  readonly type: 'batch'
  /** Owns its ArrayBuffer (never a slice of Node's shared pool): the buffer is transferred. */
  readonly lines: Uint8Array
}

/** Main → worker on a batch channel. */
export type ChannelControl =
  /**
   * One batch was written (and its bookmark committed): one more credit. `buffers`: batch buffers
   * stdout is done with, moved back to be filled again (none when the bytes are still queued).
   */
  | { readonly type: 'ack'; readonly buffers: readonly ArrayBuffer[] }
  /** Stop reading (signal): send what was read, then finish normally. */
  | { readonly type: 'stop' }
  /** Drop everything and finish now (stdout closed, another stream failed hard). */
  | { readonly type: 'abort' }

// ---------------------------------------------------------------------------------------------
// Table-sync workers

/** `workerData` of every table-sync thread. */
export interface TableWorkerData {
  readonly config: TapConfig
  readonly logger: SerializableLoggerOptions
  /** BroadcastChannel on which the main thread asks every thread to close its connection. */
  readonly closeChannel: string
}

/** Main → workers on the close channel; each worker answers with a ClosedMessage. */
export interface CloseRequest {
  readonly type: 'close'
}

export interface ClosedMessage {
  readonly type: 'closed'
  readonly threadId: number
}

export interface ReadColumn {
  readonly name: string
  readonly type: PgValueType
}

interface TaskBase {
  /** Singer stream name (`<schema>-<stream>`), for RECORD lines. */
  readonly stream: string
  readonly tapStreamId: string
  readonly schemaName: string
  readonly tableName: string
  /** Columns to read and emit, in record order. */
  readonly columns: readonly ReadColumn[]
  /** The operator's row filter (stream_options custom_where_clauses), ANDed into the read. */
  readonly rowFilter?: readonly string[]
  readonly version: number
  /** pg_class.reltuples, for progress and diagnostics. */
  readonly rowEstimate: number
  /** Most batches the worker may have sent and not yet seen acknowledged. */
  readonly maxInFlight: number
  /** The worker's end of the task's batch channel (moved through Piscina's transferList). */
  readonly port: MessagePort
}

export interface FullTableTask extends TaskBase {
  readonly kind: 'fullTable'
  /** `xmin`: ordered and resumable (tables); `unordered`: views, fast_sync and chunks. */
  readonly order: 'xmin' | 'unordered'
  readonly resumeXmin?: number
  /** One chunk of a chunked load (sync/chunked-stream.ts); read with order `unordered`. */
  readonly chunk?: ChunkRead
}

/** A chunk: the rows on pages `[fromPage, toPage)` of the table, as of the exported snapshot. */
export interface ChunkRead {
  /** Names the chunk in the worker's log lines: `3/10`, `recheck 3/10`. */
  readonly label: string
  readonly fromPage: number
  /** Absent for the last chunk: pages added since the plan are read too. */
  readonly toPage?: number
  /** Only rows written by transactions the load's first snapshot did not see (a resumed load re-checking a finished chunk). */
  readonly changedSince?: { readonly xmax: number; readonly xip: readonly number[] }
  /** pg_export_snapshot() name, imported as the transaction's first statement. */
  readonly snapshot: string
}

export interface IncrementalTask extends TaskBase {
  readonly kind: 'incremental'
  readonly replicationKey: string
  /** Bookmark value as text, bound as the query parameter. */
  readonly from?: string
  readonly limit?: number
}

export type TableTask = FullTableTask | IncrementalTask

/** Where the stream stands after the rows of a batch. */
export type BatchMark =
  /** FULL_TABLE: xmin of the batch's last row. */
  | { readonly xmin: number }
  /** INCREMENTAL: the last non-NULL replication key, as record JSON text (number or string). */
  | { readonly keyValue: string }

/** Table worker → main: RECORD lines and the bookmark after them. */
export interface BatchMessage extends ChannelBatch {
  readonly rows: number
  readonly mark?: BatchMark
}

/** Table worker → main, before any batch: the chunk's transaction imported the snapshot (no credit). */
export interface SnapshotImportedMessage {
  readonly type: 'snapshotImported'
}

/** Everything a table worker posts on the task port. */
export type TaskPortMessage = BatchMessage | SnapshotImportedMessage

export type TaskStatus = 'done' | 'stopped' | 'aborted'

/** What a task resolves to; tasks never reject, so errors keep their class, code and message across threads. */
export type TaskResult =
  | {
      readonly status: TaskStatus
      readonly rows: number
      readonly clamped: ReadonlyArray<readonly [string, number]>
    }
  | { readonly status: 'failed'; readonly rows: number; readonly error: SerializedTapError }

// ---------------------------------------------------------------------------------------------
// The replication worker

export interface ReplicationWorkerData {
  readonly config: TapConfig
  readonly logger: SerializableLoggerOptions
}

/**
 * One LOG_BASED stream, as the sync run plans it (src/sync/run-sync.ts) and the replication worker
 * streams it: one shape on both sides of the thread boundary.
 */
export interface LogBasedStream {
  readonly tapStreamId: string
  /** Singer stream name of RECORD/SCHEMA lines (`<schema>-<stream>`). */
  readonly stream: string
  readonly schemaName: string
  readonly tableName: string
  /** The columns to emit (user selections applied; keys always in), in table order, with types. */
  readonly columns: readonly ColumnInfo[]
  readonly keyProperties: readonly string[]
  /** Columns the user deselected: present in the WAL, never emitted, and not taken for new columns. */
  readonly deselectedColumns: readonly string[]
  /** True when this run already wrote the stream's SCHEMA (after its initial load). */
  readonly schemaWritten: boolean
  /** A partitioned table's leaf partitions at the start of the run (its changes come from them). */
  readonly partitions?: readonly TableName[]
  /** No usable replica identity, allowed by log_based_inserts_only: only inserts reach the WAL. */
  readonly insertsOnly?: boolean
}

/** A LOG_BASED stream with where its bookmark stands when streaming starts. */
export interface ReplicatedStream extends LogBasedStream {
  /** The stream's `lsn` bookmark: changes in transactions that commit at or before it are skipped. */
  readonly bookmark: bigint | undefined
  /** The bookmark's `version`, written into RECORD lines (until a TRUNCATE switches it). */
  readonly version: number | undefined
}

export interface StartOptions {
  readonly slotName: string
  /** The slot's output plugin: the worker decodes with the matching decoder (src/replication/decoders.ts). */
  readonly plugin: string
  /** pgoutput: the publication the slot streams through (publication_name, else the slot's name). */
  readonly publication?: string
  /** START_REPLICATION position: the smallest bookmark. */
  readonly startLsn: bigint
  /** Smallest `lsn` of the input state over these streams (docs/lsn-and-state.md). */
  readonly inputFloor: bigint | undefined
  /** The slot's confirmed_flush_lsn before the run. */
  readonly slotConfirmed: bigint
  readonly streams: readonly ReplicatedStream[]
  readonly debugLsn: boolean
  /** Standby status interval. */
  readonly pollIntervalMs: number
  readonly maxInFlight: number
}

/** Replication worker → main: records and the position they reach. */
export interface ReplicationBatch extends ChannelBatch {
  readonly records: number
  /** XLogData messages received since the previous batch (B, C and changes, skipped ones too). */
  readonly messages: number
  /** Records per Singer stream in this batch. */
  readonly counts: ReadonlyArray<readonly [string, number]>
  /** Every change below this LSN is in this batch or an earlier one (Acker.position). */
  readonly position: bigint
  /**
   * TRUNCATEs in this batch, in order, each with its ACTIVATE_VERSION line in `lines`: once `lines`
   * are written, each stream's bookmark takes the last version it got here.
   */
  readonly versions: readonly VersionSwitch[]
}

/** A TRUNCATE of a stream's table: the stream's records go on under a new version. */
export interface VersionSwitch {
  readonly tapStreamId: string
  readonly stream: string
  /** `schema.table`, as the TRUNCATE named it. */
  readonly table: string
  readonly version: number
}

export interface StreamReport {
  readonly stream: string
  /** Updates emitted without unchanged TOAST columns, and which columns were left out. */
  readonly toastRecords: number
  readonly toastColumns: readonly string[]
  /** Changes skipped because the stream's bookmark already covered their transaction. */
  readonly skipped: number
  readonly clamped: ReadonlyArray<readonly [string, number]>
}

/** Replication worker → main, last message on the channel (no credit): streaming is over (stopped, or failed). */
export interface ReplicationEnd {
  readonly type: 'end'
  readonly position: bigint
  readonly reports: readonly StreamReport[]
  readonly error?: SerializedTapError
}

export type ReplicationPortMessage = ReplicationBatch | ReplicationEnd

export interface ReplicationStatus {
  readonly streaming: boolean
  /** Acker.position: what a STATE may claim once the batches sent so far are written. */
  readonly position: bigint
  /** What standby status updates report to the slot. */
  readonly confirm: bigint
  readonly inTransaction: boolean
  readonly messages: number
  readonly records: number
  /** Standby status updates sent. */
  readonly statusUpdates: number
  /**
   * The WAL position in the server's newest keepalive (0 before the first). A logical walsender
   * sends how far it has read the WAL (its sent position), which passes the run's end_lsn once
   * the server decoded that far; it is not pg_current_wal_lsn().
   */
  readonly keepaliveLsn: bigint
}

/** The replication worker's control plane, exposed with comlink (control-plane.ts). */
export interface ReplicationWorkerApi {
  /**
   * Connects and starts streaming on the batch channel `port`; resolves once the server accepted
   * START_REPLICATION, rejects with the TapError that prevented it.
   */
  start(options: StartOptions, port: MessagePort): Promise<void>
  /** Stops reading; the channel then carries the last batch and the `end` message. */
  stop(): Promise<void>
  status(): ReplicationStatus
}
