/**
 * A LOG_BASED initial load killed midway, rows it had delivered then deleted and updated, then the
 * load resumed from the STATE a target committed (issue #11, item 1): the midway STATE keeps the
 * position the load's first attempt started at (`lsn`, pipelinewise's form), and the resumed run
 * streams from it, so the deletes and updates reach the target. Cursor and chunked loads alike.
 * Also: SIGTERM during a LOG_BASED initial load ends stdout with a STATE (item 9).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLsn } from '../../src/pg/lsn.js'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import type { SingerMessage } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  records,
  selectStreams,
  sync,
  writeCatalog,
} from '../sync/catalog-helpers.js'
import { createSlotSql, LOG_BASED_PLUGINS, type LogBasedPlugin } from './plugins.js'

let db: string

beforeAll(async () => {
  db = await createTestDatabase('resume_load')
})
afterAll(async () => {
  await dropTestDatabase(db)
})

type State = ReturnType<typeof lastState>

async function sql(text: string, values?: unknown[]): Promise<Array<Record<string, string>>> {
  return withAdmin(db, async (c) => (await c.query(text, values)).rows as Array<Record<string, string>>)
}

/** The plugin-specific part of a test: the slot (and, for plugins that need one, its publication). */
async function createSlot(slot: string, plugin: LogBasedPlugin): Promise<void> {
  await withAdmin(db, (c) => createSlotSql(c, slot, plugin))
}

