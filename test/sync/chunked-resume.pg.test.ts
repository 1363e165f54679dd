/**
 * Resuming a chunked load killed after a few chunks: only the unfinished chunks are read again, every
 * key is there; rows that moved into finished chunks between the runs are re-read (recheck); a table
 * rewritten in between starts the load again.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  adminConfig,
  createTestDatabase,
  dropTestDatabase,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { runTap, type SingerMessage } from '../harness/run-tap.js'
import { discoverCatalog, expectSuccess, records, selectStreams, writeCatalog } from './catalog-helpers.js'

let db: string

beforeAll(async () => {
  db = await createTestDatabase('chunked_resume')
})

afterAll(async () => {
  await dropTestDatabase(db)
})

interface Chunks {
  pages: number
  size: number
  done: Array<[number, number]>
}
type StateValue = {
  currently_syncing: string | null
  bookmarks: Record<string, { version?: number; chunks?: Chunks; xmin?: number | null }>
}

async function makeTable(name: string, rows: number): Promise<void> {
  await withAdmin(db, async (c) => {
    await c.query(`CREATE TABLE ${name} (id int PRIMARY KEY, v int NOT NULL, pad text)`)
    await c.query(`INSERT INTO ${name} SELECT g, 0, repeat('p', 60) FROM generate_series(1, ${rows}) g`)
    await c.query(`ANALYZE ${name}`)
  })
}

async function pagesById(table: string): Promise<Map<number, number>> {
  return withAdmin(db, async (c) => {
    const r = await c.query<{ id: string; page: string }>(
      `SELECT id, (ctid::text::point)[0]::int AS page FROM ${table}`,
    )
    return new Map(r.rows.map((row) => [Number(row.id), Number(row.page)]))
  })
}

function doneCount(stateLine: string): number {
  const value = (JSON.parse(stateLine) as { value: StateValue }).value
  return Object.values(value.bookmarks).reduce(
    (n, b) => n + (b.chunks?.done ?? []).reduce((m, [a, z]) => m + z - a, 0),
    0,
  )
}

/**
 * A run killed (SIGKILL) once a STATE says `chunks` chunks are done; what a target would have committed.
 * The configs write every due STATE (state_interval_seconds 0), so that STATE comes.
 */
async function killedRun(
  config: string,
  catalog: string,
  chunks: number,
): Promise<{ ids: number[]; state: StateValue }> {
  const first = await runTap(['sync', '--config', config, '--catalog', catalog], {
    timeoutMs: 120_000,
    onLine: (line, child) => {
      if (line.startsWith('{"type":"STATE"') && doneCount(line) >= chunks) child.kill('SIGKILL')
    },
  })
  expect(first.signal).toBe('SIGKILL')
  let last = -1
  first.messages.forEach((m: SingerMessage, i) => {
    if (m.type === 'STATE') last = i
  })
  const upTo = first.messages.slice(0, last + 1)
  return { ids: records(upTo).map((r) => r.id as number), state: first.messages[last].value as StateValue }
}

function inDoneChunk(page: number, c: Chunks): boolean {
  const index = Math.min(Math.floor(page / c.size), Math.ceil(c.pages / c.size) - 1)
  return c.done.some(([a, b]) => index >= a && index < b)
}

