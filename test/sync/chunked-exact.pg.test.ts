/**
 * Chunked FULL_TABLE load of a 500,000-row table (~10 chunks, max_workers 3): every key exactly once,
 * values byte for byte those of the single-cursor read, at most 3 read connections at any moment
 * (plus the exported snapshot's, the run's main connection), STATE and ACTIVATE_VERSION in place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  countActiveConnections,
  countConnectionsInLog,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
} from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  recordLines,
  recordText,
  selectStreams,
  states,
  writeCatalog,
} from './catalog-helpers.js'
import { sampleConnections, type ConnectionSample } from './chunked-helpers.js'

const ROWS = 500_000
let db: string
let catalogPath: string
let chunked: TapResult
let samples: ConnectionSample[]
let appName: string

beforeAll(async () => {
  db = await createTestDatabase('chunked_exact')
  await withAdmin(db, async (c) => {
    await c.query(
      `CREATE TABLE big (id int PRIMARY KEY, t text, n numeric(12,3), ts timestamptz, a int[], j jsonb)`,
    )
    await c.query(`INSERT INTO big SELECT g, 'row ' || g || CASE WHEN g % 7 = 0 THEN ' é"\\' ELSE '' END, g / 7.0, timestamptz '2020-01-01' + g * interval '1.5 second',
                     ARRAY[g, NULL, -g], jsonb_build_object('g', g) FROM generate_series(1, ${ROWS}) g`)
    await c.query('ANALYZE big')
  })
  catalogPath = writeCatalog(
    selectStreams(await discoverCatalog(writeConfig(db)), { big: { method: 'FULL_TABLE' } }),
  )
  appName = uniqueAppName('chunked')
  const sampler = sampleConnections(appName)
  chunked = await runTap(
    [
      'sync',
      '--config',
      writeConfig(db, {
        chunk_rows: 50_000,
        max_workers: 3,
        application_name: appName,
        state_interval_seconds: 0,
      }),
      '--catalog',
      catalogPath,
    ],
    { timeoutMs: 180_000 },
  )
  samples = await sampler.stop()
  expectSuccess(chunked)
}, 300_000)

afterAll(async () => {
  await dropTestDatabase(db)
})

function byId(lines: string[]): Map<number, string> {
  const out = new Map<number, string>()
  for (const l of lines) {
    const text = recordText(l)
    const id = Number(/^\{"id":(\d+)/.exec(text)?.[1])
    expect(out.has(id), `id ${id} twice`).toBe(false)
    out.set(id, text)
  }
  return out
}

describe('chunked FULL_TABLE load', () => {
  it('reads ~10 chunks on 3 workers, naming the chunk in the batch log lines', () => {
    expect(chunked.stderr).toMatch(
      /Starting FULL_TABLE sync of public\.big in 1\d chunks|Starting FULL_TABLE sync of public\.big in 9 chunks/,
    )
    expect(chunked.stderr).toMatch(/chunk=3\/\d+ message=Fetched \d+ rows total/)
    expect(chunked.stderr).toMatch(/message=Finished public\.big: \d+ chunks, 500,000 rows this run/)
    const workers = new Set(
      [...chunked.stderr.matchAll(/worker=(\d+) stream=public-big chunk=/g)].map((m) => m[1]),
    )
    expect(workers.size).toBe(3)
  })

  it('every key exactly once, values identical to the single-cursor read', async () => {
    const lines = recordLines(chunked.stdout, 'public-big')
    expect(lines).toHaveLength(ROWS)
    const got = byId(lines)
    const single = await runTap(
      ['sync', '--config', writeConfig(db, { chunk_rows: 0 }), '--catalog', catalogPath],
      { timeoutMs: 180_000 },
    )
    expectSuccess(single)
    expect(single.stderr).not.toMatch(/chunk/)
    const want = byId(recordLines(single.stdout, 'public-big'))
    expect(want.size).toBe(ROWS)
    let differ = 0
    for (const [id, text] of want) if (got.get(id) !== text) differ++
    expect(differ).toBe(0)
  }, 300_000)

  it('at most 3 read connections at any moment, 4 with the exported snapshot; 1 + 1 + 3 opened', async () => {
    expect(samples.length).toBeGreaterThan(10)
    expect(Math.max(...samples.map((s) => s.tableReads))).toBe(3)
    expect(Math.max(...samples.map((s) => s.all))).toBeLessThanOrEqual(3 + 1)
    // The main connection (live columns, table sizes), then the snapshot's, then one per pool thread.
    expect(countConnectionsInLog(appName)).toBe(1 + 1 + 3)
    expect(await countActiveConnections(appName)).toBe(0)
  })

  it('messages: ACTIVATE_VERSION first and last; STATE records each finished chunk, then ends as pipelinewise does', () => {
    const types = chunked.messages.map((m) => m.type)
    const firstRecord = types.indexOf('RECORD')
    expect(types.slice(0, firstRecord)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION'])
    expect(types.lastIndexOf('ACTIVATE_VERSION')).toBeGreaterThan(types.lastIndexOf('RECORD'))
    expect(types.at(-1)).toBe('STATE')
    const all = states(chunked.messages).map((s) => s.bookmarks['public-big'])
    const chunkStates = all
      .map((b) => b.chunks as { done: number[][]; pages: number; size: number } | undefined)
      .filter((c) => c !== undefined)
    const count = Math.ceil(chunkStates[0].pages / chunkStates[0].size)
    // One STATE before the rows, then one per chunk, each with one more chunk done.
    expect(chunkStates.map((c) => c.done.reduce((n, [a, b]) => n + b - a, 0))).toEqual(
      Array.from({ length: count + 1 }, (_, i) => i),
    )
    expect(chunkStates.at(-1)?.done).toEqual([[0, count]])
    const last = all.at(-1) as Record<string, unknown>
    expect(last).toEqual({ last_replication_method: 'FULL_TABLE', version: last.version, xmin: null })
    expect(
      chunked.messages.filter((m) => m.type === 'ACTIVATE_VERSION').every((m) => m.version === last.version),
    ).toBe(true)
  })

  it('chunks are TID Range Scans', async () => {
    const plan = await withAdmin(db, (c) =>
      c.query(`EXPLAIN SELECT id FROM big WHERE ctid >= '(100,0)'::tid AND ctid < '(200,0)'::tid`),
    )
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Tid Range Scan/)
  })
})
