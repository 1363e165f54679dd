import { describe, expect, it } from 'vitest'
import {
  addIndex,
  chunkCount,
  chunkPages,
  countIndexes,
  decideChunking,
  estimateRows,
  hasIndex,
  indexesOf,
  normalizeRanges,
  planChunks,
  type ChunkingInput,
} from '../../src/sync/chunk-plan.js'
import { chunkStateOf, chunkStateValue } from '../../src/sync/chunk-state.js'
import { parseState } from '../../src/singer/read-inputs.js'
import { stateJson, type Bookmark } from '../../src/singer/state.js'
import { fullTableCopy } from '../../src/pg/sql.js'

describe('chunk plan', () => {
  it('cuts a table into even page ranges of at most about chunk_rows rows; the last range is open-ended', () => {
    const plan = planChunks(1000, 500_000, 50_000)
    expect(plan).toEqual({ pages: 1000, size: 100 })
    expect(chunkCount(plan!)).toBe(10)
    expect(chunkPages(plan!, 0)).toEqual({ from: 0, to: 100 })
    expect(chunkPages(plan!, 9)).toEqual({ from: 900 })
    expect(() => chunkPages(plan!, 10)).toThrow(RangeError)
    // 1.2 chunks' worth of rows: two even chunks rather than a big one and a sliver.
    expect(planChunks(1200, 1_200_000, 1_000_000)).toEqual({ pages: 1200, size: 600 })
  })

  it('does not chunk a table that fits one chunk, chunking turned off, or a table of one page', () => {
    expect(planChunks(1000, 50_000, 50_000)).toBeUndefined()
    expect(planChunks(1000, 500_000, 0)).toBeUndefined()
    expect(planChunks(1, 500_000, 10)).toBeUndefined()
    // Never more chunks than pages.
    expect(chunkCount(planChunks(3, 1_000_000, 10)!)).toBe(3)
  })

  it('estimates rows from the statistics scaled to the current size, else from the live-tuple count', () => {
    expect(estimateRows({ pages: 200, reltuples: 1000, relpages: 100, liveTuples: 7 })).toBe(2000)
    expect(estimateRows({ pages: 200, reltuples: -1, relpages: 0, liveTuples: 777 })).toBe(777)
    expect(estimateRows({ pages: 0, reltuples: 0, relpages: 0, liveTuples: 0 })).toBe(0)
  })
})

describe('done ranges', () => {
  it('stay compact: sorted, merged half-open index ranges', () => {
    let r = normalizeRanges([])
    for (const i of [3, 0, 1, 7, 2, 8]) r = addIndex(r, i)
    expect(r).toEqual([
      [0, 4],
      [7, 9],
    ])
    expect(countIndexes(r)).toBe(6)
    expect(hasIndex(r, 3)).toBe(true)
    expect(hasIndex(r, 4)).toBe(false)
    expect(indexesOf(r, 10, false)).toEqual([4, 5, 6, 9])
    expect(indexesOf(r, 10, true)).toEqual([0, 1, 2, 3, 7, 8])
    expect(addIndex(r, 3)).toEqual(r)
    expect(() => normalizeRanges([[2, 2]])).toThrow(RangeError)
    expect(() => normalizeRanges([[-1, 2]])).toThrow(RangeError)
  })
})

describe('chunking decision', () => {
  const table = { pages: 1000, estimatedRows: 500_000, relfilenode: 16384 }
  const base: ChunkingInput = {
    chunkRows: 50_000,
    serverVersion: 150004,
    eligible: true,
    table,
    xminResume: false,
  }

  it('plans a big ordinary table on PostgreSQL 14+', () => {
    expect(decideChunking(base)).toEqual({ mode: 'fresh', plan: { pages: 1000, size: 100 } })
  })

  it('falls back to the single-cursor read: PostgreSQL 13, chunk_rows 0, views and partitioned tables, small tables, no facts', () => {
    expect(decideChunking({ ...base, serverVersion: 130010 })).toEqual({ mode: 'single' })
    expect(decideChunking({ ...base, chunkRows: 0 })).toEqual({ mode: 'single' })
    expect(decideChunking({ ...base, eligible: false })).toEqual({ mode: 'single' })
    expect(decideChunking({ ...base, table: { ...table, estimatedRows: 40_000 } })).toEqual({
      mode: 'single',
    })
    expect(decideChunking({ ...base, table: undefined })).toEqual({ mode: 'single' })
  })

  it('keeps an xmin-ordered read in progress unchunked (same version, same order)', () => {
    expect(decideChunking({ ...base, xminResume: true })).toEqual({ mode: 'single' })
  })

  it('resumes a saved plan of the same table file; starts again when the table was rewritten or the plan is unreadable', () => {
    expect(decideChunking({ ...base, saved: { pages: 10, size: 5, relfilenode: 16384 } })).toEqual({
      mode: 'resume',
    })
    const rewritten = decideChunking({ ...base, saved: { pages: 10, size: 5, relfilenode: 99 } })
    expect(rewritten).toMatchObject({ mode: 'fresh', plan: { pages: 1000, size: 100 } })
    expect((rewritten as { note: string }).note).toMatch(/rewritten/)
    expect(decideChunking({ ...base, saved: 'invalid' })).toMatchObject({
      mode: 'fresh',
      note: expect.stringMatching(/cannot be read/),
    })
    expect(
      decideChunking({ ...base, chunkRows: 0, saved: { pages: 10, size: 5, relfilenode: 16384 } }),
    ).toMatchObject({ mode: 'single', note: expect.stringMatching(/not possible/) })
  })
})

