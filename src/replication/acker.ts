import { smallestLsn, type Lsn } from '../pg/lsn.js'
import { getBookmark, type SingerState } from '../singer/state.js'

/**
 * The two positions of a LOG_BASED run, as a pure state machine. The rules and their reasons are in
 * docs/lsn-and-state.md; change them there first.
 *
 * - `confirm`: what standby status updates report as flushed (the slot's confirmed_flush_lsn). It is
 *   the smallest `lsn` of the **input** state (the target committed that state, or it would not have
 *   been handed back to us), never less than what the slot has already confirmed, and it does not
 *   move during the run: a STATE we write is only proven committed when the next run receives it.
 * - `position`: every change below it has been handed over for writing (the worker's side) or
 *   written (the main thread's side, once the batch carrying it is written). It advances at each
 *   commit by the commit's end LSN, and at a server keepalive by the keepalive's WAL end, but only
 *   when no transaction is open and every message received before the keepalive has been processed.
 *   A restart from `position` replays each transaction whose commit record starts at or after it
 *   (the server skips earlier ones), so nothing written after it is lost.
 */
export class Acker {
  readonly #confirm: Lsn
  #position: Lsn
  #inTransaction = false
  /** A keepalive's WAL end that arrived while earlier messages were still queued. */
  #pendingKeepalive: Lsn | undefined

  /**
   * @param start where streaming starts (the smallest bookmark, or the slot's confirmed position)
   * @param inputFloor smallest `lsn` of the input state among the streamed tables, if any had one
   * @param slotConfirmed the slot's confirmed_flush_lsn before the run
   */
  constructor(opts: { start: Lsn; inputFloor: Lsn | undefined; slotConfirmed: Lsn }) {
    const floor = opts.inputFloor ?? opts.slotConfirmed
    // Reporting less than the slot already has would move confirmed_flush_lsn backwards (PG 15's
    // LogicalConfirmReceivedLocation stores what it gets); the slot's own value is a no-op report.
    this.#confirm = floor > opts.slotConfirmed ? floor : opts.slotConfirmed
    // The server starts at the larger of the requested start and confirmed_flush_lsn
    // (CreateDecodingContext), so nothing before that can come.
    this.#position = opts.start > opts.slotConfirmed ? opts.start : opts.slotConfirmed
  }

  /** The flush (and write/apply) LSN for every standby status update of this run. */
  get confirm(): Lsn {
    return this.#confirm
  }

  /** Every change below this has been handed over. */
  get position(): Lsn {
    return this.#position
  }

  get inTransaction(): boolean {
    return this.#inTransaction
  }

  begin(): void {
    this.#inTransaction = true
  }

  /**
   * After every change of the transaction was handed over. `endLsn`: end of the commit record. A
   * held keepalive is not applied here: more transactions may wait in the queue behind this one
   * (the keepalive came after them); `drained` applies it once they are processed.
   */
  commit(endLsn: Lsn): void {
    this.#inTransaction = false
    if (endLsn > this.#position) this.#position = endLsn
  }

  /**
   * A primary keepalive (https://www.postgresql.org/docs/15/protocol-replication.html, "Primary
   * keepalive message"): its WAL end is the walsender's sent position. `queued`: messages received
   * before it are still waiting to be processed; then it is applied once they are (`drained`).
   */
  keepalive(walEnd: Lsn, queued: boolean): void {
    if (queued) {
      if (this.#pendingKeepalive === undefined || walEnd > this.#pendingKeepalive)
        this.#pendingKeepalive = walEnd
      return
    }
    this.#pendingKeepalive = walEnd
    this.#applyPending()
  }

  /** Every message received so far has been processed. */
  drained(): void {
    this.#applyPending()
  }

  #applyPending(): void {
    const w = this.#pendingKeepalive
    if (w === undefined || this.#inTransaction) return
    this.#pendingKeepalive = undefined
    if (w > this.#position) this.#position = w
  }
}

/**
 * A stream's `lsn` in a STATE written after everything below `written` was written: its own
 * bookmark when that is further (a table loaded in this run is bookmarked at the run's end_lsn),
 * else `written`, so an idle table moves forward with the others and holds no WAL back.
 */
export function bookmarkLsn(bookmark: Lsn | undefined, written: Lsn): Lsn {
  return bookmark !== undefined && bookmark > written ? bookmark : written
}

/**
 * The `inputFloor` of a run (docs/lsn-and-state.md, "What the slot is told"): the smallest `lsn` of
 * the input state over the streamed tables, and over the `held` ones, selected but not streamed in
 * this run because their initial load is unfinished. A held stream's lsn is where its load began and
 * where the next run streams from; it counts as it was read and as it is now (a load restarted in
 * this run has a new one), whichever is smaller.
 */
export function slotFloor(
  input: SingerState,
  current: SingerState,
  streamed: readonly string[],
  held: readonly string[],
): Lsn | undefined {
  return smallestLsn([
    ...streamed.map((id) => getBookmark(input, id).lsn),
    ...held.flatMap((id) => [getBookmark(input, id).lsn, getBookmark(current, id).lsn]),
  ])
}
