/**
 * The seed's complaint, measured: 100,000 changes touching array and hstore columns stream on the
 * run's fixed connections (none per value), at a rate printed for the report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  countConnectionsInLog,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  selectStreams,
  writeCatalog,
} from '../sync/catalog-helpers.js'

let db: string
beforeAll(async () => {
  db = await createTestDatabase('lbthroughput')
})
afterAll(async () => {
  await dropTestDatabase(db)
})

describe('LOG_BASED throughput with arrays', () => {
  it('streams 100,000 array/hstore changes on at most 3 connections', async () => {
    await withAdmin(db, (c) =>
      c.query(
        `CREATE TABLE arrays (id int PRIMARY KEY, ia int[], ta text[], na numeric[], tsa timestamptz[], h hstore)`,
      ),
    )
    const config = writeConfig(db, { replication_slot_name: 'lb_bench' })
    expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { arrays: { method: 'LOG_BASED' } }),
    )
    const first = await runTap(['sync', '--config', config, '--catalog', catalog], { timeoutMs: 120_000 })
    expectSuccess(first)
    await withAdmin(db, async (c) => {
      for (let t = 0; t < 10; t++) {
        await c.query(
          `INSERT INTO arrays SELECT i, ARRAY[i, i + 1, NULL, -i], ARRAY['a,b', 'x"y', 'item ' || i], ARRAY[i * 1.25, 12345678901234567890.5],
                         ARRAY['2024-01-02 03:04:05.123456+00'::timestamptz, now()], hstore(ARRAY['k', 'n'], ARRAY[i::text, NULL])
                       FROM generate_series($1::int, $1::int + 9999) i`,
          [t * 10_000 + 1],
        )
      }
      await c.query('CHECKPOINT')
    })
    const app = uniqueAppName('lbbench')
    const started = Date.now()
    const r = await runTap(
      [
        'sync',
        '--config',
        writeConfig(db, { replication_slot_name: 'lb_bench', application_name: app }),
        '--catalog',
        catalog,
        '--state',
        writeJsonFile('state.json', lastState(first.messages)),
      ],
      { timeoutMs: 300_000 },
    )
    const wall = (Date.now() - started) / 1000
    expectSuccess(r)
    const m = /Replication completed: (\d+) messages in ([\d.]+) seconds \(([\d.]+) msg\/sec\)/.exec(r.stderr)
    expect(m?.[1]).toBe('100000')
    const connections = countConnectionsInLog(app)
    console.log(
      `LOG_BASED 100,000 array changes: ${m?.[3]} msg/s while streaming (${m?.[2]} s), whole run ${wall.toFixed(1)} s, ${connections} connections`,
    )
    expect(connections).toBeLessThanOrEqual(3)
  }, 600_000)
})
