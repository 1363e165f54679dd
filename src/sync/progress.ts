/**
 * Progress of a sync for people (docs/behaviour.md#logging-and-metrics): a live view on stderr when it is a terminal (README
 * "Usage"); logs and metrics stay the record. The sync calls a ProgressSink at stream events; the
 * sink is the live view (progress-view.ts, drawn from progress-model.ts) or nothing at all.
 */
import type { ReplicationMethod } from '../config/schema.js'
import type { StreamStatus } from '../log/metrics.js'
import type { RunEnd } from './progress-model.js'

export type { RunEnd } from './progress-model.js'

export interface ProgressSink {
  /** False for the sink that shows nothing: callers skip work done only for the view. */
  readonly live: boolean
  /** The run's streams, before any starts. */
  planned(streams: ReadonlyArray<{ readonly stream: string; readonly method: ReplicationMethod }>): void
  /** A load starts. `chunks`: a chunked load's chunk count, and how many an earlier run finished. */
  started(
    stream: string,
    estimatedRows: number,
    chunks?: { readonly total: number; readonly done: number },
  ): void
  advanced(stream: string, rows: number): void
  chunkDone(stream: string): void
  ended(stream: string, status: StreamStatus): void
  /** LOG_BASED streaming of these streams starts. */
  replicationStarted(streams: readonly string[]): void
  replicated(stream: string, messages: number): void
  /**
   * `written`: every change below it is on stdout; `serverLsn`: a WAL position the server has
   * reached (end_lsn at the start of the run, then the positions of its keepalives).
   */
  walPosition(written: bigint, serverLsn?: bigint): void
  replicationEnded(status: StreamStatus): void
  /** The last frame (the run's summary), and the terminal back as it was. Safe to call twice. */
  close(end: RunEnd): void
}

export const NO_PROGRESS: ProgressSink = {
  live: false,
  planned() {},
  started() {},
  advanced() {},
  chunkDone() {},
  ended() {},
  replicationStarted() {},
  replicated() {},
  walPosition() {},
  replicationEnded() {},
  close() {},
}
