/**
 * INCREMENTAL with `limit` over a run of tied keys, through the built CLI, run after run, each run
 * resumed from the last STATE of the one before (its raw text, so a bigint bookmark keeps its
 * digits): every row with a key is delivered within a bounded number of runs, each run moves the
 * bookmark past the one it started from and delivers at least `limit` new rows (or all that are
 * left), and no STATE ever moves the bookmark backwards. A plain `LIMIT` re-read the same `limit`
 * rows forever once more than `limit` rows shared the bookmark's value.
 * Read through the INCREMENTAL cursor (bookmark and limit as bound parameters, `itersize` 7 rows per
 * FETCH, so runs span many pages).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig, writeJsonFile } from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import { discoverCatalog, expectSuccess, records, selectStreams, writeCatalog } from './catalog-helpers.js'
import type { Catalog } from '../../src/singer/catalog-types.js'

type KeyType = 'timestamptz' | 'bigint'

interface Case {
  table: string
  keyType: KeyType
  /** Sizes of the groups of equal keys, in key order; ids are numbered 1.. in key order. */
  groups: number[]
  /** Rows with a NULL key, ids after the others. */
  nulls?: number
  index?: boolean
  limit: number
}

const CASES: Record<string, Case> = {
  // The issue's case: 60 rows, 50 of them with one updated_at (ties at the very start), limit 10.
  issue: { table: 'issue', keyType: 'timestamptz', groups: [50, ...ones(10)], index: true, limit: 10 },
  boundary: {
    table: 'boundary',
    keyType: 'bigint',
    groups: [...ones(8), 12, ...ones(20), 15, ...ones(3)],
    limit: 10,
  },
  middle: {
    table: 'middle',
    keyType: 'timestamptz',
    groups: [3, 25, 2, 10, ...ones(5), 9, 9],
    index: true,
    limit: 4,
  },
  nulls: {
    table: 'with_nulls',
    keyType: 'bigint',
    groups: [...ones(5), 12, ...ones(13)],
    nulls: 5,
    index: true,
    limit: 10,
  },
  fewNulls: { table: 'few_nulls', keyType: 'timestamptz', groups: [2, 1], nulls: 2, limit: 10 },
}

function ones(n: number): number[] {
  return Array.from({ length: n }, () => 1)
}

/** Group g's key: microseconds apart (a bookmark losing them would skip rows), or digits past 2^53. */
function keySql(type: KeyType, group: number): string {
  return type === 'timestamptz'
    ? `'2024-02-29 23:59:59.999990+00'::timestamptz + ${group} * interval '1 microsecond'`
    : `9223372036854775000 + ${group}`
}

/** The group of each id (null: a NULL key). */
function groupsOf(c: Case): Map<number, number | null> {
  const m = new Map<number, number | null>()
  let id = 1
  c.groups.forEach((size, g) => {
    for (let i = 0; i < size; i++) m.set(id++, g)
  })
  for (let i = 0; i < (c.nulls ?? 0); i++) m.set(id++, null)
  return m
}

/** A bookmark's raw JSON text as a number to compare: microseconds since the epoch, or the integer. */
function keyOrder(type: KeyType, raw: string): bigint {
  if (type === 'bigint') return BigInt(raw)
  const m = /^"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{6}))?(\+00:00)"$/.exec(raw)
  if (!m) throw new Error(`not a timestamp bookmark: ${raw}`)
  return BigInt(Date.parse(m[1] + m[3])) * 1000n + BigInt(m[2] ?? '0')
}

interface Run {
  ids: number[]
  /** The stream's replication_key_value in each STATE, raw JSON text (undefined: none yet). */
  bookmarks: Array<string | undefined>
  /** The value of the last STATE, raw JSON text. */
  state: string
}

const STATE_PREFIX = '{"type":"STATE","value":'

let db: string
let catalog: Catalog

beforeAll(async () => {
  db = await createTestDatabase('incr_ties')
  await withAdmin(db, async (c) => {
    for (const cs of Object.values(CASES)) {
      await c.query(`CREATE TABLE ${cs.table} (id int PRIMARY KEY, k ${cs.keyType}, v text)`)
      // Inserted newest key first, so the physical order is not the key order.
      const rows = [...groupsOf(cs)]
        .reverse()
        .map(([id, g]) => `(${id}, ${g === null ? 'NULL' : keySql(cs.keyType, g)}, 'v${id}')`)
      await c.query(`INSERT INTO ${cs.table} VALUES ${rows.join(', ')}`)
      if (cs.index) await c.query(`CREATE INDEX ON ${cs.table} (k)`)
    }
    await c.query('ANALYZE')
  })
  catalog = await discoverCatalog(writeConfig(db))
})

afterAll(async () => {
  await dropTestDatabase(db)
})

