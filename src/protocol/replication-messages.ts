/**
 * What crosses between the main thread and the replication worker (workers/replication.worker.ts).
 * Two channels, as for the table workers (src/protocol/worker-messages.ts):
 * - the control plane, comlink RPC on the worker itself: `start`, `stop`, `status`
 *   (`ReplicationWorkerApi`);
 * - the data plane, a MessagePort handed over in `start`: the worker posts `ReplicationBatch`es
 *   and one final `ReplicationEnd`, the main thread answers each batch with `{type: 'ack'}` once it
 *   is written. At most `maxInFlight` batches are unacknowledged, so a slow stdout pauses the
 *   worker, whose paused 'data' handler pauses the replication socket (flow control), and the
 *   server waits instead of our memory growing.
 * Plain data only (structured clone: bigint is fine).
 */
import type { ColumnInfo } from '../values/pg-type.js'
import type { TapConfig } from '../config/tap-config.js'
import type { SerializedTapError } from '../errors.js'
import type { SerializableLoggerOptions } from '../log/logger.js'
import type { TableName } from '../values/pg-type.js'

export interface ReplicationWorkerData {
  readonly config: TapConfig
  readonly logger: SerializableLoggerOptions
}

/** One streamed table. */
export interface ReplicatedStream {
  readonly tapStreamId: string
  /** Singer stream name for RECORD/SCHEMA lines. */
  readonly stream: string
  readonly schemaName: string
  readonly tableName: string
  /** Columns to emit, in table order, with types (user selections applied, keys in). */
  readonly columns: readonly ColumnInfo[]
  readonly keyProperties: readonly string[]
  /** Columns the user deselected: present in the WAL, never emitted, not "new". */
  readonly deselected: readonly string[]
  /** The stream's `lsn` bookmark: changes in transactions that commit at or before it are skipped. */
  readonly bookmark: bigint | undefined
  /** The bookmark's `version`, written into RECORD lines (until a TRUNCATE switches it). */
  readonly version: number | undefined
  /**
   * A partitioned table's leaf partitions when the run started: their changes (named after them)
   * go to this stream. Undefined for a plain table.
   */
  readonly partitions?: readonly TableName[]
  /** Allowed to stream inserts alone (log_based_inserts_only): a new partition without a key is no error. */
  readonly insertsOnly?: boolean
}

export interface StartOptions {
  readonly slotName: string
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

/** Worker → main: records and the position they reach. */
export interface ReplicationBatch {
  readonly type: 'batch'
  /** Finished RECORD and SCHEMA lines, each ending in '\n' (may be empty). */
  readonly lines: string
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

/** Worker → main, last message on the port: streaming is over (stopped, or failed). */
export interface ReplicationEnd {
  readonly type: 'end'
  readonly position: bigint
  readonly reports: readonly StreamReport[]
  readonly error?: SerializedTapError
}

export type WorkerToMain = ReplicationBatch | ReplicationEnd

/** Main → worker on the port: one batch was written. */
export interface AckMessage {
  readonly type: 'ack'
}

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

/** The worker's control surface, exposed with comlink. */
export interface ReplicationWorkerApi {
  /** Connects and starts streaming; resolves once the server accepted START_REPLICATION. */
  start(options: StartOptions, port: MessagePort): Promise<void>
  /** Stops reading; the port then carries the last batch and the `end` message. */
  stop(): Promise<void>
  status(): ReplicationStatus
}

/** `MessagePort` of node:worker_threads, without importing the module into plain type users. */
type MessagePort = import('node:worker_threads').MessagePort
