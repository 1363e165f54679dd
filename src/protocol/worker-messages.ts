/**
 * Everything that crosses between the main thread and the table-sync worker threads. Plain data
 * only (structured clone); the task's MessagePort is moved through Piscina's transferList.
 *
 * Flow of one task (credit-based, because a MessagePort has no backpressure of its own):
 *   main → Piscina.run(task, {transferList: [port]})
 *   worker → port: BatchMessage (at most `maxInFlight` unacknowledged)
 *   main: writes the batch to stdout, updates the bookmark, maybe writes STATE, → port: {type: 'ack'}
 *   worker: after the last ack, resolves the task with a TaskResult
 * So the task's result arrives only after every batch was written, and a slow stdout reader slows
 * the database reads instead of filling memory.
 */
import type { MessagePort } from 'node:worker_threads'
import type { PgValueType } from '../values/pg-type.js'
import type { TapConfig } from '../config/tap-config.js'
import type { SerializedTapError } from '../errors.js'
import type { SerializableLoggerOptions } from '../log/logger.js'

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

/** Worker → main on the task port. */
export interface BatchMessage {
  readonly type: 'batch'
  /** Finished RECORD lines, each ending in '\n': text, or UTF-8 bytes moved across (transferList). */
  readonly lines: string | Uint8Array
  readonly rows: number
  readonly mark?: BatchMark
}

/** Worker → main on the task port, before any batch: the chunk's transaction imported the snapshot. */
export interface SnapshotImportedMessage {
  readonly type: 'snapshotImported'
}

/** Everything a worker posts on the task port. */
export type TaskPortMessage = BatchMessage | SnapshotImportedMessage

/** Main → worker on the task port. */
export type ControlMessage =
  /** One batch was written: one more credit. */
  | { readonly type: 'ack' }
  /** A batch's buffer (BatchMessage.lines as bytes) is out on stdout: moved back to be filled again. */
  | { readonly type: 'buffer'; readonly buffer: ArrayBuffer }
  /** Stop reading (signal): send what was read, then finish normally. */
  | { readonly type: 'stop' }
  /** Drop everything and finish now (stdout closed, another stream failed hard). */
  | { readonly type: 'abort' }

export type TaskStatus = 'done' | 'stopped' | 'aborted'

/** What a task resolves to; tasks never reject, so errors keep their code and message across threads. */
export type TaskResult =
  | {
      readonly status: TaskStatus
      readonly rows: number
      readonly clamped: ReadonlyArray<readonly [string, number]>
    }
  | { readonly status: 'failed'; readonly rows: number; readonly error: SerializedTapError }