describe('INCREMENTAL with `limit` over a run of tied keys', () => {
  async function syncOnce(c: Case, state: string | undefined): Promise<Run> {
    const stream = `public-${c.table}`
    const cat = writeCatalog(selectStreams(catalog, { [c.table]: { method: 'INCREMENTAL', key: 'k' } }))
    const args = ['sync', '--config', writeConfig(db, { limit: c.limit, itersize: 7 }), '--catalog', cat]
    if (state !== undefined) args.push('--state', writeJsonFile('state.json', state))
    const r = await runTap(args)
    expectSuccess(r)
    const stateLines = r.stdout.split('\n').filter((l) => l.startsWith(STATE_PREFIX))
    const bookmarks = stateLines.map((l) => /"replication_key_value":("[^"]*"|[^,}]+)/.exec(l)?.[1])
    return {
      ids: records(r.messages, stream).map((x) => x.id as number),
      bookmarks,
      state: stateLines.at(-1)!.slice(STATE_PREFIX.length, -1),
    }
  }

  /**
   * Runs the tap until every id with a key has been delivered (at most the number of runs a plain
   * LIMIT would need without ties, plus one), checking every run, then once more.
   */
  async function syncUntilDelivered(c: Case): Promise<Run[]> {
    const groups = groupsOf(c)
    const keyed = [...groups].filter(([, g]) => g !== null).map(([id]) => id)
    const maxRuns = Math.ceil(keyed.length / c.limit) + 1
    const delivered = new Set<number>()
    const runs: Run[] = []
    let previous: bigint | undefined
    let state: string | undefined
    while (keyed.some((id) => !delivered.has(id))) {
      expect(runs.length, `all ids with a key delivered within ${maxRuns} runs`).toBeLessThan(maxRuns)
      const run = await syncOnce(c, state)
      runs.push(run)
      // Key order within the run: groups never go down (NULL keys last).
      const order = run.ids.map((id) => groups.get(id) ?? Infinity)
      expect(order).toEqual([...order].sort((a, b) => a - b))
      // Progress: at least `limit` rows beyond the bookmark the run started from, or all that are left.
      const left = keyed.filter((id) => !delivered.has(id))
      const fresh = new Set(run.ids.filter((id) => !delivered.has(id)))
      expect(fresh.size).toBeGreaterThanOrEqual(Math.min(c.limit, left.length))
      for (const id of run.ids) delivered.add(id)
      // Never backwards, also between runs; strictly forwards from run to run while rows are left.
      for (const raw of run.bookmarks) {
        if (raw === undefined) continue
        expect(raw).not.toBe('null')
        const k = keyOrder(c.keyType, raw)
        if (previous !== undefined) expect(k >= previous).toBe(true)
        previous = k
      }
      const end = run.bookmarks.at(-1)
      expect(end).toBeDefined()
      if (runs.length > 1)
        expect(keyOrder(c.keyType, end!) > keyOrder(c.keyType, runs.at(-2)!.bookmarks.at(-1)!)).toBe(true)
      state = run.state
    }
    // Caught up: the next run reads the last key's rows again and keeps the bookmark.
    const last = c.groups.length - 1
    const again = await syncOnce(c, state)
    expect(sorted(again.ids)).toEqual([...groups].filter(([, g]) => g === last).map(([id]) => id))
    expect(again.bookmarks.at(-1)).toBe(runs.at(-1)!.bookmarks.at(-1))
    return runs
  }

  it("the issue's case: 60 rows, 50 with one updated_at, limit 10", async () => {
    const runs = await syncUntilDelivered(CASES.issue)
    // The first run reads the whole tie group (more than `limit` rows), the second the rest.
    expect(runs.map((r) => r.ids.length)).toEqual([50, 60])
    expect(new Set(runs[0].ids)).toEqual(new Set(range(1, 50)))
    expect(runs[0].bookmarks.at(-1)).toBe('"2024-02-29T23:59:59.999990+00:00"')
    expect(runs[1].bookmarks.at(-1)).toBe('"2024-03-01T00:00:00+00:00"')
  })

  it('ties spanning the limit boundary (bigint key past 2^53)', async () => {
    const runs = await syncUntilDelivered(CASES.boundary)
    // Run 1: 8 single keys, then the 10th row falls in the 12-row group: all of it.
    expect(runs[0].ids).toHaveLength(20)
    expect(runs[0].bookmarks.at(-1)).toBe('9223372036854775008')
    expect(runs.at(-1)!.bookmarks.at(-1)).toBe(
      String(9223372036854775000n + BigInt(CASES.boundary.groups.length - 1)),
    )
  })

  it('tie groups larger than limit in the middle, the bookmark landing on them', async () => {
    await syncUntilDelivered(CASES.middle)
  })

  it('NULL keys never move the bookmark', async () => {
    const runs = await syncUntilDelivered(CASES.nulls)
    expect(runs.flatMap((r) => r.bookmarks).every((b) => b === undefined || /^\d+$/.test(b))).toBe(true)
  })

  it('a first run reaching the end of the keys also reads the NULL keys, as without limit', async () => {
    const runs = await syncUntilDelivered(CASES.fewNulls)
    expect(runs).toHaveLength(1)
    expect(sorted(runs[0].ids)).toEqual(range(1, 5))
    expect(runs[0].bookmarks.at(-1)).toBe('"2024-02-29T23:59:59.999991+00:00"')
  })
})

function sorted(ids: number[]): number[] {
  return [...ids].sort((a, b) => a - b)
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}
