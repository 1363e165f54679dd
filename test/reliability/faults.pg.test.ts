/**
 * Faults on the shared cluster that touch only this file's database and connections:
 * - the replication connection terminated (pg_terminate_backend) at several moments mid-stream;
 * - a table-read connection terminated mid-FULL_TABLE while another stream runs;
 * - a task that throws while a slow stream runs on another worker;
 * - stdout closed by its reader during discover.
 * Each: one clear line (or a quiet exit for EPIPE), a last STATE, no connection left behind, the
 * slot never confirmed beyond what was written, and a restart from the last STATE misses no key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLsn } from '../../src/pg/lsn.js'
import {
  clusterInfo,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import { discoverCatalog, selectStreams, writeCatalog } from '../sync/catalog-helpers.js'
import type { Catalog } from '../../src/singer/catalog-types.js'
import {
  committed,
  expectCleanError,
  expectNoBackendsLeft,
  missingKeys,
  STACK_LINE,
  type StateValue,
} from './helpers.js'

let db: string
let catalog: Catalog
const harness = () => ({ ...clusterInfo() })

async function sql<T = Record<string, string>>(text: string, values?: unknown[]): Promise<T[]> {
  return withAdmin(db, async (c) => (await c.query(text, values)).rows as T[])
}

beforeAll(async () => {
  db = await createTestDatabase('faults')
  await sql(`
    CREATE TABLE wal_t (id int PRIMARY KEY, payload text);
    CREATE TABLE big_a (id int PRIMARY KEY, v text);
    CREATE TABLE big_b (id int PRIMARY KEY, v text);
    CREATE VIEW boom AS SELECT g AS id, 1 / (g - 300) AS x FROM generate_series(1, 1000) g;
    CREATE VIEW slow AS SELECT g AS id, pg_sleep(0.002)::text AS s FROM generate_series(1, 100000) g;
  `)
  for (let t = 0; t < 20; t++) {
    await sql(`INSERT INTO big_a SELECT g, md5(g::text) FROM generate_series(${t * 1000 + 1}, ${(t + 1) * 1000}) g;
               INSERT INTO big_b SELECT g, md5(g::text) FROM generate_series(${t * 1000 + 1}, ${(t + 1) * 1000}) g`)
  }
  catalog = await discoverCatalog(writeConfig(db))
})

afterAll(async () => {
  await dropTestDatabase(db)
})

function sync(
  config: string,
  catalogPath: string,
  state?: unknown,
  opts: Parameters<typeof runTap>[1] = {},
): Promise<TapResult> {
  const args = ['sync', '--config', config, '--catalog', catalogPath]
  if (state !== undefined) args.push('--state', writeJsonFile('state.json', state))
  return runTap(args, { timeoutMs: 90_000, ...opts })
}

describe('the replication connection terminated mid-stream', () => {
  const SLOT = 'fault_wal'
  const TOTAL = 24_000

  it('at three moments: exit 1 with one line, a last STATE, the slot never confirmed beyond it, no connection left; the restarts miss no key', async () => {
    const app = uniqueAppName('walkill')
    const config = writeConfig(db, { replication_slot_name: SLOT, application_name: app })
    expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
    const cat = writeCatalog(selectStreams(catalog, { wal_t: { method: 'LOG_BASED' } }))
    const initial = await sync(config, cat)
    expect(initial.code, initial.stderr).toBe(0)
    let state = committed(initial.messages, 'public-wal_t').state as StateValue
    await sql(
      `BEGIN; SET LOCAL synchronous_commit = on; INSERT INTO wal_t SELECT g, repeat('w', 300) FROM generate_series(1, ${TOTAL}) g; COMMIT`,
    )
    // Many transactions as well, so the written position moves during the run.
    for (let t = 0; t < 40; t++)
      await sql(
        `INSERT INTO wal_t SELECT g, 'x' FROM generate_series(${TOTAL + t * 50 + 1}, ${TOTAL + (t + 1) * 50}) g`,
      )
    await sql('CHECKPOINT')
    const total = TOTAL + 2000
    const seen = new Set<number>()
    let failures = 0

    for (const after of [1, 3000, 15000]) {
      let records = 0
      let killed = false
      const r = await sync(config, cat, state, {
        onLine: (line) => {
          if (killed || !line.startsWith('{"type":"RECORD"') || ++records < after) return
          killed = true
          void sql('SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = $1', [
            app,
          ])
        },
      })
      expect(killed).toBe(true)
      if (r.code === 0) continue // it had caught up before the walsender died
      failures++
      expectCleanError(
        r,
        1,
        /^error: streaming from slot "fault_wal": connection lost: .* \(hint: the run stopped; run again with its last STATE to resume\)$/,
        { records: true },
      )
      expect(r.messages.at(-1)?.type).toBe('STATE')
      const done = committed(r.messages, 'public-wal_t')
      for (const k of done.keys) seen.add(k)
      const written = BigInt(done.state?.bookmarks['public-wal_t'].lsn as number)
      const [slot] = await sql<{ confirmed: string; active: string }>(
        'SELECT confirmed_flush_lsn::text AS confirmed, active::text AS active FROM pg_replication_slots WHERE slot_name = $1',
        [SLOT],
      )
      expect(
        parseLsn(slot.confirmed) <= written,
        `slot confirmed ${slot.confirmed} beyond the last STATE's ${written}`,
      ).toBe(true)
      // Never beyond what the input state proved committed either.
      expect(
        parseLsn(slot.confirmed) <= BigInt(state.bookmarks['public-wal_t'].lsn as number) ||
          parseLsn(slot.confirmed) <= written,
      ).toBe(true)
      await expectNoBackendsLeft(harness(), app)
      state = done.state as StateValue
    }
    expect(failures).toBeGreaterThanOrEqual(2)
    const last = await sync(config, cat, state)
    expect(last.code, last.stderr).toBe(0)
    for (const k of committed(last.messages, 'public-wal_t').keys) seen.add(k)
    expect(missingKeys(seen, total)).toEqual([])
    await expectNoBackendsLeft(harness(), app)
  })
})

describe('a table-read connection terminated mid-FULL_TABLE', () => {
  it('the run stops with the stream named, the other worker stops too, no connection left; the restart misses no key', async () => {
    const app = uniqueAppName('readkill')
    const config = writeConfig(db, { itersize: 200, max_workers: 2, application_name: app })
    const cat = writeCatalog(
      selectStreams(catalog, { big_a: { method: 'FULL_TABLE' }, big_b: { method: 'FULL_TABLE' } }),
    )
    let records = 0
    let killed = false
    const first = await sync(config, cat, undefined, {
      onLine: (line, child) => {
        if (killed || !line.startsWith('{"type":"RECORD","stream":"public-big_a"') || ++records < 3000) return
        killed = true
        child.stdout?.pause()
        // The backend reading big_a: its query names the table.
        void sql(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%big_a%'`,
          [app],
        ).finally(() => setTimeout(() => child.stdout?.resume(), 200))
      },
    })
    expect(killed).toBe(true)
    expectCleanError(
      first,
      1,
      /^error: stream public-big_a: reading public\.big_a: connection lost: .* \(hint: the run stopped; run again with its last STATE to resume\)$/,
      { records: true },
    )
    expect(first.messages.at(-1)?.type).toBe('STATE')
    await expectNoBackendsLeft(harness(), app, 2000)
    const a = committed(first.messages, 'public-big_a')
    const b = committed(first.messages, 'public-big_b')
    const second = await sync(config, cat, a.state)
    expect(second.code, second.stderr).toBe(0)
    expect(missingKeys([...a.keys, ...committed(second.messages, 'public-big_a').keys], 20_000)).toEqual([])
    expect(missingKeys([...b.keys, ...committed(second.messages, 'public-big_b').keys], 20_000)).toEqual([])
  })
})

describe('a task that throws', () => {
  it('stops the run at once with the stream and cause named; the slow stream on the other worker stops; no connection left', async () => {
    const app = uniqueAppName('throws')
    const config = writeConfig(db, { itersize: 100, max_workers: 2, application_name: app })
    const cat = writeCatalog(
      selectStreams(catalog, { boom: { method: 'FULL_TABLE' }, slow: { method: 'FULL_TABLE' } }),
    )
    const started = Date.now()
    const r = await sync(config, cat)
    // The slow view alone takes 200 s; the run ends long before.
    expect(Date.now() - started).toBeLessThan(30_000)
    expectCleanError(
      r,
      1,
      /^error: stream public-boom: reading public\.boom: division by zero \(SQLSTATE 22012\)$/,
      { records: true },
    )
    expect(r.stderr).toMatch(/stream public-boom failed: stopping the other streams/)
    // The slow stream stopped: no closing ACTIVATE_VERSION, fewer rows than it has.
    const slowVersions = r.messages.filter((m) => m.type === 'ACTIVATE_VERSION' && m.stream === 'public-slow')
    expect(slowVersions).toHaveLength(1)
    expect(r.messages.filter((m) => m.type === 'RECORD' && m.stream === 'public-slow').length).toBeLessThan(
      100_000,
    )
    expect(r.messages.at(-1)?.type).toBe('STATE')
    await expectNoBackendsLeft(harness(), app, 1000)
  })
})

describe('stdout closed by its reader', () => {
  it('during discover of a large catalog: a quiet exit, non-zero, no error line, no connection left', async () => {
    await sql(
      `DO $$ BEGIN FOR i IN 1..150 LOOP EXECUTE format('CREATE TABLE many_%s (id int PRIMARY KEY, a text, b int, c timestamptz, d numeric)', i); END LOOP; END $$`,
    )
    const app = uniqueAppName('discepipe')
    const r = await runTap(['--config', writeConfig(db, { application_name: app }), '--discover'], {
      onLine: (_line, child) => child.stdout?.destroy(),
    })
    expect(r.code).toBe(1)
    expect(r.stderr).not.toMatch(/^error:/m)
    expect(r.stderr).not.toMatch(STACK_LINE)
    await expectNoBackendsLeft(harness(), app, 2000)
  })
})
