/**
 * Server faults on a private cluster (the shared one serves other test files in parallel):
 * the server restarts in the middle of a FULL_TABLE sync; statement_timeout and
 * idle_in_transaction_session_timeout set low on the server.
 *
 * Failure behaviour (README "Failure behaviour"): a lost connection is not retried; the run stops
 * with one error line, exit 1, and a last STATE covering exactly what was written, so the next run
 * resumes from it without missing a key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTap } from '../harness/run-tap.js'
import { clusterInfo } from '../harness/pg.js'
import type { Catalog } from '../../src/singer/catalog-types.js'
import { selectStreams, writeCatalog } from '../sync/catalog-helpers.js'
import { writeJsonFile } from '../harness/pg.js'
import {
  committed,
  configFor,
  expectCleanError,
  expectNoBackendsLeft,
  missingKeys,
  pgCtl,
  startOwnCluster,
  withClusterAdmin,
  type OwnCluster,
} from './helpers.js'

const ROWS = 60_000
const DB = 'faults'
let cluster: OwnCluster
let catalog: Catalog

const enabled = clusterInfo().dataDir !== ''

beforeAll(async () => {
  if (!enabled) return
  cluster = await startOwnCluster()
  await withClusterAdmin(cluster, 'postgres', (c) => c.query(`CREATE DATABASE ${DB}`))
  await withClusterAdmin(cluster, DB, async (c) => {
    await c.query('CREATE TABLE orders (id int PRIMARY KEY, v text)')
    for (let t = 0; t < 20; t++)
      await c.query(
        `INSERT INTO orders SELECT g, repeat('x', 400) FROM generate_series(${t * 3000 + 1}, ${(t + 1) * 3000}) g`,
      )
  })
  const r = await runTap(['discover', '--config', configFor(cluster, DB)])
  if (r.code !== 0) throw new Error(r.stderr)
  catalog = JSON.parse(r.stdout) as Catalog
})

afterAll(() => {
  cluster?.stop()
})

describe.skipIf(!enabled)('the server restarts in the middle of a FULL_TABLE sync', () => {
  it('fails with one clear line, exit 1, a last STATE; resuming from it misses no key', async () => {
    const app = 'tap_restart'
    const config = configFor(cluster, DB, { itersize: 200, max_workers: 1, application_name: app })
    const cat = writeCatalog(selectStreams(catalog, { orders: { method: 'FULL_TABLE' } }))
    let records = 0
    let restarted = false
    const first = await runTap(['sync', '--config', config, '--catalog', cat], {
      onLine: (line) => {
        if (restarted || !line.startsWith('{"type":"RECORD"') || ++records < 5000) return
        restarted = true
        // Synchronous: the tap is blocked on a full pipe meanwhile, its connection in mid-read.
        pgCtl(cluster, ['-m', 'fast', '-w', 'stop'])
        pgCtl(cluster, ['-w', 'start'])
      },
    })
    expect(restarted).toBe(true)
    expectCleanError(
      first,
      1,
      /^error: stream public-orders: reading public\.orders: connection lost: (terminating connection due to administrator command|the server closed the connection.*) \(hint: the run stopped; run again with its last STATE to resume\)$/,
      { records: true },
    )
    expect(first.messages.at(-1)?.type).toBe('STATE')
    const done = committed(first.messages, 'public-orders')
    expect(done.keys.length).toBeLessThan(ROWS)
    expect(done.state?.bookmarks['public-orders'].xmin).toEqual(expect.any(Number))
    await expectNoBackendsLeft(cluster, app)

    const second = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      cat,
      '--state',
      writeJsonFile('state.json', done.state),
    ])
    expect(second.code, second.stderr).toBe(0)
    const again = committed(second.messages, 'public-orders')
    expect(again.keys.length).toBeLessThan(ROWS)
    expect(missingKeys([...done.keys, ...again.keys], ROWS)).toEqual([])
  })
})

describe.skipIf(!enabled)('timeouts set low on the server', () => {
  const TDB = 'timeouts'
  let cat: string
  let bigCat: string
  let logCat: string

  beforeAll(async () => {
    await withClusterAdmin(cluster, 'postgres', (c) => c.query(`CREATE DATABASE ${TDB}`))
    await withClusterAdmin(cluster, TDB, (c) =>
      c.query(`
      CREATE TABLE t (id int PRIMARY KEY, v text);
      INSERT INTO t SELECT g, repeat('y', 40) FROM generate_series(1, 20000) g;
      CREATE TABLE t_big (id int PRIMARY KEY, v text);
      INSERT INTO t_big SELECT g, repeat('y', 100) FROM generate_series(1, 300000) g;
      CREATE TABLE l (id int PRIMARY KEY, v text)`),
    )
    const r = await runTap(['discover', '--config', configFor(cluster, TDB)])
    const discovered = JSON.parse(r.stdout) as Catalog
    cat = writeCatalog(selectStreams(discovered, { t: { method: 'FULL_TABLE' } }))
    bigCat = writeCatalog(selectStreams(discovered, { t_big: { method: 'FULL_TABLE' } }))
    logCat = writeCatalog(selectStreams(discovered, { l: { method: 'LOG_BASED' } }))
  })

  /** Runs a sync whose reader stops reading stdout for `pauseMs` after the first RECORD. */
  function slowReader(config: string, catalogPath: string, pauseMs: number, state?: unknown) {
    let paused = false
    const args = ['sync', '--config', config, '--catalog', catalogPath]
    if (state !== undefined) args.push('--state', writeJsonFile('state.json', state))
    return runTap(args, {
      onLine: (line, child) => {
        if (paused || !line.startsWith('{"type":"RECORD"')) return
        paused = true
        child.stdout?.pause()
        setTimeout(() => child.stdout?.resume(), pauseMs)
      },
    })
  }

  it('statement_timeout: a read held back by a slow reader is cancelled: one clear line with a hint, exit 1, a resumable STATE', async () => {
    await withClusterAdmin(cluster, 'postgres', (c) =>
      c.query(`ALTER DATABASE ${TDB} SET statement_timeout = '400ms'`),
    )
    const app = 'tap_stmt_timeout'
    const config = configFor(cluster, TDB, { itersize: 100, max_workers: 1, application_name: app })
    let r: Awaited<ReturnType<typeof slowReader>>
    try {
      // 30 MB: more than the socket buffers hold, so the statement is still running when the reader stalls.
      r = await slowReader(config, bigCat, 1500)
      expectCleanError(
        r,
        1,
        /^error: stream public-t_big: reading public\.t_big: canceling statement due to statement timeout \(SQLSTATE 57014\) \(hint: the server's statement_timeout cancelled the read; .*\)$/,
        { records: true },
      )
      expect(r.messages.at(-1)?.type).toBe('STATE')
      await expectNoBackendsLeft(cluster, app)
    } finally {
      await withClusterAdmin(cluster, 'postgres', (c) =>
        c.query(`ALTER DATABASE ${TDB} RESET statement_timeout`),
      )
    }
    const done = committed(r.messages, 'public-t_big')
    const rest = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      bigCat,
      '--state',
      writeJsonFile('s.json', done.state),
    ])
    expect(rest.code, rest.stderr).toBe(0)
    expect(missingKeys([...done.keys, ...committed(rest.messages, 'public-t_big').keys], 300_000)).toEqual([])
  })

  it('idle_in_transaction_session_timeout with a slow reader: the run completes, or stops with one clear line and resumes', async () => {
    await withClusterAdmin(cluster, 'postgres', (c) =>
      c.query(`ALTER DATABASE ${TDB} SET idle_in_transaction_session_timeout = '300ms'`),
    )
    const app = 'tap_idle_timeout'
    const config = configFor(cluster, TDB, { itersize: 100, max_workers: 1, application_name: app })
    let r: Awaited<ReturnType<typeof slowReader>>
    try {
      r = await slowReader(config, cat, 1500)
      // A read whose rows have all arrived waits, in its transaction, for the reader to take them.
      if (r.code !== 0) {
        expectCleanError(
          r,
          1,
          /^error: stream public-t: reading public\.t: terminating connection due to idle-in-transaction timeout \(SQLSTATE 25P03\) \(hint: the server's idle_in_transaction_session_timeout closed the session; .*\)$/,
          { records: true },
        )
        expect(r.messages.at(-1)?.type).toBe('STATE')
      }
      await expectNoBackendsLeft(cluster, app)
    } finally {
      await withClusterAdmin(cluster, 'postgres', (c) =>
        c.query(`ALTER DATABASE ${TDB} RESET idle_in_transaction_session_timeout`),
      )
    }
    const done = committed(r.messages, 'public-t')
    const keys = [...done.keys]
    if (r.code !== 0) {
      const rest = await runTap([
        'sync',
        '--config',
        config,
        '--catalog',
        cat,
        '--state',
        writeJsonFile('s.json', done.state),
      ])
      expect(rest.code, rest.stderr).toBe(0)
      keys.push(...committed(rest.messages, 'public-t').keys)
    }
    expect(missingKeys(keys, 20000)).toEqual([])
  })

  it('LOG_BASED with both timeouts low: streaming is unaffected, or fails with one clear line', async () => {
    const app = 'tap_timeout_lb'
    const config = configFor(cluster, TDB, {
      application_name: app,
      replication_slot_name: 'timeouts_slot',
      poll_interval: 0.2,
    })
    expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
    const first = await runTap(['sync', '--config', config, '--catalog', logCat])
    expect(first.code, first.stderr).toBe(0)
    const state = committed(first.messages, 'public-l').state
    await withClusterAdmin(cluster, TDB, (c) =>
      c.query(`INSERT INTO l SELECT g, repeat('z', 100) FROM generate_series(1, 20000) g; CHECKPOINT`),
    )
    await withClusterAdmin(cluster, 'postgres', (c) =>
      c.query(
        `ALTER DATABASE ${TDB} SET statement_timeout = '400ms'; ALTER DATABASE ${TDB} SET idle_in_transaction_session_timeout = '300ms'`,
      ),
    )
    try {
      const r = await slowReader(config, logCat, 1500, state)
      expect(r.code, r.stderr).toBe(0)
      expect(missingKeys(committed(r.messages, 'public-l').keys, 20000)).toEqual([])
      await expectNoBackendsLeft(cluster, app)
    } finally {
      await withClusterAdmin(cluster, 'postgres', (c) =>
        c.query(
          `ALTER DATABASE ${TDB} RESET statement_timeout; ALTER DATABASE ${TDB} RESET idle_in_transaction_session_timeout`,
        ),
      )
    }
  })
})

