/**
 * A chunked LOG_BASED initial load under concurrent writes, then the following stream: the target's
 * view (the load, then every change applied in order) equals the table. The load's lsn comes from the
 * exported snapshot (snapshot.ts), so no change between the load and the stream is lost; changes the
 * load already has may come again (at least once).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig, writeJsonFile } from '../harness/pg.js'
import { runTap, type SingerMessage } from '../harness/run-tap.js'
import { discoverCatalog, expectSuccess, lastState, selectStreams, writeCatalog } from './catalog-helpers.js'
import { SerialWriter, tableAfter } from './chunked-helpers.js'

const ROWS = 200_000
let db: string

beforeAll(async () => {
  db = await createTestDatabase('chunked_lb')
  await withAdmin(db, async (c) => {
    await c.query(`CREATE TABLE lb (id int PRIMARY KEY, v int NOT NULL, pad text)`)
    await c.query(`INSERT INTO lb SELECT g, 0, repeat('p', 40) FROM generate_series(1, ${ROWS}) g`)
    await c.query('ANALYZE lb')
  })
})

afterAll(async () => {
  await dropTestDatabase(db)
})

/** Upserts and deletes by key, in message order. */
function apply(target: Map<number, number>, messages: SingerMessage[]): void {
  for (const m of messages) {
    if (m.type !== 'RECORD') continue
    // Load records have no _sdc_deleted_at; streamed ones have it, null unless a delete.
    const r = m.record as { id: number; v: number; _sdc_deleted_at?: string | null }
    if (r._sdc_deleted_at === undefined || r._sdc_deleted_at === null) target.set(r.id, r.v)
    else target.delete(r.id)
  }
}

describe('chunked LOG_BASED initial load under concurrent writes', () => {
  it('load + changes applied in order equal the table', async () => {
    const config = writeConfig(db, {
      chunk_rows: 20_000,
      max_workers: 2,
      itersize: 1000,
      replication_slot_name: 'chunked_lb',
    })
    expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { lb: { method: 'LOG_BASED', deselect: ['pad'] } }),
    )
    const writer = new SerialWriter(db, 'lb', ROWS)
    writer.start()
    let atFirstRecord = -1
    const run1 = await runTap(['sync', '--config', config, '--catalog', catalog], {
      timeoutMs: 180_000,
      onLine: (line) => {
        if (atFirstRecord < 0 && line.startsWith('{"type":"RECORD"')) atFirstRecord = writer.committed.length
      },
    })
    const atExit = writer.committed.length
    await writer.stop()
    expectSuccess(run1)
    expect(run1.stderr).toMatch(/Starting LOG_BASED initial load \(full table\) of public\.lb in \d+ chunks/)
    expect(run1.stderr).toMatch(/Exported snapshot \S+ for the chunked loads at WAL position/)
    expect(atExit).toBeGreaterThan(atFirstRecord)

    // wal2json only sees flushed WAL (the harness runs synchronous_commit=off).
    await withAdmin(db, (c) => c.query('CHECKPOINT'))
    const run2 = await runTap(
      [
        'sync',
        '--config',
        config,
        '--catalog',
        catalog,
        '--state',
        writeJsonFile('state.json', lastState(run1.messages)),
      ],
      { timeoutMs: 180_000 },
    )
    expectSuccess(run2)

    const target = new Map<number, number>()
    apply(target, run1.messages)
    apply(target, run2.messages)
    const table = await withAdmin(
      db,
      async (c) =>
        new Map(
          (await c.query<{ id: string; v: string }>('SELECT id, v FROM lb')).rows.map((r) => [
            Number(r.id),
            Number(r.v),
          ]),
        ),
    )
    expect(table).toEqual(tableAfter(ROWS, writer.committed, writer.committed.length))
    expect(target.size).toBe(table.size)
    const wrong: string[] = []
    for (const [id, v] of table)
      if (target.get(id) !== v) wrong.push(`${id}: ${target.get(id)} instead of ${v}`)
    expect(wrong.slice(0, 10)).toEqual([])
  })
})
