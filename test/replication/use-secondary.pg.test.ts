/**
 * LOG_BASED with `use_secondary` on a streaming replica whose replay is paused (a replica lagging
 * behind the primary), through the built CLI. The initial load reads the replica; its bookmark must
 * describe what the replica had replayed, so that streaming from the primary's slot delivers the rest;
 * when the slot cannot serve from there, the run waits (secondary_catchup_seconds) or refuses.
 *
 * The primary is a private cluster (a base backup of the shared one would copy every test file's
 * database); the standby is made of it with pg_basebackup (test/harness/standby.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Catalog } from '../../src/singer/catalog-types.js'
import { clusterInfo, uniqueAppName, writeJsonFile } from '../harness/pg.js'
import { startCluster, type TestCluster } from '../harness/pg-cluster.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import { startStandby, type Standby } from '../harness/standby.js'
import { expectSuccess, lastState, records, selectStreams, writeCatalog } from '../sync/catalog-helpers.js'
import { withClusterAdmin } from '../reliability/helpers.js'
import { createSlotSql, LOG_BASED_PLUGINS } from './plugins.js'

const DB = 'lagging'
const enabled = clusterInfo().dataDir !== ''
let primary: TestCluster
let standby: Standby

beforeAll(async () => {
  if (!enabled) return
  primary = await startCluster()
  await withClusterAdmin(primary, 'postgres', (c) => c.query(`CREATE DATABASE ${DB}`))
  standby = await startStandby(primary)
}, 300_000)

afterAll(() => {
  standby?.stop()
  primary?.stop()
})

async function sql(text: string): Promise<Array<Record<string, string>>> {
  return withClusterAdmin(
    primary,
    DB,
    async (c) => (await c.query(text)).rows as Array<Record<string, string>>,
  )
}

/** A config whose reads go to the standby; LOG_BASED streaming and the slot stay on the primary. */
function config(slot: string, extra: Record<string, unknown> = {}): string {
  return writeJsonFile('config.json', {
    host: primary.host,
    port: primary.port,
    user: primary.user,
    dbname: DB,
    replication_slot_name: slot,
    use_secondary: true,
    secondary_host: standby.host,
    secondary_port: standby.port,
    ...extra,
  })
}

function sync(
  configPath: string,
  catalog: string,
  state?: unknown,
  opts: Parameters<typeof runTap>[1] = {},
): Promise<TapResult> {
  const args = ['sync', '--config', configPath, '--catalog', catalog]
  if (state !== undefined) args.push('--state', writeJsonFile('state.json', state))
  return runTap(args, { timeoutMs: 240_000, ...opts })
}

async function logBasedCatalog(...tables: string[]): Promise<string> {
  const r = await runTap([
    'discover',
    '--config',
    writeJsonFile('config.json', { host: primary.host, port: primary.port, user: primary.user, dbname: DB }),
  ])
  if (r.code !== 0) throw new Error(`discover failed: ${r.stderr}`)
  return writeCatalog(
    selectStreams(
      JSON.parse(r.stdout) as Catalog,
      Object.fromEntries(tables.map((t) => [t, { method: 'LOG_BASED' }])),
    ),
  )
}

/** `rows` rows with a wide column, so that a chunked load (chunk_rows 30) has several chunks. */
async function createTable(table: string, rows: number): Promise<void> {
  await sql(`CREATE TABLE ${table} (id int PRIMARY KEY, pad text)`)
  await sql(`INSERT INTO ${table} SELECT i, repeat('x', 300) FROM generate_series(1, ${rows}) i`)
  await sql(`ANALYZE ${table}`)
}

/** The harness runs synchronous_commit=off: a CHECKPOINT flushes WAL to the walsenders (standby, wal2json). */
async function insertRows(table: string, from: number, to: number): Promise<void> {
  await sql(`INSERT INTO ${table} SELECT i, 'late' FROM generate_series(${from}, ${to}) i`)
  await sql('CHECKPOINT')
}

