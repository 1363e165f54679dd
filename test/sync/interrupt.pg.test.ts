/**
 * Interrupted FULL_TABLE runs: killed (SIGKILL) right after an xmin STATE, stopped by SIGTERM, or cut
 * off by a reader closing stdout. The state a target would have committed must resume without
 * missing a key and without starting over; pipelinewise's midway state resumes too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  countActiveConnections,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { runTap, type SingerMessage } from '../harness/run-tap.js'
import { discoverCatalog, expectSuccess, records, selectStreams, writeCatalog } from './catalog-helpers.js'
import type { Catalog } from '../../src/singer/catalog-types.js'

const ROWS = 30_000
const TRANSACTIONS = 30
let db: string
let catalogPath: string
let catalog: Catalog
/** xmin of each of the table's transactions, oldest first. */
let xmins: number[]

beforeAll(async () => {
  db = await createTestDatabase('sync_interrupt')
  await withAdmin(db, async (c) => {
    await c.query(`CREATE TABLE orders (id int PRIMARY KEY, v text)`)
    const per = ROWS / TRANSACTIONS
    for (let t = 0; t < TRANSACTIONS; t++)
      await c.query(
        `INSERT INTO orders SELECT g, repeat('x', 20) FROM generate_series(${t * per + 1}, ${(t + 1) * per}) g`,
      )
    const r = await c.query<{ x: string }>(
      `SELECT DISTINCT xmin::text AS x, min(id) AS first FROM orders GROUP BY 1 ORDER BY 2`,
    )
    xmins = r.rows.map((row) => Number(row.x))
    // Fails after a few hundred rows: a runtime error in the middle of a read.
    await c.query(`CREATE VIEW boom AS SELECT g AS id, 1 / (g - 700) AS x FROM generate_series(1, 2000) g`)
  })
  catalog = await discoverCatalog(writeConfig(db))
  catalogPath = writeCatalog(selectStreams(catalog, { orders: { method: 'FULL_TABLE' } }))
})

afterAll(async () => {
  await dropTestDatabase(db)
})

type StateValue = {
  currently_syncing: string | null
  bookmarks: Record<string, { version?: number; xmin?: number | null }>
}

/** The messages a target would have committed: everything up to the last STATE it saw. */
function committed(messages: SingerMessage[]): { records: number[]; state: StateValue } {
  let lastState = -1
  messages.forEach((m, i) => {
    if (m.type === 'STATE') lastState = i
  })
  const upTo = messages.slice(0, lastState + 1)
  return {
    records: records(upTo, 'public-orders').map((r) => r.id as number),
    state: messages[lastState].value as StateValue,
  }
}

function expectAllIds(ids: Iterable<number>): void {
  const seen = new Set(ids)
  const missing: number[] = []
  for (let id = 1; id <= ROWS; id++) if (!seen.has(id)) missing.push(id)
  expect(missing.slice(0, 10)).toEqual([])
}

describe('FULL_TABLE resume', () => {
  it('after SIGKILL right after an xmin STATE: misses no key and does not start over', async () => {
    // The kill needs an xmin STATE midway: every due STATE is written (no time bound).
    const config = writeConfig(db, { itersize: 500, max_workers: 1, state_interval_seconds: 0 })
    let xminStates = 0
    const first = await runTap(['sync', '--config', config, '--catalog', catalogPath], {
      onLine: (line, child) => {
        if (line.startsWith('{"type":"STATE"') && /"xmin":\d+/.test(line) && ++xminStates === 3)
          child.kill('SIGKILL')
      },
    })
    expect(first.signal).toBe('SIGKILL')
    const done = committed(first.messages)
    const bookmark = done.state.bookmarks['public-orders']
    expect(typeof bookmark.xmin).toBe('number')
    expect(done.records.length).toBeLessThan(ROWS)

    const second = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      catalogPath,
      '--state',
      writeJsonFile('state.json', done.state),
    ])
    expectSuccess(second)
    const again = records(second.messages, 'public-orders').map((r) => r.id as number)
    expect(again.length).toBeLessThan(ROWS)
    expectAllIds([...done.records, ...again])
    // Same version: no new first ACTIVATE_VERSION, only the closing one.
    const activations = second.messages.filter((m) => m.type === 'ACTIVATE_VERSION')
    expect(activations).toHaveLength(1)
    expect(activations[0].version).toBe(bookmark.version)
    expect(second.messages.findIndex((m) => m.type === 'ACTIVATE_VERSION')).toBeGreaterThan(
      second.messages.findIndex((m) => m.type === 'RECORD'),
    )
    expect(
      second.messages.filter((m) => m.type === 'RECORD').every((m) => m.version === bookmark.version),
    ).toBe(true)
  })

  it('from a pipelinewise 2.1 midway state', async () => {
    const config = writeConfig(db)
    const midway = xmins[TRANSACTIONS / 2]
    const pw = {
      bookmarks: {
        'public-orders': { last_replication_method: 'FULL_TABLE', version: 1700000000000, xmin: midway },
      },
      currently_syncing: 'public-orders',
    }
    const r = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      catalogPath,
      '--state',
      writeJsonFile('state.json', pw),
    ])
    expectSuccess(r)
    const ids = records(r.messages, 'public-orders').map((x) => x.id as number)
    // The bookmark's own transaction is read again (duplicates, never gaps), and nothing older.
    const per = ROWS / TRANSACTIONS
    expect(Math.min(...ids)).toBe((TRANSACTIONS / 2) * per + 1)
    expect(ids).toHaveLength(ROWS - (TRANSACTIONS / 2) * per)
    expect(r.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.version)).toEqual([
      1700000000000,
    ])
    expect(r.messages.filter((m) => m.type === 'RECORD').every((m) => m.version === 1700000000000)).toBe(true)
  })
})