async function slotPosition(slot: string): Promise<bigint> {
  const [row] = await sql(
    'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  )
  return parseLsn(row.lsn)
}

/** What a target that commits at each STATE has: the messages up to the last STATE. */
function committed(messages: SingerMessage[]): { messages: SingerMessage[]; state: State } {
  let last = -1
  messages.forEach((m, i) => {
    if (m.type === 'STATE') last = i
  })
  const upTo = messages.slice(0, last + 1)
  return { messages: upTo, state: lastState(upTo) }
}

/** Upserts and deletes by key, in message order: load records have no _sdc_deleted_at, streamed ones have it. */
function apply(target: Map<number, number>, messages: SingerMessage[], stream: string): void {
  for (const m of messages) {
    if (m.type !== 'RECORD' || m.stream !== stream) continue
    const r = m.record as { id: number; v: number; _sdc_deleted_at?: string | null }
    if (r._sdc_deleted_at === undefined || r._sdc_deleted_at === null) target.set(r.id, r.v)
    else target.delete(r.id)
  }
}

async function tableNow(table: string): Promise<Map<number, number>> {
  return new Map((await sql(`SELECT id, v FROM ${table}`)).map((r) => [Number(r.id), Number(r.v)]))
}

function expectSameRows(target: Map<number, number>, table: Map<number, number>): void {
  const wrong: string[] = []
  for (const [id, v] of table)
    if (target.get(id) !== v) wrong.push(`${id}: ${target.get(id)} instead of ${v}`)
  for (const id of target.keys())
    if (!table.has(id)) wrong.push(`${id}: in the target, deleted from the table`)
  expect(wrong.slice(0, 10)).toEqual([])
}

/** Deletes 50 and updates 50 of the rows the target has (v = -1), and commits one new row; the WAL is flushed. */
async function changeDelivered(
  table: string,
  delivered: readonly number[],
): Promise<{ deleted: number[]; updated: number[] }> {
  const ids = [...new Set(delivered)].sort((a, b) => a - b)
  const deleted = ids.filter((_, i) => i % 7 === 3).slice(0, 50)
  const updated = ids.filter((_, i) => i % 7 === 5).slice(0, 50)
  expect(deleted).toHaveLength(50)
  expect(updated).toHaveLength(50)
  await sql(`DELETE FROM ${table} WHERE id = ANY($1::int[])`, [deleted])
  await sql(`UPDATE ${table} SET v = -1 WHERE id = ANY($1::int[])`, [updated])
  await sql(`INSERT INTO ${table} VALUES (999999, 7, 'new')`)
  // wal2json only sees flushed WAL (the harness runs synchronous_commit=off).
  await sql('CHECKPOINT')
  return { deleted, updated }
}

/** Every deleted id has a delete record, every updated id ends with v = -1, in the resumed run. */
function expectChangesDelivered(
  run: SingerMessage[],
  stream: string,
  changes: { deleted: number[]; updated: number[] },
): void {
  const recs = records(run, stream) as Array<{ id: number; v?: number; _sdc_deleted_at?: string | null }>
  const deletes = new Set(recs.filter((r) => typeof r._sdc_deleted_at === 'string').map((r) => r.id))
  expect(changes.deleted.filter((id) => !deletes.has(id))).toEqual([])
  const lastV = new Map<number, number | undefined>()
  for (const r of recs)
    if (r._sdc_deleted_at === undefined || r._sdc_deleted_at === null) lastV.set(r.id, r.v)
  expect(changes.updated.filter((id) => lastV.get(id) !== -1)).toEqual([])
}

describe.each(LOG_BASED_PLUGINS)(
  'LOG_BASED initial load killed midway, delivered rows deleted and updated, then resumed (%s)',
  (plugin) => {
    it('cursor load: the midway STATE keeps where the load began; the resumed run streams from there', async () => {
      const table = `cur_${plugin}`
      const stream = `public-${table}`
      const slot = `resume_cur_${plugin}`
      await sql(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL, pad text)`)
      // 30 transactions, so the read's xmin bookmark moves.
      for (let t = 0; t < 30; t++)
        await sql(
          `INSERT INTO ${table} SELECT g, 0, repeat('p', 20) FROM generate_series(${t * 1000 + 1}, ${(t + 1) * 1000}) g`,
        )
      await createSlot(slot, plugin)
      // The kill goes at the third midway STATE: every due STATE is written (no time bound).
      const config = writeConfig(db, {
        replication_slot_name: slot,
        itersize: 500,
        max_workers: 1,
        chunk_rows: 0,
        state_interval_seconds: 0,
      })
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), { [table]: { method: 'LOG_BASED' } }),
      )

      // Run 1 dies (SIGKILL) after its third xmin STATE: the target has committed that STATE.
      let xminStates = 0
      const run1 = await sync(config, catalog, undefined, {
        onLine: (line, child) => {
          if (line.startsWith('{"type":"STATE"') && /"xmin":\d+/.test(line) && ++xminStates === 3)
            child.kill('SIGKILL')
        },
      })
      expect(run1.signal).toBe('SIGKILL')
      const done1 = committed(run1.messages)
      const midway = done1.state.bookmarks[stream]
      // pipelinewise's midway form: version, xmin and the lsn the load began at.
      expect(midway).toMatchObject({ last_replication_method: 'LOG_BASED' })
      expect(typeof midway.version).toBe('number')
      expect(typeof midway.xmin).toBe('number')
      expect(Number.isInteger(midway.lsn)).toBe(true)
      const loadLsn = BigInt(midway.lsn as number)
      const delivered = records(done1.messages, stream).map((r) => r.id as number)
      expect(delivered.length).toBeGreaterThan(0)
      expect(delivered.length).toBeLessThan(30_000)

      const changes = await changeDelivered(table, delivered)

      const run2 = await sync(config, catalog, done1.state)
      expectSuccess(run2)
      expect(run2.stderr).toMatch(
        /Starting LOG_BASED initial load \(full table\) sync of public\.cur_\S+ resuming after xmin/,
      )
      expectChangesDelivered(run2.messages, stream, changes)
      const target = new Map<number, number>()
      apply(target, done1.messages, stream)
      apply(target, run2.messages, stream)
      expectSameRows(target, await tableNow(table))
      // One version throughout; the load finished and its lsn is where it began, then streaming moved it on.
      expect(
        run2.messages.filter((m) => m.type === 'RECORD').every((m) => m.version === midway.version),
      ).toBe(true)
      const end = lastState(run2.messages).bookmarks[stream]
      expect(end).toMatchObject({ version: midway.version, xmin: null })
      expect(BigInt(end.lsn as number)).toBeGreaterThan(loadLsn)
      // The slot was confirmed at the input state's position (the load's), no further.
      expect(await slotPosition(slot)).toBe(loadLsn)
      expect(run2.messages.at(-1)?.type).toBe('STATE')
    })

    it("chunked load: the bookmark has the first snapshot's lsn from the start; the resumed run streams from there", async () => {
      const table = `chk_${plugin}`
      const stream = `public-${table}`
      const slot = `resume_chk_${plugin}`
      const rows = 40_000
      await sql(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL, pad text)`)
      await sql(`INSERT INTO ${table} SELECT g, 0, repeat('p', 40) FROM generate_series(1, ${rows}) g`)
      await sql(`ANALYZE ${table}`)
      await createSlot(slot, plugin)
      const config = writeConfig(db, {
        replication_slot_name: slot,
        chunk_rows: 5000,
        max_workers: 1,
        itersize: 1000,
        state_interval_seconds: 0,
      })
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), { [table]: { method: 'LOG_BASED' } }),
      )

      // Run 1 dies (SIGKILL) once two chunks are done.
      const run1 = await sync(config, catalog, undefined, {
        onLine: (line, child) => {
          if (line.startsWith('{"type":"STATE"') && line.includes('"done":[[0,2]]')) child.kill('SIGKILL')
        },
      })
      expect(run1.signal).toBe('SIGKILL')
      expect(run1.stderr).toMatch(
        /Starting LOG_BASED initial load \(full table\) of public\.chk_\S+ in \d+ chunks/,
      )
      const done1 = committed(run1.messages)
      const midway = done1.state.bookmarks[stream] as {
        version: number
        lsn: number
        chunks: { snapshot_lsn: number; done: number[][] }
      }
      expect(midway.chunks.done).toEqual([[0, 2]])
      expect(Number.isInteger(midway.lsn)).toBe(true)
      expect(midway.lsn).toBe(midway.chunks.snapshot_lsn)
      // Already in the opening STATE, before any record.
      const opening = run1.messages.find(
        (m) => m.type === 'STATE' && (m.value as State).bookmarks[stream]?.chunks !== undefined,
      )?.value as State
      expect(opening.bookmarks[stream].lsn).toBe(midway.lsn)
      const loadLsn = BigInt(midway.lsn)
      const delivered = records(done1.messages, stream).map((r) => r.id as number)

      const changes = await changeDelivered(table, delivered)

      const run2 = await sync(config, catalog, done1.state)
      expectSuccess(run2)
      expect(run2.stderr).toMatch(
        /Resuming LOG_BASED initial load \(full table\) of public\.chk_\S+: 2\/\d+ chunks done by an earlier run/,
      )
      expectChangesDelivered(run2.messages, stream, changes)
      const target = new Map<number, number>()
      apply(target, done1.messages, stream)
      apply(target, run2.messages, stream)
      expectSameRows(target, await tableNow(table))
      const end = lastState(run2.messages).bookmarks[stream]
      expect(end).toMatchObject({ version: midway.version, xmin: null })
      expect(end.chunks).toBeUndefined()
      expect(BigInt(end.lsn as number)).toBeGreaterThan(loadLsn)
      expect(await slotPosition(slot)).toBe(loadLsn)
    })

    it('a state from an older tap-postgres (xmin, no lsn): the load starts again under a new version, with a warning naming the stream', async () => {
      const table = `old_${plugin}`
      const stream = `public-${table}`
      const slot = `resume_old_${plugin}`
      await sql(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL, pad text)`)
      await sql(`INSERT INTO ${table} SELECT g, 0, 'x' FROM generate_series(1, 3000) g`)
      const [{ x }] = await sql(`SELECT xmin::text AS x FROM ${table} LIMIT 1`)
      await createSlot(slot, plugin)
      const config = writeConfig(db, { replication_slot_name: slot })
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), { [table]: { method: 'LOG_BASED' } }),
      )
      const old = {
        currently_syncing: stream,
        bookmarks: {
          [stream]: { last_replication_method: 'LOG_BASED', version: 1700000000000, xmin: Number(x) },
        },
      }
      const r = await sync(config, catalog, old)
      expectSuccess(r)
      expect(r.stderr).toMatch(
        new RegExp(
          `level=warn.*stream ${stream}: the state holds an unfinished LOG_BASED initial load \\(xmin ${x}\\) without the WAL position it started at`,
        ),
      )
      const recs = r.messages.filter((m) => m.type === 'RECORD' && m.stream === stream)
      expect(recs).toHaveLength(3000)
      const version = recs[0].version as number
      expect(version).not.toBe(1700000000000)
      // A new version: ACTIVATE_VERSION first and last, so the target drops what the old attempt left.
      expect(r.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.version)).toEqual([
        version,
        version,
      ])
      expect(lastState(r.messages).bookmarks[stream]).toMatchObject({ version, xmin: null })
    })
  },
)

describe.each(LOG_BASED_PLUGINS)('SIGTERM during a LOG_BASED initial load (%s)', (plugin) => {
  it('the last stdout line is a STATE, and a run from it delivers every row', async () => {
    const table = `term_${plugin}`
    const stream = `public-${table}`
    const slot = `resume_term_${plugin}`
    const rows = 200_000
    await sql(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL, pad text)`)
    // One transaction: every row has the same xmin, so the bookmark does not change from batch to batch.
    await sql(`INSERT INTO ${table} SELECT g, 0, repeat('p', 20) FROM generate_series(1, ${rows}) g`)
    await createSlot(slot, plugin)
    const config = writeConfig(db, { replication_slot_name: slot, max_workers: 1, chunk_rows: 0 })
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { [table]: { method: 'LOG_BASED' } }),
    )
    let sent = false
    const r = await sync(config, catalog, undefined, {
      onLine: (line, child) => {
        if (!sent && line.startsWith('{"type":"RECORD"')) {
          sent = true
          child.kill('SIGTERM')
        }
      },
    })
    expect(r.code).toBe(143)
    expect(r.messages.at(-1)?.type).toBe('STATE')
    expect(r.stdout.endsWith('\n')).toBe(true)
    const ids = records(r.messages, stream).map((x) => x.id as number)
    expect(ids.length).toBeLessThan(rows)
    const rest = await sync(config, catalog, lastState(r.messages))
    expectSuccess(rest)
    const all = new Set([...ids, ...records(rest.messages, stream).map((x) => x.id as number)])
    expect(all.size).toBe(rows)
  })
})
