/**
 * Chunked loads, the pure part: how a big table is cut into chunks by physical position (ctid page
 * ranges), which chunks are done (compact index ranges), and whether a stream is chunked at all.
 * No I/O here; the SQL is in chunk-facts.ts and pg/sql.ts, the run in chunked-stream.ts.
 */

/** A table's chunks: `ceil(pages / size)` ranges of `size` pages. */
export interface ChunkPlan {
  /** Heap pages when the plan was made. */
  readonly pages: number
  /** Pages per chunk. */
  readonly size: number
}

/** Pages `[from, to)`; no `to` for the last chunk, so rows on pages added since the plan are read too. */
export interface PageRange {
  readonly from: number
  readonly to?: number
}

export function chunkCount(plan: ChunkPlan): number {
  return Math.max(1, Math.ceil(plan.pages / plan.size))
}

export function chunkPages(plan: ChunkPlan, index: number): PageRange {
  const n = chunkCount(plan)
  if (!Number.isInteger(index) || index < 0 || index >= n)
    throw new RangeError(`chunk ${index} is not in 0..${n - 1}`)
  const from = index * plan.size
  return index === n - 1 ? { from } : { from, to: from + plan.size }
}

/**
 * Chunks of at most about `chunkRows` rows each, all of the same page count (so the work is even),
 * or undefined when the table fits one chunk. Rows per page come from the estimate, so a table whose
 * rows are unevenly spread gets uneven chunks; that only changes how well the work is balanced.
 */
export function planChunks(pages: number, estimatedRows: number, chunkRows: number): ChunkPlan | undefined {
  if (!(chunkRows > 0) || !(pages >= 2) || !(estimatedRows > chunkRows)) return undefined
  const wanted = Math.min(pages, Math.ceil(estimatedRows / chunkRows))
  if (wanted < 2) return undefined
  const plan = { pages, size: Math.ceil(pages / wanted) }
  return chunkCount(plan) >= 2 ? plan : undefined
}

/**
 * The rows a table holds now, from the planner's statistics scaled to its current size (as the
 * planner does), or the statistics collector's live-tuple count when it was never analysed.
 */
export function estimateRows(facts: {
  readonly pages: number
  readonly reltuples: number
  readonly relpages: number
  readonly liveTuples: number
}): number {
  if (facts.reltuples >= 0 && facts.relpages > 0)
    return Math.round((facts.reltuples / facts.relpages) * facts.pages)
  if (facts.reltuples > 0) return facts.reltuples
  return Math.max(0, facts.liveTuples)
}

// ------------------------------------------------------------------------------ index ranges

/** Chunk indexes as sorted, disjoint, non-touching half-open ranges `[first, end)`. */
export type IndexRanges = ReadonlyArray<readonly [number, number]>

/** Sorted and merged; throws on a range that is not `[a, b)` with integers `0 <= a < b`. */
export function normalizeRanges(ranges: IndexRanges): IndexRanges {
  for (const r of ranges) {
    if (
      !Array.isArray(r) ||
      r.length !== 2 ||
      !Number.isSafeInteger(r[0]) ||
      !Number.isSafeInteger(r[1]) ||
      r[0] < 0 ||
      r[0] >= r[1]
    ) {
      throw new RangeError(`not an index range: ${JSON.stringify(r)}`)
    }
  }
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: Array<[number, number]> = []
  for (const [a, b] of sorted) {
    const last = out.at(-1)
    if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b)
    else out.push([a, b])
  }
  return out
}

export function addIndex(ranges: IndexRanges, index: number): IndexRanges {
  return normalizeRanges([...ranges, [index, index + 1]])
}

export function hasIndex(ranges: IndexRanges, index: number): boolean {
  return ranges.some(([a, b]) => index >= a && index < b)
}

export function countIndexes(ranges: IndexRanges): number {
  return ranges.reduce((n, [a, b]) => n + (b - a), 0)
}

/** The indexes below `count` that `ranges` holds, or does not hold. */
export function indexesOf(ranges: IndexRanges, count: number, held: boolean): number[] {
  const out: number[] = []
  for (let i = 0; i < count; i++) if (hasIndex(ranges, i) === held) out.push(i)
  return out
}

// ---------------------------------------------------------------------------------- decision

/** What the run knows about a table that could be chunked. */
export interface TableFacts {
  readonly pages: number
  readonly estimatedRows: number
  /** pg_relation_filenode: changes when the table is rewritten (VACUUM FULL, CLUSTER, TRUNCATE). */
  readonly relfilenode: number
}

/** A chunk plan found in the stream's bookmark (see chunk-state.ts). */
export interface ResumablePlan extends ChunkPlan {
  readonly relfilenode: number
}

export interface ChunkingInput {
  /** The chunk_rows setting; 0 turns chunking off. */
  readonly chunkRows: number
  /** server_version_num: TID range scans need PostgreSQL 14. */
  readonly serverVersion: number
  /** FULL_TABLE, or a LOG_BASED initial load, of an ordinary table (not a view, not partitioned). */
  readonly eligible: boolean
  /** Facts about the table; undefined when they could not be read. */
  readonly table?: TableFacts
  /** The bookmark resumes an xmin-ordered read (pipelinewise's, or an earlier unchunked run). */
  readonly xminResume: boolean
  /** The bookmark's chunk plan; 'invalid' when the bookmark has one that cannot be read. */
  readonly saved?: ResumablePlan | 'invalid'
}

export type ChunkingDecision =
  | { readonly mode: 'single'; readonly note?: string }
  | { readonly mode: 'fresh'; readonly plan: ChunkPlan; readonly note?: string }
  | { readonly mode: 'resume' }

const TID_RANGE_SCAN_VERSION = 140000

export function decideChunking(input: ChunkingInput): ChunkingDecision {
  const { chunkRows, serverVersion, table, saved } = input
  const usable =
    input.eligible && chunkRows > 0 && serverVersion >= TID_RANGE_SCAN_VERSION && table !== undefined
  // A saved plan is only worth keeping when it still describes where the rows are.
  let note: string | undefined
  if (saved !== undefined && usable) {
    if (saved !== 'invalid' && saved.relfilenode === table.relfilenode) return { mode: 'resume' }
    note =
      saved === 'invalid'
        ? 'the chunk state in the bookmark cannot be read; starting the load again'
        : 'the table was rewritten since the chunked load started (VACUUM FULL, CLUSTER or TRUNCATE); starting the load again'
  } else if (saved !== undefined) {
    note =
      'chunked reads are not possible now (chunk_rows 0, PostgreSQL before 14, or not a plain table); starting the load again'
  }
  if (!usable || (input.xminResume && note === undefined))
    return note === undefined ? { mode: 'single' } : { mode: 'single', note }
  const plan = planChunks(table.pages, table.estimatedRows, chunkRows)
  if (plan === undefined) return note === undefined ? { mode: 'single' } : { mode: 'single', note }
  return note === undefined ? { mode: 'fresh', plan } : { mode: 'fresh', plan, note }
}
