/**
 * Row filters (stream_options custom_where_clauses) end to end, through the built CLI: FULL_TABLE
 * (fresh and resumed), INCREMENTAL (with and without `limit`), a chunked load,
 * the setting as TAP_POSTGRES_STREAM_OPTIONS JSON text, and the refusals before any output: a
 * clause that is not SQL, names an unknown column or is not boolean, a clause that would change
 * the statement, an unknown stream, and a LOG_BASED stream (its changes cannot be filtered).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Catalog } from '../../src/singer/catalog-types.js'
import {
  countConnectionsInLog,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import { LOG_BASED_PLUGINS } from '../replication/plugins.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  records,
  selectStreams,
  writeCatalog,
  type Selection,
} from './catalog-helpers.js'

let db: string
let catalog: Catalog

/** orders: ids 1..300, k = id / 4 (tie groups of 4), every 5th row `test`; note `n<id>`, and id 7 `n$1`. */
const ORDERS = 300
const BIG = 20_000

beforeAll(async () => {
  db = await createTestDatabase('row_filters')
  await withAdmin(db, async (c) => {
    await c.query(`CREATE TABLE orders (id int PRIMARY KEY, status text, k bigint, note text)`)
    await c.query(`INSERT INTO orders SELECT g, CASE WHEN g % 5 = 0 THEN 'test' ELSE 'paid' END, g / 4, CASE WHEN g = 7 THEN 'n$1' ELSE 'n' || g END
                   FROM generate_series(1, ${ORDERS}) g`)
    await c.query(`CREATE TABLE big (id int PRIMARY KEY, v int, pad text)`)
    await c.query(`INSERT INTO big SELECT g, g % 10, repeat('x', 200) FROM generate_series(1, ${BIG}) g`)
    await c.query(`CREATE TABLE events (id int PRIMARY KEY, v int)`)
    await c.query(`INSERT INTO events VALUES (1, 1), (2, 2)`)
    await c.query('ANALYZE')
  })
  catalog = await discoverCatalog(writeConfig(db))
})

afterAll(async () => {
  await dropTestDatabase(db)
})

function sync(
  selections: Record<string, Selection>,
  config: Record<string, unknown>,
  opts: { state?: unknown; env?: Record<string, string> } = {},
): Promise<TapResult> {
  const args = [
    'sync',
    '--config',
    writeConfig(db, config),
    '--catalog',
    writeCatalog(selectStreams(catalog, selections)),
  ]
  if (opts.state !== undefined) args.push('--state', writeJsonFile('state.json', opts.state))
  return runTap(args, { env: opts.env, timeoutMs: 120_000 })
}

function filterOf(stream: string, ...clauses: string[]): Record<string, unknown> {
  return { stream_options: { [stream]: { custom_where_clauses: clauses } } }
}

function ids(r: TapResult, stream: string): number[] {
  return records(r.messages, stream).map((x) => x.id as number)
}

function sorted(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b)
}

function range(from: number, to: number, keep: (id: number) => boolean = () => true): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i).filter(keep)
}

/** The refusals: one `error:` line naming what is wrong, exit 2, nothing on stdout. */
function expectRefused(r: TapResult, message: RegExp): void {
  expect(r.code).toBe(2)
  expect(r.stdout).toBe('')
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatch(message)
  expect(r.stderr).not.toMatch(/^\s+at /m)
}

