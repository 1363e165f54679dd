/**
 * A LOG_BASED bookmark behind the replication slot (README "What LOG_BASED refuses, and why";
 * docs/lsn-and-state.md "A bookmark behind the slot"). The server starts streaming at the slot's
 * confirmed_flush_lsn at the earliest and never sends again a transaction whose commit comes before
 * it, so a stream whose position is before that point has lost the changes in between: an older
 * STATE was handed back, or the target was restored from a backup. `state_behind_slot` says what a
 * run does about it; this module decides, with no I/O, before anything is read.
 *
 * Equal is fine: the tap confirms the input state's smallest `lsn` to the slot (the pre-flush), so
 * confirmed_flush_lsn == the smallest bookmark is the normal case, and other streams are further.
 */
import type { StateBehindSlot } from '../config/schema.js'
import { InputError } from '../errors.js'
import { formatLsn, type Lsn } from '../pg/lsn.js'
import { chunkStateOf } from './chunk-state.js'
import { getBookmark, type Bookmark, type SingerState } from '../singer/state.js'

/** Where a LOG_BASED stream would start streaming, and what that position is in its bookmark. */
export interface StreamPosition {
  readonly tapStreamId: string
  readonly lsn: Lsn
  /** `lsn`: the bookmark's; `snapshot_lsn`: an unfinished chunked initial load's, which becomes its `lsn`. */
  readonly source: 'lsn' | 'snapshot_lsn'
}

/** The slot as this decision needs it. */
export interface SlotPosition {
  readonly name: string
  readonly confirmedFlushLsn: Lsn | null
}

/**
 * The position a stream's changes will be streamed from: its `lsn`, or, while a chunked initial
 * load is unfinished, the load's snapshot_lsn (it becomes the `lsn` when the load completes).
 * Undefined: the stream has no position yet (a fresh initial load takes one in this run).
 */
export function streamPosition(tapStreamId: string, bookmark: Bookmark): StreamPosition | undefined {
  if (bookmark.lsn !== undefined) return { tapStreamId, lsn: bookmark.lsn, source: 'lsn' }
  const chunks = chunkStateOf(bookmark)
  if (chunks !== undefined && chunks !== 'invalid' && chunks.snapshotLsn !== undefined)
    return { tapStreamId, lsn: chunks.snapshotLsn, source: 'snapshot_lsn' }
  return undefined
}

/** The positions strictly before the slot's confirmed_flush_lsn, in the given order. */
export function positionsBehindSlot(
  positions: Iterable<StreamPosition | undefined>,
  confirmedFlushLsn: Lsn | null,
): StreamPosition[] {
  if (confirmedFlushLsn === null) return []
  const out: StreamPosition[] = []
  for (const p of positions) if (p !== undefined && p.lsn < confirmedFlushLsn) out.push(p)
  return out
}

const lsnText = (lsn: Lsn) => `${formatLsn(lsn)} (${lsn})`
const what = (p: StreamPosition) =>
  `${p.source === 'lsn' ? 'bookmark lsn' : "unfinished initial load's snapshot_lsn"} ${lsnText(p.lsn)}`

/** `stream a: bookmark lsn X (n)` or `streams a (bookmark lsn X (n)), b (...)`. */
function describe(behind: readonly StreamPosition[]): string {
  if (behind.length === 1) return `stream ${behind[0].tapStreamId}: its ${what(behind[0])} is`
  return `streams ${behind.map((p) => `${p.tapStreamId} (${what(p)})`).join(', ')} are`
}

const WAY_OUT =
  'give the tap the latest STATE the target committed; or set state_behind_slot to "reload" (load the table again under a new version, then stream) ' +
  'or to "continue" (stream from the slot\'s position and accept the gap)'

/** The refusal: one line naming the streams, their positions, the slot's and the way out. */
export function behindSlotError(
  slot: SlotPosition & { confirmedFlushLsn: Lsn },
  behind: readonly StreamPosition[],
): InputError {
  return new InputError(
    'STATE_BEHIND_SLOT',
    `${describe(behind)} behind replication slot "${slot.name}"'s confirmed_flush_lsn ${lsnText(slot.confirmedFlushLsn)}: ` +
      'the changes in between were consumed by a run whose STATE is not this one (an older STATE, or a target restored from a backup), and the server does not send them again',
    { hint: WAY_OUT },
  )
}

/** The warning of `state_behind_slot: continue`. */
export function behindSlotContinueWarning(
  slot: SlotPosition & { confirmedFlushLsn: Lsn },
  behind: readonly StreamPosition[],
): string {
  return (
    `${describe(behind)} behind replication slot "${slot.name}"'s confirmed_flush_lsn ${lsnText(slot.confirmedFlushLsn)}: ` +
    "changes in between are missing from the target; streaming resumes at the slot's position (state_behind_slot = continue)"
  )
}

export interface BehindSlotOutcome {
  /** The state the run starts from: reloaded streams have a fresh bookmark. */
  readonly state: SingerState
  /** Streams that get a fresh initial load (`reload`). */
  readonly reloaded: readonly string[]
  readonly warnings: readonly string[]
}

/**
 * What the run does with the LOG_BASED streams `tapStreamIds` before anything is read. `fail`
 * throws the refusal (the whole run stops before any output: a partial run would write STATE
 * lines, and the refusal must be the one thing the user sees); `reload` gives each behind stream a
 * fresh initial load under a new version (lsn, version, xmin and chunk state dropped; the load takes
 * a new lsn); `continue` changes nothing here: the replication run warns and streams from the
 * slot's position, as before this setting existed.
 */
export function settleBehindSlot(
  policy: StateBehindSlot,
  slot: SlotPosition | undefined,
  tapStreamIds: readonly string[],
  state: SingerState,
): BehindSlotOutcome {
  const unchanged = { state, reloaded: [], warnings: [] }
  if (slot === undefined || slot.confirmedFlushLsn === null || policy === 'continue') return unchanged
  const behind = positionsBehindSlot(
    tapStreamIds.map((id) => streamPosition(id, getBookmark(state, id))),
    slot.confirmedFlushLsn,
  )
  if (behind.length === 0) return unchanged
  const confirmed = { name: slot.name, confirmedFlushLsn: slot.confirmedFlushLsn }
  if (policy === 'fail') throw behindSlotError(confirmed, behind)
  let out = state
  const warnings: string[] = []
  for (const p of behind) {
    const last = getBookmark(state, p.tapStreamId).last_replication_method
    out = {
      ...out,
      bookmarks: {
        ...out.bookmarks,
        [p.tapStreamId]: last === undefined ? {} : { last_replication_method: last },
      },
    }
    warnings.push(
      `${describe([p])} behind replication slot "${slot.name}"'s confirmed_flush_lsn ${lsnText(slot.confirmedFlushLsn)}: ` +
        'the changes in between cannot be read again; loading the table again under a new version (state_behind_slot = reload)',
    )
  }
  return { state: out, reloaded: behind.map((p) => p.tapStreamId), warnings }
}