describe('chunk state in the bookmark', () => {
  it('round-trips through STATE text exactly, LSN as an integer', () => {
    const value = chunkStateValue({
      pages: 8334,
      size: 834,
      done: [
        [0, 3],
        [5, 6],
      ],
      relfilenode: 16384,
      snapshotXmax: 730,
      snapshotXip: [726, 728],
      snapshotLsn: 9007199254740993n,
    })
    const bookmark: Bookmark = { last_replication_method: 'LOG_BASED', version: 1700000000000, chunks: value }
    const text = stateJson({ currently_syncing: null, bookmarks: { 'public-big': bookmark } })
    expect(text).toBe(
      '{"currently_syncing":null,"bookmarks":{"public-big":{"last_replication_method":"LOG_BASED","version":1700000000000,' +
        '"chunks":{"pages":8334,"size":834,"done":[[0,3],[5,6]],"relfilenode":16384,"snapshot_xmax":730,"snapshot_xip":[726,728],"snapshot_lsn":9007199254740993}}}}',
    )
    // A state file read back (numbers exact: bigint beyond 2^53) keeps the key as it was.
    const read = parseState({
      bookmarks: {
        'public-big': { last_replication_method: 'LOG_BASED', version: 1700000000000, chunks: value },
      },
    })
    expect(chunkStateOf(read.bookmarks['public-big'])).toEqual({
      pages: 8334,
      size: 834,
      done: [
        [0, 3],
        [5, 6],
      ],
      relfilenode: 16384,
      snapshotXmax: 730,
      snapshotXip: [726, 728],
      snapshotLsn: 9007199254740993n,
    })
  })

  it('is absent, or invalid when it cannot describe the load', () => {
    expect(chunkStateOf({ version: 1 })).toBeUndefined()
    const ok = { pages: 10, size: 5, done: [], relfilenode: 1, snapshot_xmax: 2 }
    expect(chunkStateOf({ version: 1, chunks: ok })).toEqual({
      pages: 10,
      size: 5,
      done: [],
      relfilenode: 1,
      snapshotXmax: 2,
      snapshotXip: [],
    })
    expect(chunkStateOf({ version: 1, chunks: { ...ok, snapshot_xip: [1, 'x'] } })).toBe('invalid')
    expect(chunkStateOf({ chunks: ok })).toBe('invalid')
    expect(chunkStateOf({ version: 1, chunks: { ...ok, done: [[0, 3]] } })).toBe('invalid')
    expect(chunkStateOf({ version: 1, chunks: { ...ok, done: [[1, 0]] } })).toBe('invalid')
    expect(chunkStateOf({ version: 1, chunks: { ...ok, size: 0 } })).toBe('invalid')
    expect(chunkStateOf({ version: 1, chunks: { ...ok, snapshot_lsn: 'x' } })).toBe('invalid')
    expect(chunkStateOf({ version: 1, chunks: [] })).toBe('invalid')
  })
})

describe('chunk query', () => {
  it('selects a page range by ctid (a TID Range Scan), open-ended for the last chunk, optionally rows a snapshot did not see', () => {
    const base = { schemaName: 'public', tableName: 'big', columns: ['id'], order: 'unordered' as const }
    expect(fullTableCopy({ ...base, pages: { from: 100, to: 200 } })).toBe(
      `COPY (SELECT "id" FROM "public"."big" WHERE ctid >= '(100,0)'::tid AND ctid < '(200,0)'::tid) TO STDOUT`,
    )
    expect(fullTableCopy({ ...base, pages: { from: 900 } })).toBe(
      `COPY (SELECT "id" FROM "public"."big" WHERE ctid >= '(900,0)'::tid) TO STDOUT`,
    )
    expect(
      fullTableCopy({ ...base, pages: { from: 0, to: 100, changedSince: { xmax: 730, xip: [] } } }),
    ).toBe(
      `COPY (SELECT "id" FROM "public"."big" WHERE ctid >= '(0,0)'::tid AND ctid < '(100,0)'::tid AND age(xmin) <= age('730'::xid)) TO STDOUT`,
    )
    expect(
      fullTableCopy({ ...base, pages: { from: 0, to: 100, changedSince: { xmax: 730, xip: [726, 728] } } }),
    ).toBe(
      `COPY (SELECT "id" FROM "public"."big" WHERE ctid >= '(0,0)'::tid AND ctid < '(100,0)'::tid AND (age(xmin) <= age('730'::xid) OR xmin = ANY('{726,728}'::xid[]))) TO STDOUT`,
    )
    expect(() => fullTableCopy({ ...base, pages: { from: 1.5 } })).toThrow(RangeError)
  })
})
