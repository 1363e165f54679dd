/**
 * The connection bound of docs/behaviour.md#connections, measured on the server: pg_stat_activity sampled every 20 ms by
 * the run's unique application_name, and the connections the server authorised (its log).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import {
  adminConfig,
  countActiveConnections,
  countConnectionsInLog,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
} from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  records,
  selectStreams,
  writeCatalog,
  type Selection,
} from './catalog-helpers.js'
import type { Catalog } from '../../src/singer/catalog-types.js'

const TABLES = 20
let db: string
let catalog: Catalog

beforeAll(async () => {
  db = await createTestDatabase('sync_conn')
  await withAdmin(db, async (c) => {
    for (let i = 0; i < TABLES; i++) {
      await c.query(`CREATE TABLE t${i} (id int PRIMARY KEY, tags text[], h hstore, v text)`)
      await c.query(
        `INSERT INTO t${i} SELECT g, ARRAY['a', NULL, 'b'], 'k=>v, n=>NULL', repeat('x', 50) FROM generate_series(1, 3000) g`,
      )
    }
  })
  catalog = await discoverCatalog(writeConfig(db))
})

afterAll(async () => {
  await dropTestDatabase(db)
})

interface Sample {
  all: number
  tableReads: number
}

/** Samples the run's backends until stopped; table reads are the backends not running discovery's query. */
function sampleConnections(appName: string): { stop: () => Promise<Sample[]> } {
  const client = new pg.Client(adminConfig('postgres'))
  const samples: Sample[] = []
  let running = true
  const loop = (async () => {
    await client.connect()
    while (running) {
      const r = await client.query(
        `SELECT count(*) AS all, count(*) FILTER (WHERE query NOT LIKE '%WITH RECURSIVE rels%' AND query NOT LIKE '%pg_current_wal_lsn%') AS reads FROM pg_stat_activity WHERE application_name = $1`,
        [appName],
      )
      samples.push({ all: Number(r.rows[0].all), tableReads: Number(r.rows[0].reads) })
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await client.end()
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return samples
    },
  }
}

function selectAll(n: number): Record<string, Selection> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, { method: 'FULL_TABLE' }]))
}

describe('connections', () => {
  it(`${TABLES} tables with max_workers 3: at most 3 table-read connections at any moment, max_workers + 1 opened in total`, async () => {
    const appName = uniqueAppName('bound')
    const config = writeConfig(db, { max_workers: 3, application_name: appName, itersize: 500 })
    const sampler = sampleConnections(appName)
    const r = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      writeCatalog(selectStreams(catalog, selectAll(TABLES))),
    ])
    const samples = await sampler.stop()
    expectSuccess(r)
    for (let i = 0; i < TABLES; i++) expect(records(r.messages, `public-t${i}`)).toHaveLength(3000)

    expect(samples.length).toBeGreaterThan(10)
    expect(Math.max(...samples.map((s) => s.tableReads))).toBe(3)
    // The main connection is closed before the pool opens its own.
    expect(Math.max(...samples.map((s) => s.all))).toBeLessThanOrEqual(3 + 1)
    // One main connection plus one per pool thread, however many streams, rows, arrays and hstore values.
    const opened = countConnectionsInLog(appName)
    expect(opened).toBeLessThanOrEqual(3 + 2)
    expect(opened).toBe(4)
    expect(await countActiveConnections(appName)).toBe(0)
  })

  it('sizes the pool to the streams when there are fewer than max_workers', async () => {
    const appName = uniqueAppName('small')
    const config = writeConfig(db, { max_workers: 8, application_name: appName })
    const r = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      writeCatalog(selectStreams(catalog, selectAll(2))),
    ])
    expectSuccess(r)
    expect(countConnectionsInLog(appName)).toBe(1 + 2)
  })
})
