/**
 * One snapshot for every chunk: rows inserted, updated and deleted by another connection while the
 * chunked load runs, and the loaded set equals the table as of one point in time, exactly. The
 * writer commits one transaction at a time, so any snapshot sees a prefix of its transactions; the
 * load must be the table after exactly k of them (chunks reading their own snapshots would mix).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import { discoverCatalog, expectSuccess, records, selectStreams, writeCatalog } from './catalog-helpers.js'
import { INSERT_BASE, SerialWriter, tableAfter } from './chunked-helpers.js'

const ROWS = 300_000
let db: string

beforeAll(async () => {
  db = await createTestDatabase('chunked_snap')
  await withAdmin(db, async (c) => {
    await c.query(`CREATE TABLE live (id int PRIMARY KEY, v int NOT NULL, pad text)`)
    await c.query(`INSERT INTO live SELECT g, 0, repeat('p', 40) FROM generate_series(1, ${ROWS}) g`)
    await c.query('ANALYZE live')
  })
})

afterAll(async () => {
  await dropTestDatabase(db)
})

describe('chunked FULL_TABLE load under concurrent writes', () => {
  it('loads exactly the table as of the snapshot', async () => {
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(writeConfig(db)), {
        live: { method: 'FULL_TABLE', deselect: ['pad'] },
      }),
    )
    const writer = new SerialWriter(db, 'live', ROWS)
    writer.start()
    let atFirstRecord = -1
    const r = await runTap(
      [
        'sync',
        '--config',
        writeConfig(db, { chunk_rows: 30_000, max_workers: 3, itersize: 1000 }),
        '--catalog',
        catalog,
      ],
      {
        timeoutMs: 180_000,
        onLine: (line) => {
          if (atFirstRecord < 0 && line.startsWith('{"type":"RECORD"'))
            atFirstRecord = writer.committed.length
        },
      },
    )
    const atExit = writer.committed.length
    await writer.stop()
    expectSuccess(r)
    expect(r.stderr).toMatch(/Starting FULL_TABLE sync of public\.live in 1[01] chunks/)

    const loaded = new Map<number, number>()
    for (const rec of records(r.messages, 'public-live')) {
      const id = rec.id as number
      expect(loaded.has(id), `id ${id} twice`).toBe(false)
      loaded.set(id, rec.v as number)
    }
    // The newest writer transaction the load saw (every transaction inserts rows).
    let k = 0
    for (const id of loaded.keys())
      if (id >= INSERT_BASE) k = Math.max(k, Math.floor((id - INSERT_BASE) / 10))
    // Writes went on while the rows were read, and the load saw none of those after its snapshot.
    expect(atExit).toBeGreaterThan(atFirstRecord)
    expect(k).toBeLessThanOrEqual(atFirstRecord)
    const expected = tableAfter(ROWS, writer.committed, k)
    expect(loaded.size).toBe(expected.size)
    const wrong: string[] = []
    for (const [id, v] of expected)
      if (loaded.get(id) !== v) wrong.push(`${id}: ${loaded.get(id)} instead of ${v}`)
    expect(wrong.slice(0, 10)).toEqual([])
  })
})