/** Logical slots are dropped from their own database. */
async function dropAllSlots(): Promise<void> {
  const dbs = await withClusterAdmin(cluster, 'postgres', async (c) =>
    (await c.query<{ database: string }>('SELECT DISTINCT database FROM pg_replication_slots')).rows.map(
      (r) => r.database,
    ),
  )
  for (const d of dbs)
    await withClusterAdmin(cluster, d, (c) =>
      c.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()',
      ),
    )
}

describe.skipIf(!enabled)('a server that cannot do logical replication', () => {
  const RDB = 'nologic'
  let cat: string

  beforeAll(async () => {
    await withClusterAdmin(cluster, 'postgres', (c) => c.query(`CREATE DATABASE ${RDB}`))
    await withClusterAdmin(cluster, RDB, (c) =>
      c.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)'),
    )
    const r = await runTap(['discover', '--config', configFor(cluster, RDB)])
    cat = writeCatalog(selectStreams(JSON.parse(r.stdout) as Catalog, { t: { method: 'LOG_BASED' } }))
  })

  it('wal2json missing (the server cannot load it): slot create, check and a LOG_BASED sync each say so in one line', async () => {
    const config = configFor(cluster, RDB, {
      replication_slot_name: 'nologic_slot',
      default_replication_method: 'LOG_BASED',
    })
    // A slot made while wal2json could be loaded, then a library path where it cannot be found.
    expect((await runTap(['slot', 'create', '--plugin', 'wal2json', '--config', config])).code).toBe(0)
    const first = await runTap(['sync', '--config', config, '--catalog', cat])
    expect(first.code, first.stderr).toBe(0)
    // A change to stream, so the run must start decoding (a run already caught up stops before).
    await withClusterAdmin(cluster, RDB, (c) =>
      c.query('BEGIN; SET LOCAL synchronous_commit = on; INSERT INTO t VALUES (3); COMMIT'),
    )
    await withClusterAdmin(cluster, 'postgres', async (c) => {
      await c.query(`ALTER SYSTEM SET dynamic_library_path = '/nonexistent-tap-test'`)
      await c.query('SELECT pg_reload_conf()')
    })
    try {
      const sync = await runTap([
        'sync',
        '--config',
        config,
        '--catalog',
        cat,
        '--state',
        writeJsonFile('s.json', committed(first.messages, 'public-t').state),
      ])
      expectCleanError(
        sync,
        1,
        /^error: .*the wal2json output plugin is not installed on the server .* \(hint: install wal2json on the server .*\)$/,
      )
      const other = configFor(cluster, RDB, { replication_slot_name: 'nologic_slot2' })
      expectCleanError(
        await runTap(['slot', 'create', '--plugin', 'wal2json', '--config', other]),
        1,
        /^error: creating replication slot "nologic_slot2": the wal2json output plugin is not installed on the server/,
      )
      const check = await runTap(['check', '--config', config])
      expect(check.code).toBe(1)
      expect(check.stdout).toMatch(/^FAIL .*wal2json/m)
    } finally {
      await withClusterAdmin(cluster, 'postgres', async (c) => {
        await c.query('ALTER SYSTEM RESET dynamic_library_path')
        await c.query('SELECT pg_reload_conf()')
      })
      await dropAllSlots()
    }
  })

  it('wal_level = replica: slot create, slot status, check and a LOG_BASED sync each say so in one line', async () => {
    // Logical slots must go before the server may start with wal_level below logical.
    await dropAllSlots()
    await withClusterAdmin(cluster, 'postgres', (c) => c.query('ALTER SYSTEM SET wal_level = replica'))
    pgCtl(cluster, ['-m', 'fast', '-w', 'restart'])
    try {
      const config = configFor(cluster, RDB, {
        replication_slot_name: 'nologic_slot',
        default_replication_method: 'LOG_BASED',
      })
      const walLevel =
        /^error: (creating replication slot "nologic_slot": )?LOG_BASED replication needs wal_level = logical; the server has wal_level = replica \(hint: set wal_level = logical .*\)$/
      expectCleanError(await runTap(['slot', 'create', '--config', config]), 1, walLevel)
      expectCleanError(await runTap(['slot', 'status', '--config', config]), 1, walLevel)
      expectCleanError(await runTap(['sync', '--config', config, '--catalog', cat]), 1, walLevel)
      const check = await runTap(['check', '--config', config])
      expect(check.code).toBe(1)
      expect(check.stdout).toMatch(/^FAIL .*wal_level/m)
      // FULL_TABLE does not care.
      const full = await runTap([
        'sync',
        '--config',
        config,
        '--catalog',
        writeCatalog(
          selectStreams(JSON.parse((await runTap(['discover', '--config', config])).stdout) as Catalog, {
            t: { method: 'FULL_TABLE' },
          }),
        ),
      ])
      expect(full.code, full.stderr).toBe(0)
    } finally {
      await withClusterAdmin(cluster, 'postgres', (c) => c.query('ALTER SYSTEM RESET wal_level'))
      pgCtl(cluster, ['-m', 'fast', '-w', 'restart'])
    }
  })
})
