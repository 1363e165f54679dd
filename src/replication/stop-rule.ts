/**
 * When a LOG_BASED run stops (docs/behaviour.md#when-a-run-stops), as a pure decision the main thread asks about after
 * every batch and once a second. The order of the checks decides the reason logged when several
 * hold at once.
 */

export type StopReason = 'signal' | 'caught-up' | 'max-run' | 'idle'

export interface StopInputs {
  /** SIGINT/SIGTERM arrived. */
  readonly aborted: boolean
  readonly breakAtEndLsn: boolean
  /** pg_current_wal_lsn() at the start of the run. */
  readonly endLsn: bigint
  /** Every change below this has been written (the last written batch's position). */
  readonly written: bigint
  /** Milliseconds, same clock for all three. */
  readonly now: number
  readonly startedAt: number
  /** When the last data message (any message of the plugin) arrived; startedAt before the first. */
  readonly lastDataAt: number
  readonly maxRunSeconds: number
  /** logical_poll_total_seconds: how long to wait for data before giving up. */
  readonly idleSeconds: number
  /**
   * The WAL position in the server's newest keepalive (how far the walsender has read), and when it
   * last moved forward (undefined before it first did). While it moves towards end_lsn the server is
   * still decoding (a big transaction is read whole before its first change is sent): with
   * break_at_end_lsn that counts as activity, not idleness.
   */
  readonly serverLsn?: bigint
  readonly serverAdvancedAt?: number
}

/**
 * How long a server short of end_lsn counts as working after its position last moved: keepalives
 * only come between WAL records, and a single record can keep the server busy for a while (a big
 * transaction spilled to disk, a slow disk, a loaded machine).
 */
export const SERVER_PROGRESS_WINDOW_MS = 10_000

export function stopReason(s: StopInputs): StopReason | undefined {
  if (s.aborted) return 'signal'
  // Caught up also covers a database whose tables had no changes: keepalives move `written`.
  if (s.breakAtEndLsn && s.written >= s.endLsn) return 'caught-up'
  if (s.now - s.startedAt >= s.maxRunSeconds * 1000) return 'max-run'
  if (s.now - s.lastDataAt < s.idleSeconds * 1000) return undefined
  const working =
    s.breakAtEndLsn &&
    s.serverLsn !== undefined &&
    s.serverLsn < s.endLsn &&
    s.serverAdvancedAt !== undefined &&
    s.now - s.serverAdvancedAt < Math.max(s.idleSeconds * 1000, SERVER_PROGRESS_WINDOW_MS)
  if (!working) return 'idle'
  return undefined
}

export function describeStop(
  reason: StopReason,
  s: Pick<StopInputs, 'endLsn' | 'maxRunSeconds' | 'idleSeconds' | 'breakAtEndLsn'>,
  endText: string,
): string {
  switch (reason) {
    case 'signal':
      return 'stopped by a signal'
    case 'caught-up':
      return `caught up with ${endText}, the WAL position at the start of the run (break_at_end_lsn)`
    case 'max-run':
      return `max_run_seconds (${s.maxRunSeconds} s) reached`
    case 'idle':
      return `no new data for logical_poll_total_seconds (${s.idleSeconds} s)${s.breakAtEndLsn ? ', and the server did not read further towards end_lsn either' : ''}`
  }
}
