/**
 * The seam between the sync run (src/sync) and LOG_BASED streaming (src/replication).
 *
 * Before this is called, run-sync has:
 * - taken `endLsn` = pg_current_wal_lsn() on the primary, before any table was read;
 * - given every LOG_BASED stream without an `lsn` bookmark, or with an unfinished load (`xmin` or
 *   `chunks` next to its `lsn`), its initial FULL_TABLE load on the pool (resumable via xmin or
 *   chunks); when that finished, its bookmark got `xmin: null` and `lsn` = where the load's first
 *   attempt started (`endLsn`, or the snapshot's position, of that run), its SCHEMA (with
 *   `_sdc_deleted_at`) and records were written (`schemaWritten: true`);
 * - closed the pool, so the table-read connections are gone.
 * A run interrupted by a signal or failed before this point does not call it.
 *
 * The runner streams changes from the smallest `lsn` bookmark of `streams` and writes through
 * `emitter`: `write` RECORD/SCHEMA lines, `commit` a stream's new `lsn` only after the lines it
 * covers resolved, then `writeState`. run-sync writes a last STATE (currently_syncing null) if anything changed after
 * it returns, or a line went out after the runner's last STATE. LSNs are bigint; `commit(id, {lsn})`
 * is written into STATE as a JSON integer.
 *
 * The implementation: src/sync/run-log-based.ts, `export const runLogBased: LogBasedRunner`. A stream
 * has one shape here and in the replication worker: `LogBasedStream` (src/protocol/messages.ts).
 */
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import type { LogBasedStream } from '../protocol/messages.js'
import type { SingerState } from '../singer/state.js'
import type { SyncEmitter } from './emitter.js'
import type { ProgressSink } from './progress.js'

export type { LogBasedStream }

export interface LogBasedRunArgs {
  readonly config: TapConfig
  readonly logger: Logger
  /** Selected LOG_BASED streams; each has an `lsn` bookmark in `emitter.state`. */
  readonly streams: readonly LogBasedStream[]
  /**
   * Selected LOG_BASED streams not streamed in this run (their initial load is unfinished): their
   * `lsn`, in the input state and now, is where the next run streams from, so the slot is never
   * confirmed beyond it.
   */
  readonly held?: readonly string[]
  /** The state as read from --state, before this run changed it: its LSNs are what the target committed (pre-flush). */
  readonly inputState: SingerState
  /** The run's output and current state (STATE only after the records it covers). */
  readonly emitter: SyncEmitter
  /** pg_current_wal_lsn() on the primary at the start of the run. */
  readonly endLsn: bigint
  /** Aborted on SIGINT/SIGTERM: stop streaming, commit what was written, return. */
  readonly signal: AbortSignal
  /** The live progress view (messages per stream; the written position against the server's). */
  readonly progress?: ProgressSink
}

export type LogBasedRunner = (args: LogBasedRunArgs) => Promise<void>