describe('stopping', () => {
  it('SIGTERM: writes what was read, a final STATE safe to resume from, closes connections, exits 143', async () => {
    const appName = uniqueAppName('term')
    // The signal goes at the first midway STATE: every due STATE is written (no time bound).
    const config = writeConfig(db, {
      itersize: 100,
      max_workers: 1,
      application_name: appName,
      state_interval_seconds: 0,
    })
    let sent = false
    const r = await runTap(['sync', '--config', config, '--catalog', catalogPath], {
      onLine: (line, child) => {
        if (!sent && /"xmin":\d+/.test(line)) {
          sent = true
          child.kill('SIGTERM')
        }
      },
    })
    expect(r.code).toBe(143)
    expect(r.stderr).not.toMatch(/^\s+at /m)
    expect(r.stderr).toMatch(/SIGTERM received/)
    expect(r.messages.at(-1)?.type).toBe('STATE')
    const done = committed(r.messages)
    expect(done.records.length).toBeLessThan(ROWS)
    expect(await countActiveConnections(appName)).toBe(0)

    const rest = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      catalogPath,
      '--state',
      writeJsonFile('state.json', done.state),
    ])
    expectSuccess(rest)
    expectAllIds([...done.records, ...records(rest.messages, 'public-orders').map((x) => x.id as number)])
  })

  it('stdout closed by the reader: stops quietly with a non-zero exit and no connection left', async () => {
    const appName = uniqueAppName('epipe')
    const config = writeConfig(db, { itersize: 200, application_name: appName })
    let lines = 0
    const r = await runTap(['sync', '--config', config, '--catalog', catalogPath], {
      onLine: (_line, child) => {
        if (++lines === 5) child.stdout?.destroy()
      },
    })
    expect(r.code).not.toBe(0)
    expect(r.code).not.toBeNull()
    expect(r.stderr).not.toMatch(/^\s+at /m)
    expect(r.stderr).not.toMatch(/level=error|^error:/m)
    expect(await countActiveConnections(appName)).toBe(0)
  })

  it('a read that fails: the run stops, the stream and cause in one line, exit 1, no connection left', async () => {
    const appName = uniqueAppName('boom')
    const config = writeConfig(db, { itersize: 100, max_workers: 2, application_name: appName })
    const cat = writeCatalog(
      selectStreams(catalog, { orders: { method: 'FULL_TABLE' }, boom: { method: 'FULL_TABLE' } }),
    )
    const r = await runTap(['sync', '--config', config, '--catalog', cat])
    expect(r.code).toBe(1)
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors).toEqual([
      'error: stream public-boom: reading public.boom: division by zero (SQLSTATE 22012)',
    ])
    expect(r.stderr).not.toMatch(/^\s+at /m)
    // What was written before the failure is covered by a last STATE.
    expect(r.messages.at(-1)?.type).toBe('STATE')
    expect(await countActiveConnections(appName)).toBe(0)
  })
})

describe("SIGTERM's last line", () => {
  const ONE_TXN_ROWS = 200_000
  let oneTxnCatalog: Catalog

  beforeAll(async () => {
    // One transaction: every row has the same xmin, so the bookmark does not change from batch to batch.
    await withAdmin(db, (c) =>
      c.query(
        `CREATE TABLE one_txn AS SELECT g AS id, repeat('x', 20) AS v FROM generate_series(1, ${ONE_TXN_ROWS}) g`,
      ),
    )
    oneTxnCatalog = await discoverCatalog(writeConfig(db))
  })

  it.each([
    ['an xmin-ordered read (the bookmark unchanged since the last STATE)', false],
    ['a fast_sync read (no bookmark to move)', true],
  ])('mid FULL_TABLE, %s: a STATE after the last records', async (_what, fastSync) => {
    const config = writeConfig(db, { max_workers: 1, chunk_rows: 0, fast_sync: fastSync })
    const cat = writeCatalog(selectStreams(oneTxnCatalog, { one_txn: { method: 'FULL_TABLE' } }))
    let sent = false
    const r = await runTap(['sync', '--config', config, '--catalog', cat], {
      onLine: (line, child) => {
        if (!sent && line.startsWith('{"type":"RECORD"')) {
          sent = true
          child.kill('SIGTERM')
        }
      },
    })
    expect(r.code).toBe(143)
    expect(records(r.messages, 'public-one_txn').length).toBeLessThan(ONE_TXN_ROWS)
    expect(r.messages.at(-1)?.type).toBe('STATE')
    expect(r.stdout.endsWith('\n')).toBe(true)
  })
})