function expectRefused(r: TapResult, ...phrases: string[]): void {
  expect(r.code).toBe(1)
  expect(records(r.messages)).toHaveLength(0)
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
  expect(errors).toHaveLength(1)
  for (const p of [
    `replica ${standby.host}:${standby.port}`,
    'replay is paused',
    'secondary_catchup_seconds',
    'use_secondary',
    ...phrases,
  ])
    expect(errors[0]).toContain(p)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

function ids(r: TapResult, stream: string): number[] {
  return records(r.messages, stream)
    .map((rec) => rec.id as number)
    .sort((a, b) => a - b)
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

/** The primary has WAL the standby has not replayed: the scenario is real. */
async function expectStandbyBehind(): Promise<void> {
  const [row] = await sql('SELECT pg_current_wal_lsn()::text AS lsn')
  const [hi, lo] = row.lsn.split('/')
  expect(await standby.replayedLsn()).toBeLessThan((BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`))
}

describe.skipIf(!enabled).each(LOG_BASED_PLUGINS)('use_secondary on a lagging replica (%s)', (plugin) => {
  const createSlot = (slot: string) => withClusterAdmin(primary, DB, (c) => createSlotSql(c, slot, plugin))

  it.each([
    ['unchunked', 0],
    ['chunked', 30],
  ] as const)(
    '%s load: the rows the replica has not replayed are streamed, none is lost',
    async (kind, chunkRows) => {
      const table = `paused_${kind}_${plugin}`
      const stream = `public-${table}`
      const slot = `lag_${kind}_${plugin}`
      await createTable(table, 100)
      await createSlot(slot)
      const catalog = await logBasedCatalog(table)
      await standby.catchUp()
      await standby.pauseReplay()
      try {
        await insertRows(table, 101, 150)
        await expectStandbyBehind()
        if (plugin === 'pgoutput') {
          // 101-150 were written before the table joined the publication (this run adds it): pgoutput
          // never sends them, so the load must read a replica that has them.
          expectRefused(
            await sync(config(slot, { chunk_rows: chunkRows, secondary_catchup_seconds: 1 }), catalog),
            `pgoutput slot "${slot}" sends a table's changes only from when it joined the publication`,
          )
          await standby.resumeReplay()
        }
        const first = await sync(config(slot, { chunk_rows: chunkRows }), catalog)
        expectSuccess(first)
        // The load (100 rows, all the replica has) and the 50 inserts it has not replayed, streamed from the slot.
        expect(ids(first, stream)).toEqual(range(1, 150))
        if (chunkRows > 0) expect(first.stderr).toMatch(/Exported snapshot .* for the chunked loads/)

        await standby.resumeReplay()
        await insertRows(table, 151, 160)
        const second = await sync(config(slot, { chunk_rows: chunkRows }), catalog, lastState(first.messages))
        expectSuccess(second)
        expect(ids(second, stream)).toEqual(range(151, 160))
      } finally {
        await standby.resumeReplay()
      }
    },
  )

  it.each([
    ['unchunked', 0],
    ['chunked', 30],
  ] as const)(
    '%s load, slot ahead of the replica: refuses after secondary_catchup_seconds, then waits for replay',
    async (kind, chunkRows) => {
      const table = `ahead_${kind}_${plugin}`
      const stream = `public-${table}`
      const slot = `ahead_${kind}_${plugin}`
      await createTable(table, 100)
      const catalog = await logBasedCatalog(table)
      await standby.catchUp()
      await standby.pauseReplay()
      try {
        // Inserted before the slot exists: the slot will never stream them, only a load can read them.
        await insertRows(table, 101, 150)
        await createSlot(slot)
        await sql('CHECKPOINT')
        await expectStandbyBehind()

        expectRefused(
          await sync(config(slot, { chunk_rows: chunkRows, secondary_catchup_seconds: 1 }), catalog),
          plugin === 'pgoutput' ? `pgoutput slot "${slot}" sends` : `replication slot "${slot}" streams from`,
        )

        // The same run with time to wait: replay resumes while it waits, and it loads everything.
        const app = uniqueAppName('lagwait')
        let ended = false
        const running = sync(
          config(slot, { chunk_rows: chunkRows, secondary_catchup_seconds: 600, application_name: app }),
          catalog,
        ).finally(() => {
          ended = true
        })
        // Resumed once the run polls the replica's replay position, i.e. waits.
        const waiting = async () =>
          (await standby.sessionQueries(app)).some((q) => q.includes('pg_last_wal_replay_lsn'))
        while (!ended && !(await waiting())) await new Promise((resolve) => setTimeout(resolve, 200))
        await standby.resumeReplay()
        const waited = await running
        expectSuccess(waited)
        expect(waited.stderr).toMatch(/waiting up to 600 s/)
        expect(ids(waited, stream)).toEqual(range(1, 150))
        expect(lastState(waited.messages).bookmarks[stream].lsn).toEqual(expect.any(Number))
      } finally {
        await standby.resumeReplay()
      }
    },
  )

  it("a table joining a stream that already streams: the new load waits until the replica has replayed the state's bookmarks", async () => {
    const slot = `join_${plugin}`
    await createTable(`join_old_${plugin}`, 10)
    await createTable(`join_new_${plugin}`, 10)
    await createSlot(slot)
    const oldOnly = await logBasedCatalog(`join_old_${plugin}`)
    const both = await logBasedCatalog(`join_old_${plugin}`, `join_new_${plugin}`)
    await standby.catchUp()
    const first = await sync(config(slot), oldOnly)
    expectSuccess(first)
    expect(ids(first, `public-join_old_${plugin}`)).toEqual(range(1, 10))
    await standby.pauseReplay()
    try {
      await insertRows(`join_old_${plugin}`, 11, 20)
      await insertRows(`join_new_${plugin}`, 11, 20)
      // join_old streams on: its bookmark moves past what the replica has replayed.
      const second = await sync(config(slot), oldOnly, lastState(first.messages))
      expectSuccess(second)
      expect(ids(second, `public-join_old_${plugin}`)).toEqual(range(11, 20))
      await expectStandbyBehind()
      // The run would confirm join_old's bookmark to the slot, beyond a load of join_new bookmarked where the replica is.
      expectRefused(
        await sync(config(slot, { secondary_catchup_seconds: 1 }), both, lastState(second.messages)),
        plugin === 'pgoutput'
          ? "sends a table's changes only from when it joined the publication"
          : 'the smallest LOG_BASED bookmark of the state',
      )
      await standby.resumeReplay()
      const joined = await sync(config(slot), both, lastState(second.messages))
      expectSuccess(joined)
      expect(ids(joined, `public-join_new_${plugin}`)).toEqual(range(1, 20))
      expect(ids(joined, `public-join_old_${plugin}`)).toEqual([])
    } finally {
      await standby.resumeReplay()
    }
  })
})