describe('chunked load: kill and resume', () => {
  it('resumes with only the unfinished chunks; every key present; finished chunks not read again', async () => {
    const ROWS = 200_000
    await makeTable('res', ROWS)
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(writeConfig(db)), { res: { method: 'FULL_TABLE' } }),
    )
    const config = writeConfig(db, {
      chunk_rows: 20_000,
      max_workers: 2,
      itersize: 1000,
      state_interval_seconds: 0,
    })
    const run1 = await killedRun(config, catalog, 3)
    const chunks = run1.state.bookmarks['public-res'].chunks as Chunks
    const version = run1.state.bookmarks['public-res'].version
    const finished = chunks.done.reduce((n, [a, b]) => n + b - a, 0)
    expect(finished).toBeGreaterThanOrEqual(3)
    expect(finished).toBeLessThan(Math.ceil(chunks.pages / chunks.size))

    const run2 = await runTap(
      ['sync', '--config', config, '--catalog', catalog, '--state', writeJsonFile('state.json', run1.state)],
      { timeoutMs: 120_000 },
    )
    expectSuccess(run2)
    expect(run2.stderr).toMatch(
      new RegExp(
        `Resuming FULL_TABLE sync of public\\.res: ${finished}/10 chunks done by an earlier run, ${10 - finished} to read, ${finished} to recheck`,
      ),
    )
    const again = records(run2.messages, 'public-res').map((r) => r.id as number)
    const pages = await pagesById('res')
    // Nothing from the finished chunks (no row changed in between), each remaining key once.
    expect(again.filter((id) => inDoneChunk(pages.get(id) as number, chunks))).toEqual([])
    expect(new Set(again).size).toBe(again.length)
    const seen = new Set([...run1.ids, ...again])
    expect(seen.size).toBe(ROWS)
    // The same version: the closing ACTIVATE_VERSION only, after the rows.
    const activations = run2.messages.filter((m) => m.type === 'ACTIVATE_VERSION')
    expect(activations.map((m) => m.version)).toEqual([version])
    expect(run2.messages.findIndex((m) => m.type === 'ACTIVATE_VERSION')).toBeGreaterThan(
      run2.messages.findLastIndex((m) => m.type === 'RECORD'),
    )
    const last = run2.messages.at(-1)?.value as StateValue
    expect(last.bookmarks['public-res']).toEqual({
      last_replication_method: 'FULL_TABLE',
      version,
      xmin: null,
    })
  })

  it('re-reads rows that an update moved into a finished chunk between the runs, and only those', async () => {
    // A transaction older than the table, open during the first run: the snapshot's xmin is older
    // than every row, but the rows are not newer than the snapshot.
    const old = new pg.Client(adminConfig(db))
    await old.connect()
    await old.query('BEGIN')
    await old.query('SELECT pg_current_xact_id()')
    const ROWS = 100_000
    await makeTable('mov', ROWS)
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(writeConfig(db)), { mov: { method: 'FULL_TABLE' } }),
    )
    const config = writeConfig(db, {
      chunk_rows: 10_000,
      max_workers: 1,
      itersize: 1000,
      state_interval_seconds: 0,
    })
    const run1 = await killedRun(config, catalog, 3)
    await old.query('ROLLBACK')
    await old.end()
    const chunks = run1.state.bookmarks['public-mov'].chunks as Chunks & { snapshot_xip?: number[] }
    expect(chunks.done[0][0]).toBe(0)
    expect(chunks.snapshot_xip?.length).toBeGreaterThan(0)
    // Free space at the start of the table, then updates of rows at its end land there.
    await withAdmin(db, async (c) => {
      await c.query('DELETE FROM mov WHERE id <= 3000')
      await c.query('VACUUM mov')
      await c.query('UPDATE mov SET v = -1 WHERE id > 90000 AND id <= 91000')
    })
    const pages = await pagesById('mov')
    const moved = [...pages]
      .filter(([id, page]) => id > 90000 && id <= 91000 && inDoneChunk(page, chunks))
      .map(([id]) => id)
    expect(moved.length).toBeGreaterThan(500)

    const run2 = await runTap(
      ['sync', '--config', config, '--catalog', catalog, '--state', writeJsonFile('state.json', run1.state)],
      { timeoutMs: 120_000 },
    )
    expectSuccess(run2)
    const again = new Map(records(run2.messages, 'public-mov').map((r) => [r.id as number, r.v as number]))
    for (const id of moved) expect(again.get(id), `moved row ${id}`).toBe(-1)
    const seen = new Set([...run1.ids, ...again.keys()])
    for (const id of pages.keys()) expect(seen.has(id), `row ${id}`).toBe(true)
    // Only the rows written since: the rest of the finished chunks is not sent again.
    const fromDone = [...again.keys()].filter((id) => inDoneChunk(pages.get(id) as number, chunks))
    expect(fromDone.every((id) => id > 90000 && id <= 91000)).toBe(true)
  })

  it('a run killed after its last chunk but before the closing messages: the next run only closes the load', async () => {
    const pages = await pagesById('res')
    const [row] = await withAdmin(
      db,
      async (c) =>
        (
          await c.query<{ f: string; p: string; x: string }>(
            `SELECT pg_relation_filenode('res')::text AS f, (pg_relation_size('res') / 8192)::text AS p,
              (pg_snapshot_xmax(pg_current_snapshot())::text::bigint % 4294967296)::text AS x`,
          )
        ).rows,
    )
    const size = Math.ceil(Number(row.p) / 10)
    const chunks = {
      pages: Number(row.p),
      size,
      done: [[0, 10]],
      relfilenode: Number(row.f),
      snapshot_xmax: Number(row.x),
    }
    const state = {
      currently_syncing: 'public-res',
      bookmarks: { 'public-res': { last_replication_method: 'FULL_TABLE', version: 1700000000000, chunks } },
    }
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(writeConfig(db)), { res: { method: 'FULL_TABLE' } }),
    )
    const r = await runTap(
      [
        'sync',
        '--config',
        writeConfig(db, { chunk_rows: 20_000 }),
        '--catalog',
        catalog,
        '--state',
        writeJsonFile('state.json', state),
      ],
      { timeoutMs: 120_000 },
    )
    expectSuccess(r)
    expect(pages.size).toBe(200_000)
    // The chunks are rechecked for rows written since that snapshot: there are none.
    expect(r.stderr).toMatch(/10\/10 chunks done by an earlier run, 0 to read, 10 to recheck/)
    expect(r.messages.filter((m) => m.type === 'RECORD')).toHaveLength(0)
    expect(r.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.version)).toEqual([
      1700000000000,
    ])
    expect((r.messages.at(-1)?.value as StateValue).bookmarks['public-res']).toEqual({
      last_replication_method: 'FULL_TABLE',
      version: 1700000000000,
      xmin: null,
    })
  })

  it('starts the load again when the table was rewritten in between (VACUUM FULL)', async () => {
    const ROWS = 100_000
    await makeTable('rew', ROWS)
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(writeConfig(db)), { rew: { method: 'FULL_TABLE' } }),
    )
    const config = writeConfig(db, {
      chunk_rows: 10_000,
      max_workers: 1,
      itersize: 1000,
      state_interval_seconds: 0,
    })
    const run1 = await killedRun(config, catalog, 2)
    await withAdmin(db, (c) => c.query('VACUUM FULL rew'))
    const run2 = await runTap(
      ['sync', '--config', config, '--catalog', catalog, '--state', writeJsonFile('state.json', run1.state)],
      { timeoutMs: 120_000 },
    )
    expectSuccess(run2)
    expect(run2.stderr).toMatch(/table was rewritten since the chunked load started/)
    expect(records(run2.messages, 'public-rew')).toHaveLength(ROWS)
    const versions = new Set(run2.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.version))
    expect(versions.size).toBe(1)
    expect(versions.has(run1.state.bookmarks['public-rew'].version)).toBe(false)
  })
})
