/**
 * The chunk state of a chunked load, kept in the stream's bookmark next to pipelinewise's keys
 * (which keep their meaning) while the load is in progress, and removed when it completes:
 *
 *   "chunks": {"pages": 8334, "size": 834, "done": [[0, 3], [5, 6]], "relfilenode": 16384,
 *              "snapshot_xmax": 730, "snapshot_xip": [726], "snapshot_lsn": 31211520}
 *
 * - `pages`, `size`: the plan (chunk i = pages [i*size, (i+1)*size), the last one open-ended);
 * - `done`: the finished chunks as half-open index ranges `[first, end)`, so a long load stays one
 *   short line however many chunks it has;
 * - `relfilenode`: the table's file when planned; a rewrite moves every row, so the plan is dropped;
 * - `snapshot_xmax`, `snapshot_xip` (absent when empty): the transactions the first snapshot did not
 *   see (from xmax on, and those running then), as 32-bit ids; a resumed FULL_TABLE load re-reads the
 *   finished chunks' rows they wrote (an update may have moved a row there);
 * - `snapshot_lsn`: LOG_BASED only, the WAL position matching that first snapshot; it becomes the
 *   stream's `lsn` when the load completes, so streaming replays everything the load may have missed.
 */
import { normalizeRanges, type IndexRanges, type ResumablePlan } from './chunk-plan.js'
import type { Bookmark, StateValue } from '../singer/state.js'

export const CHUNKS_KEY = 'chunks'

export interface ChunkState extends ResumablePlan {
  readonly done: IndexRanges
  readonly snapshotXmax: number
  readonly snapshotXip: readonly number[]
  readonly snapshotLsn?: bigint
}

function isObject(v: unknown): v is Record<string, StateValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function int(v: StateValue | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const n = typeof v === 'bigint' ? Number(v) : v
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined
}

/** The bookmark's chunk state: undefined when it has none, 'invalid' when it has one that cannot be used. */
export function chunkStateOf(bookmark: Bookmark): ChunkState | 'invalid' | undefined {
  const v = bookmark[CHUNKS_KEY]
  if (v === undefined || v === null) return undefined
  if (!isObject(v) || bookmark.version === undefined) return 'invalid'
  const pages = int(v.pages, 1)
  const size = int(v.size, 1)
  const relfilenode = int(v.relfilenode, 0)
  const snapshotXmax = int(v.snapshot_xmax, 0, 0xffffffff)
  const xipValue = v.snapshot_xip ?? []
  const snapshotXip = Array.isArray(xipValue) ? xipValue.map((x) => int(x, 0, 0xffffffff)) : [undefined]
  if (snapshotXip.some((x) => x === undefined)) return 'invalid'
  const lsnValue = v.snapshot_lsn
  const snapshotLsn =
    typeof lsnValue === 'bigint'
      ? lsnValue
      : typeof lsnValue === 'number' && Number.isSafeInteger(lsnValue) && lsnValue >= 0
        ? BigInt(lsnValue)
        : undefined
  if (pages === undefined || size === undefined || relfilenode === undefined || snapshotXmax === undefined)
    return 'invalid'
  if (lsnValue !== undefined && lsnValue !== null && snapshotLsn === undefined) return 'invalid'
  if (!Array.isArray(v.done)) return 'invalid'
  let done: IndexRanges
  try {
    done = normalizeRanges(
      v.done.map(
        (r) =>
          (Array.isArray(r) ? r.map((x) => int(x as StateValue, 0) ?? -1) : [-1, -1]) as unknown as readonly [
            number,
            number,
          ],
      ),
    )
  } catch {
    return 'invalid'
  }
  const count = Math.ceil(pages / size)
  if (done.some(([, end]) => end > count)) return 'invalid'
  return {
    pages,
    size,
    relfilenode,
    done,
    snapshotXmax,
    snapshotXip: snapshotXip as number[],
    ...(snapshotLsn === undefined ? {} : { snapshotLsn }),
  }
}

/** The bookmark value of a chunk state. */
export function chunkStateValue(s: ChunkState): StateValue {
  const out: Record<string, StateValue> = {
    pages: s.pages,
    size: s.size,
    done: s.done.map(([a, b]) => [a, b]),
    relfilenode: s.relfilenode,
    snapshot_xmax: s.snapshotXmax,
  }
  if (s.snapshotXip.length > 0) out.snapshot_xip = [...s.snapshotXip]
  if (s.snapshotLsn !== undefined) out.snapshot_lsn = s.snapshotLsn
  return out
}