describe('FULL_TABLE', () => {
  it('reads only the rows every clause holds for, and says so', async () => {
    const r = await sync(
      { orders: { method: 'FULL_TABLE' } },
      filterOf('public-orders', "status <> 'test'", 'id <= 150 -- a comment ; )'),
    )
    expectSuccess(r)
    expect(sorted(ids(r, 'public-orders'))).toEqual(range(1, 150, (id) => id % 5 !== 0))
    expect(r.stderr).toContain(
      `stream public-orders: reading only rows where custom_where_clauses ["status <> 'test'","id <= 150 -- a comment ; )"] hold`,
    )
    expect(r.messages.filter((m) => m.type === 'ACTIVATE_VERSION')).toHaveLength(2)
  })

  it('a resumed read (xmin bookmark) is filtered too', async () => {
    const [{ xmin }] = await withAdmin(
      db,
      async (c) => (await c.query<{ xmin: string }>('SELECT xmin::text AS xmin FROM orders LIMIT 1')).rows,
    )
    const state = {
      bookmarks: {
        'public-orders': { last_replication_method: 'FULL_TABLE', version: 1, xmin: Number(xmin) },
      },
    }
    const r = await sync({ orders: { method: 'FULL_TABLE' } }, filterOf('public-orders', 'id % 2 = 0'), {
      state,
    })
    expectSuccess(r)
    expect(r.stderr).toMatch(/resuming after xmin/)
    expect(sorted(ids(r, 'public-orders'))).toEqual(range(1, ORDERS, (id) => id % 2 === 0))
  })

  it('stream_options from TAP_POSTGRES_STREAM_OPTIONS (JSON text, as Meltano passes kind: object), winning over the file', async () => {
    const env = {
      TAP_POSTGRES_STREAM_OPTIONS: JSON.stringify({
        'public-orders': { custom_where_clauses: ['id < 20', "status = 'test'"] },
      }).replace(/([:,])/g, '$1 '),
    }
    const r = await sync({ orders: { method: 'FULL_TABLE' } }, filterOf('public-orders', 'id > 100'), { env })
    expectSuccess(r)
    expect(sorted(ids(r, 'public-orders'))).toEqual([5, 10, 15])
  })

  it('a chunked load: every chunk filtered, every matching row once', async () => {
    const r = await sync(
      { big: { method: 'FULL_TABLE' } },
      { chunk_rows: 2000, max_workers: 2, ...filterOf('public-big', 'v = 3') },
    )
    expectSuccess(r)
    expect(r.stderr).toMatch(/Starting FULL_TABLE sync of public\.big in \d+ chunks/)
    const got = ids(r, 'public-big')
    expect(new Set(got).size).toBe(got.length)
    expect(sorted(got)).toEqual(range(1, BIG, (id) => id % 10 === 3))
  })
})

describe('INCREMENTAL', () => {
  const paid = (id: number): boolean => id % 5 !== 0

  it('from a bookmark; placeholder-looking text in a clause is not ours ($1 in a dollar-quoted string)', async () => {
    const state = {
      bookmarks: {
        'public-orders': {
          last_replication_method: 'INCREMENTAL',
          replication_key: 'k',
          replication_key_value: 1,
        },
      },
    }
    const r = await sync(
      { orders: { method: 'INCREMENTAL', key: 'k' } },
      filterOf('public-orders', "status = 'paid'", 'note <> $$n$1$$', 'id <= 40'),
      { state },
    )
    expectSuccess(r)
    // k >= 1 means id >= 4; id 7 has the note `n$1`, which the second clause leaves out.
    expect(sorted(ids(r, 'public-orders'))).toEqual(range(4, 40, (id) => paid(id) && id !== 7))
    // The last matching row is id 39 (40 is `test`): k 9.
    expect(lastState(r.messages).bookmarks['public-orders'].replication_key_value).toBe(9)
  })

  it('with limit: counts and ends tie groups among the filtered rows, run after run', async () => {
    // One row in three matches: a limit counted among all rows would deliver about limit/3 per run.
    const limit = 10
    const match = (id: number): boolean => id % 3 === 0
    const want = range(1, ORDERS, match)
    const delivered = new Set<number>()
    let state: unknown
    for (let run = 0; delivered.size < want.length; run++) {
      expect(run, 'every matching row within the runs a limit needs').toBeLessThan(
        Math.ceil(want.length / limit) + 1,
      )
      const r = await sync(
        { orders: { method: 'INCREMENTAL', key: 'k' } },
        { limit, ...filterOf('public-orders', 'id % 3 = 0') },
        { state },
      )
      expectSuccess(r)
      const got = ids(r, 'public-orders')
      expect(got.every(match)).toBe(true)
      const fresh = got.filter((id) => !delivered.has(id))
      expect(fresh.length).toBeGreaterThanOrEqual(Math.min(limit, want.length - delivered.size))
      for (const id of got) delivered.add(id)
      state = lastState(r.messages)
    }
    expect(sorted([...delivered])).toEqual(want)
  })
})

describe('refused before any output', () => {
  it('a clause that is not SQL', async () => {
    const r = await sync(
      { orders: { method: 'FULL_TABLE' }, big: { method: 'FULL_TABLE' } },
      filterOf('public-orders', 'id > 1', "status = = 'paid'"),
    )
    expectRefused(
      r,
      /^error: stream public-orders: stream_options custom_where_clauses\[1\] "status = = 'paid'" is not a valid filter of public\.orders: syntax error at or near "=" \(SQLSTATE 42601\)/,
    )
  })

  it('a clause naming an unknown column (INCREMENTAL)', async () => {
    const r = await sync(
      { orders: { method: 'INCREMENTAL', key: 'k' } },
      filterOf('public-orders', 'nope > 1', 'id > 1'),
    )
    expectRefused(
      r,
      /^error: stream public-orders: stream_options custom_where_clauses\[0\] "nope > 1" is not a valid filter of public\.orders: column "nope" does not exist \(SQLSTATE 42703\)/,
    )
  })

  it('a clause that is not boolean', async () => {
    const r = await sync({ orders: { method: 'FULL_TABLE' } }, filterOf('public-orders', 'id > 1', 'id + 1'))
    expectRefused(
      r,
      /^error: stream public-orders: stream_options custom_where_clauses\[1\] "id \+ 1" is not a valid filter of public\.orders: argument of AND must be type boolean/,
    )
  })

  it('a $1 in a clause (the reads bind their own parameters)', async () => {
    const r = await sync(
      { orders: { method: 'INCREMENTAL', key: 'k' } },
      filterOf('public-orders', 'id > $1'),
    )
    expectRefused(
      r,
      /^error: invalid config: stream_options\.public-orders\.custom_where_clauses\[0\] contains a parameter \$1/,
    )
  })

  it('a clause that would change the statement around it, before connecting', async () => {
    const app = uniqueAppName('rf_shape')
    const r = await sync(
      { orders: { method: 'FULL_TABLE' } },
      { application_name: app, ...filterOf('public-orders', '1=1) OR (true') },
    )
    expectRefused(
      r,
      /^error: invalid config: stream_options\.public-orders\.custom_where_clauses\[0\] closes a parenthesis it did not open/,
    )
    const semi = await sync(
      { orders: { method: 'FULL_TABLE' } },
      { application_name: app, ...filterOf('public-orders', 'true; SELECT 1') },
    )
    expectRefused(
      semi,
      /^error: invalid config: stream_options\.public-orders\.custom_where_clauses\[0\] contains ";"/,
    )
    expect(countConnectionsInLog(app)).toBe(0)
  })

  it('a stream_options key that is no stream of the catalog is an error; one not selected, a warning', async () => {
    const r = await sync({ orders: { method: 'FULL_TABLE' } }, filterOf('public-ordrs', 'id > 1'))
    expectRefused(
      r,
      /^error: invalid config: stream_options names stream "public-ordrs", which is not in the catalog/,
    )
    const ok = await sync({ orders: { method: 'FULL_TABLE' } }, filterOf('public-big', 'id > 1'))
    expectSuccess(ok)
    expect(ok.stderr).toMatch(
      /level=warning message=stream_options\.public-big: stream public-big is not selected/,
    )
    expect(ids(ok, 'public-orders')).toHaveLength(ORDERS)
  })
})

describe.each(LOG_BASED_PLUGINS)('LOG_BASED with custom_where_clauses (%s)', (plugin) => {
  it('is refused at start, before any connection or output, naming the stream and what to do', async () => {
    const app = uniqueAppName('rf_lb')
    const r = await sync(
      { events: { method: 'LOG_BASED' }, orders: { method: 'FULL_TABLE' } },
      {
        application_name: app,
        replication_slot_name: `rf_${plugin}`,
        ...filterOf('public-events', 'v > 1'),
      },
    )
    expectRefused(
      r,
      new RegExp(
        `^error: stream public-events: LOG_BASED changes cannot be filtered by stream_options custom_where_clauses \\(logical decoding sends every change of the table\\) ` +
          `\\(hint: remove stream_options\\.public-events\\.custom_where_clauses, or replicate the stream with FULL_TABLE or INCREMENTAL; .*publication row filter`,
      ),
    )
    expect(countConnectionsInLog(app)).toBe(0)
  })
})
