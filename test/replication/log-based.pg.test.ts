// Long (~640 lines): LOG_BASED end-to-end scenarios sharing one server, database and slot helpers; each describe is one scenario.
/**
 * LOG_BASED end to end (docs/behaviour.md#log_based, #connections), through the built CLI on the throwaway server: initial load,
 * streaming of inserts/updates/deletes with arrays and hstore, exact values against a FULL_TABLE
 * read, no repeats, the connection bound, what the slot is told, idle tables, new columns, SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLsn } from '../../src/pg/lsn.js'
import {
  countConnectionsInLog,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
} from '../harness/pg.js'
import { runTap, type SingerMessage, type TapResult } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  recordLines,
  records,
  recordText,
  selectStreams,
  states,
  sync,
  writeCatalog,
} from '../sync/catalog-helpers.js'
import { LOG_BASED_PLUGINS, slotCreateArgs } from './plugins.js'

/** The database of the describe block running now (each block makes its own: blocks run one after another). */
let db: string

async function sql(text: string, values?: unknown[]): Promise<Array<Record<string, string>>> {
  return withAdmin(db, async (c) => (await c.query(text, values)).rows as Array<Record<string, string>>)
}

async function slotPosition(slot: string): Promise<bigint> {
  const [row] = await sql(
    'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  )
  return parseLsn(row.lsn)
}

function lsnOf(state: { bookmarks: Record<string, Record<string, unknown>> }, stream: string): bigint {
  return BigInt(state.bookmarks[stream].lsn as number)
}

/** wal2json only sees flushed WAL; asynchronous commits (the harness runs synchronous_commit=off) reach it within wal_writer_delay. */
async function flushWal(): Promise<void> {
  await sql('CHECKPOINT')
}

describe.each(LOG_BASED_PLUGINS)('LOG_BASED on %s', (plugin) => {
  beforeAll(async () => {
    db = await createTestDatabase(`logbased_${plugin}`)
  })
  afterAll(async () => {
    await dropTestDatabase(db)
  })

  describe('LOG_BASED: arrays, hstore, exact values, no repeats, connections, slot position', () => {
    const slot = `lb_main_${plugin}`
    let config: string
    let catalog: string
    let fullCatalog: string
    let state1: ReturnType<typeof lastState>
    let run2: TapResult
    let run2App: string

    beforeAll(async () => {
      await sql(
        `CREATE TABLE arr (id int PRIMARY KEY, ia int[], ta text[], na numeric[], tsa timestamptz[], h hstore, note text)`,
      )
      await sql(`INSERT INTO arr SELECT i, ARRAY[i, -i, NULL], ARRAY['a,b' || i, 'x"y\\z', NULL, 'é 😀', ''], ARRAY[12345678901234567890.1234567890 + i, 0.10, 'NaN'],
                   ARRAY['2024-01-02 03:04:05.123456+02'::timestamptz + i * interval '1 second', '1999-12-31 23:59:59+00'], hstore(ARRAY['k' || i, 'n', 'q"'], ARRAY['v', NULL, '=>']), 'row ' || i
                 FROM generate_series(1, 100) i`)
      config = writeConfig(db, { replication_slot_name: slot, application_name: uniqueAppName('lb1') })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      const discovered = await discoverCatalog(config)
      catalog = writeCatalog(selectStreams(discovered, { arr: { method: 'LOG_BASED' } }))
      fullCatalog = writeCatalog(selectStreams(discovered, { arr: { method: 'FULL_TABLE' } }))
    })

    it('first run: initial load, then a STATE with an integer lsn', async () => {
      const r = await sync(config, catalog)
      expectSuccess(r)
      expect(records(r.messages, 'public-arr')).toHaveLength(100)
      state1 = lastState(r.messages)
      const b = state1.bookmarks['public-arr']
      expect(b.last_replication_method).toBe('LOG_BASED')
      expect(Number.isInteger(b.lsn)).toBe(true)
      expect(b.xmin).toBeNull()
    })

    it('second run: exactly the 5,000 inserts, 2,000 updates and 500 deletes, values as a FULL_TABLE read renders them', async () => {
      for (let t = 0; t < 50; t++) {
        const from = 1001 + t * 100
        await sql(
          `INSERT INTO arr SELECT i, ARRAY[i, NULL, -2147483648], ARRAY['t' || i, 'with space', '{braces}', 'back\\slash', NULL], ARRAY[i * 1.5, -0.000000000000000000001, 99999999999999999999999999999],
                     ARRAY['2020-02-29 12:00:00.5-08'::timestamptz, NULL, '-infinity'], hstore(ARRAY['a', 'b,c', 'é'], ARRAY[i::text, NULL, 'x y']), repeat('n', i % 7)
                   FROM generate_series($1::int, $1::int + 99) i`,
          [from],
        )
      }
      for (let t = 0; t < 20; t++) {
        const from = 1001 + t * 100
        await sql(
          `UPDATE arr SET ia = ia || 7, ta = array_prepend('upd', ta), na = ARRAY[na[1] * 3, NULL], tsa = tsa || '2030-01-01 00:00:00+00'::timestamptz,
                     h = h || hstore('u', 'yes'), note = note || '!' WHERE id BETWEEN $1 AND $1 + 99`,
          [from],
        )
      }
      for (let t = 0; t < 5; t++)
        await sql('DELETE FROM arr WHERE id BETWEEN $1 AND $1 + 99', [5501 + t * 100])
      await flushWal()

      run2App = uniqueAppName('lb2')
      run2 = await sync(
        writeConfig(db, { replication_slot_name: slot, application_name: run2App }),
        catalog,
        state1,
      )
      expectSuccess(run2)
      const lines = recordLines(run2.stdout, 'public-arr')
      expect(lines).toHaveLength(7500)
      const recs = lines.map((l) => JSON.parse(recordText(l)) as Record<string, unknown>)
      const deletes = recs.filter((r) => r._sdc_deleted_at !== null)
      expect(deletes).toHaveLength(500)
      for (const d of deletes) {
        expect(Object.keys(d)).toEqual(['id', '_sdc_deleted_at'])
        expect(d._sdc_deleted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00$/)
      }
      expect(deletes.map((d) => d.id)).toEqual(Array.from({ length: 500 }, (_, i) => 5501 + i))
      // Inserts then updates, in commit order.
      const upserts = recs.filter((r) => r._sdc_deleted_at === null).map((r) => r.id)
      expect(upserts).toEqual([
        ...Array.from({ length: 5000 }, (_, i) => 1001 + i),
        ...Array.from({ length: 2000 }, (_, i) => 1001 + i),
      ])

      // The last record of each surviving row, byte for byte the FULL_TABLE record (plus _sdc_deleted_at).
      const full = await sync(config, fullCatalog)
      expectSuccess(full)
      const fullText = new Map(
        recordLines(full.stdout, 'public-arr').map((l) => {
          const t = recordText(l)
          return [(JSON.parse(t) as { id: number }).id, t]
        }),
      )
      const lastText = new Map<number, string>()
      for (const l of lines) {
        const t = recordText(l)
        const id = (JSON.parse(t) as { id: number }).id
        if (!t.endsWith('"_sdc_deleted_at":null}')) continue
        lastText.set(id, t)
      }
      let compared = 0
      for (const [id, t] of lastText) {
        if (id > 5500) continue
        expect(t, `row ${id}`).toBe(fullText.get(id)?.replace(/}$/, ',"_sdc_deleted_at":null}'))
        compared++
      }
      expect(compared).toBe(4500)
      expect(run2.stderr).toContain('Replication completed: 7500 messages')
      expect(run2.stderr).toMatch(/Messages per stream: \{"public-arr":7500\}/)
    })

    it('second run: at most 3 connections in total, whatever the number of array values', () => {
      expect(countConnectionsInLog(run2App)).toBeLessThanOrEqual(3)
    })

    it("slot position after the run: the input state's lsn (pre-flush, no automatic acknowledgement), never beyond the last STATE", async () => {
      const confirmed = await slotPosition(slot)
      const inputLsn = lsnOf(state1, 'public-arr')
      const lastLsn = lsnOf(lastState(run2.messages), 'public-arr')
      expect(confirmed).toBeGreaterThanOrEqual(inputLsn)
      expect(confirmed).toBeLessThanOrEqual(lastLsn)
      // Exactly the input state's position: anything more would have been acknowledged before the
      // target committed it (what pg-logical-replication's automatic acknowledgement does).
      expect(confirmed).toBe(inputLsn)
      expect(lastLsn).toBeGreaterThan(inputLsn)
    })

    it('STATE comes only after the records it covers, and its lsn never goes back', () => {
      let lastLsn = 0n
      let recordsSinceState = 0
      for (const m of run2.messages) {
        if (m.type === 'RECORD') recordsSinceState++
        if (m.type !== 'STATE') continue
        const lsn = lsnOf(m.value as ReturnType<typeof lastState>, 'public-arr')
        expect(lsn).toBeGreaterThanOrEqual(lastLsn)
        lastLsn = lsn
        recordsSinceState = 0
      }
      expect(recordsSinceState).toBe(0)
      expect(run2.messages[run2.messages.length - 1].type).toBe('STATE')
    })

    it('third run re-emits none of them', async () => {
      const r = await sync(config, catalog, lastState(run2.messages))
      expectSuccess(r)
      expect(records(r.messages)).toHaveLength(0)
      // Pre-flush of run 2's last STATE.
      expect(await slotPosition(slot)).toBe(lsnOf(lastState(run2.messages), 'public-arr'))
    })
  })

  describe('LOG_BASED: an idle table moves forward with the others', () => {
    it("the idle table's bookmark advances run after run, with or without changes in the other selected table", async () => {
      await sql(
        'CREATE TABLE busy (id serial PRIMARY KEY, v text); CREATE TABLE quiet (id int PRIMARY KEY); CREATE TABLE unselected (v text)',
      )
      const config = writeConfig(db, { replication_slot_name: `lb_idle_${plugin}` })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), {
          busy: { method: 'LOG_BASED' },
          quiet: { method: 'LOG_BASED' },
        }),
      )
      let state = lastState((await sync(config, catalog)).messages)
      let previous = lsnOf(state, 'public-quiet')
      for (const change of [
        `INSERT INTO busy (v) VALUES ('a'), ('b')`,
        `INSERT INTO unselected SELECT 'x' FROM generate_series(1, 100)`,
        `UPDATE busy SET v = 'c'`,
      ]) {
        await sql(change)
        await flushWal()
        const r = await sync(config, catalog, state)
        expectSuccess(r)
        state = lastState(r.messages)
        const quiet = lsnOf(state, 'public-quiet')
        expect(quiet, change).toBeGreaterThan(previous)
        expect(lsnOf(state, 'public-busy')).toBe(quiet)
        previous = quiet
      }
    })
  })

  describe('LOG_BASED: ALTER TABLE ADD COLUMN between changes', () => {
    it('writes one new SCHEMA before the first record with the new column, and the records carry it', async () => {
      await sql('CREATE TABLE evolving (id int PRIMARY KEY, a text)')
      // The run starts before the ALTER and keeps streaming until 4 s pass without data.
      const config = writeConfig(db, {
        replication_slot_name: `lb_ddl_${plugin}`,
        break_at_end_lsn: false,
        logical_poll_total_seconds: 4,
      })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), { evolving: { method: 'LOG_BASED' } }),
      )
      const state = lastState((await sync(config, catalog)).messages)
      let opened: () => void = () => undefined
      const schemaWritten = new Promise<void>((resolve) => (opened = resolve))
      const running = sync(config, catalog, state, {
        onLine: (line) => {
          if (line.startsWith('{"type":"SCHEMA"')) opened()
        },
      })
      await schemaWritten
      await new Promise((resolve) => setTimeout(resolve, 1000)) // streaming has started by now
      await sql(`INSERT INTO evolving VALUES (1, 'before')`)
      await sql('ALTER TABLE evolving ADD COLUMN b numeric(10,2), ADD COLUMN c int[]')
      await sql(
        `INSERT INTO evolving VALUES (2, 'after', 12.50, '{1,2}'); UPDATE evolving SET b = 1 WHERE id = 1`,
      )
      await sql(`INSERT INTO evolving VALUES (3, 'again', NULL, NULL)`)
      await flushWal()
      const r = await running
      expectSuccess(r)
      const seq = r.messages.filter(
        (m) => m.stream === 'public-evolving' && (m.type === 'SCHEMA' || m.type === 'RECORD'),
      )
      // The run's opening SCHEMA (id, a), a record of the old shape, then one new SCHEMA.
      expect(seq.map((m) => m.type)).toEqual(['SCHEMA', 'RECORD', 'SCHEMA', 'RECORD', 'RECORD', 'RECORD'])
      const schemaProps = (m: SingerMessage) =>
        Object.keys((m.schema as { properties: Record<string, unknown> }).properties)
      expect(schemaProps(seq[0])).toEqual(['id', 'a', '_sdc_deleted_at'])
      expect(schemaProps(seq[2])).toEqual(['id', 'a', 'b', 'c', '_sdc_deleted_at'])
      expect((seq[2].schema as { properties: Record<string, unknown> }).properties.b).toMatchObject({
        multipleOf: 0.01,
      })
      expect(recordLines(r.stdout, 'public-evolving').map(recordText)).toEqual([
        '{"id":1,"a":"before","_sdc_deleted_at":null}',
        '{"id":2,"a":"after","b":12.50,"c":[1,2],"_sdc_deleted_at":null}',
        '{"id":1,"a":"before","b":1.00,"c":null,"_sdc_deleted_at":null}',
        '{"id":3,"a":"again","b":null,"c":null,"_sdc_deleted_at":null}',
      ])
      expect(r.stderr).toContain('New columns b, c in public.evolving')
      expect(r.stderr).toContain('no new data for logical_poll_total_seconds (4 s)')
    })
  })

  describe('LOG_BASED: SIGTERM mid-stream', () => {
    it('writes a final STATE, exits 143, and a restart from it loses nothing', async () => {
      await sql('CREATE TABLE stream_me (id int PRIMARY KEY, payload text)')
      const config = writeConfig(db, { replication_slot_name: `lb_term_${plugin}` })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), { stream_me: { method: 'LOG_BASED' } }),
      )
      const state = lastState((await sync(config, catalog)).messages)
      const total = 40_000
      for (let t = 0; t < 200; t++)
        await sql(
          `INSERT INTO stream_me SELECT i, repeat('p', 200) FROM generate_series($1::int, $1::int + 199) i`,
          [t * 200 + 1],
        )
      await flushWal()

      let seen = 0
      let killed = false
      const first = await sync(config, catalog, state, {
        onLine: (line, child) => {
          if (!line.startsWith('{"type":"RECORD"')) return
          if (++seen === 3000 && !killed) {
            killed = true
            child.kill('SIGTERM')
          }
        },
      })
      expect(killed).toBe(true)
      expect(first.code).toBe(143)
      const firstMessages = first.messages
      expect(firstMessages[firstMessages.length - 1].type).toBe('STATE')
      const firstIds = records(firstMessages, 'public-stream_me').map((r) => r.id as number)
      expect(firstIds.length).toBeLessThan(total)

      const second = await sync(config, catalog, lastState(firstMessages))
      expectSuccess(second)
      const ids = new Set([
        ...firstIds,
        ...records(second.messages, 'public-stream_me').map((r) => r.id as number),
      ])
      expect(ids.size).toBe(total)
    })
  })

  describe('LOG_BASED: unchanged TOAST, REPLICA IDENTITY FULL, debug_lsn, deselected columns', () => {
    it('leaves an unchanged TOAST column out (not null) and says so; deletes carry the identity; _sdc_lsn is the change LSN', async () => {
      await sql(`CREATE TABLE docs (id int PRIMARY KEY, title text, body text, secret text)`)
      await sql(`CREATE TABLE full_id (id int, v text); ALTER TABLE full_id REPLICA IDENTITY FULL`)
      const config = writeConfig(db, { replication_slot_name: `lb_toast_${plugin}`, debug_lsn: true })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), {
          docs: { method: 'LOG_BASED', deselect: ['secret'] },
          full_id: { method: 'LOG_BASED' },
        }),
      )
      const state = lastState((await sync(config, catalog)).messages)
      // A body far over the TOAST threshold, incompressible so it is stored out of line.
      await sql(
        `INSERT INTO docs VALUES (1, 'one', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 2000) i), 'pw')`,
      )
      await sql(`UPDATE docs SET title = 'uno' WHERE id = 1`)
      await sql(
        `INSERT INTO full_id VALUES (5, 'five'); DELETE FROM full_id WHERE id = 5; DELETE FROM docs WHERE id = 1`,
      )
      await flushWal()
      const r = await sync(config, catalog, state)
      expectSuccess(r)
      const docs = records(r.messages, 'public-docs')
      expect(docs).toHaveLength(3)
      expect(docs[0]).toMatchObject({ id: 1, title: 'one', _sdc_deleted_at: null })
      expect((docs[0].body as string).length).toBe(64_000)
      expect(docs[1]).toEqual({ id: 1, title: 'uno', _sdc_deleted_at: null, _sdc_lsn: docs[1]._sdc_lsn })
      expect('body' in docs[1]).toBe(false)
      expect(Object.keys(docs[2])).toEqual(['id', '_sdc_deleted_at', '_sdc_lsn'])
      for (const d of docs) {
        expect('secret' in d).toBe(false)
        expect(d._sdc_lsn).toMatch(/^\d+$/)
      }
      expect(BigInt(docs[1]._sdc_lsn as string)).toBeGreaterThan(BigInt(docs[0]._sdc_lsn as string))
      const full = records(r.messages, 'public-full_id')
      expect(full[1]).toMatchObject({ id: 5, v: 'five' })
      expect(full[1]._sdc_deleted_at).not.toBeNull()
      expect(r.stderr).toMatch(/stream=public-docs .*1 update written without unchanged TOAST column body/)
      const schema = r.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'public-docs')
      expect(Object.keys((schema?.schema as { properties: object }).properties)).toEqual([
        'id',
        'title',
        'body',
        '_sdc_deleted_at',
        '_sdc_lsn',
      ])
      expect(r.messages.filter((m) => m.type === 'SCHEMA' && m.stream === 'public-docs')).toHaveLength(1)
    })
  })

  describe('LOG_BASED: a table joining streams that are already running', () => {
    it('gets its initial load in the same run, and the changes the load already holds are not repeated', async () => {
      await sql('CREATE TABLE old_t (id int PRIMARY KEY); CREATE TABLE new_t (id int PRIMARY KEY)')
      const config = writeConfig(db, { replication_slot_name: `lb_join_${plugin}` })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      const discovered = await discoverCatalog(config)
      const state = lastState(
        (await sync(config, writeCatalog(selectStreams(discovered, { old_t: { method: 'LOG_BASED' } }))))
          .messages,
      )
      await sql('INSERT INTO new_t VALUES (1); INSERT INTO old_t VALUES (1)')
      await sql('INSERT INTO new_t VALUES (2), (3)')
      await flushWal()
      const r = await sync(
        config,
        writeCatalog(
          selectStreams(discovered, { old_t: { method: 'LOG_BASED' }, new_t: { method: 'LOG_BASED' } }),
        ),
        state,
      )
      expectSuccess(r)
      expect(records(r.messages, 'public-old_t')).toEqual([{ id: 1, _sdc_deleted_at: null }])
      // Only the initial load's rows: the streamed copies of 1, 2, 3 are skipped (their transactions
      // committed before the load's end_lsn bookmark).
      expect(records(r.messages, 'public-new_t')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
      if (plugin === 'wal2json')
        expect(r.stderr).toMatch(
          /stream=public-new_t .*3 changes skipped: already covered by the stream's bookmark/,
        )
      // pgoutput never sent them: new_t joined the publication in this run, before its load.
      else expect(r.stderr).not.toMatch(/stream=public-new_t .*changes skipped/)
      const last = lastState(r.messages)
      expect(lsnOf(last, 'public-new_t')).toBe(lsnOf(last, 'public-old_t'))
    })
  })

  describe('LOG_BASED: failures mid-stream', () => {
    async function streamingSetup(slot: string, table: string) {
      await sql(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text)`)
      const app = uniqueAppName('lbfault')
      const config = writeConfig(db, { replication_slot_name: slot, application_name: app })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), { [table]: { method: 'LOG_BASED' } }),
      )
      const state = lastState((await sync(config, catalog)).messages)
      for (let t = 0; t < 100; t++)
        await sql(
          `INSERT INTO ${table} SELECT i, repeat('p', 500) FROM generate_series($1::int, $1::int + 199) i`,
          [t * 200 + 1],
        )
      await flushWal()
      return { app, config, catalog, state, total: 20_000 }
    }

    it('the walsender terminated: one error line, exit 1, a final STATE, and a restart loses nothing', async () => {
      const { app, config, catalog, state, total } = await streamingSetup(`lb_kill_${plugin}`, 'killed')
      let seen = 0
      const first = await sync(config, catalog, state, {
        onLine: (line) => {
          if (line.startsWith('{"type":"RECORD"') && ++seen === 2000) {
            void sql(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = $1`,
              [app],
            )
          }
        },
      })
      expect(first.code).toBe(1)
      expect(first.stderr).toMatch(
        new RegExp(`^error: streaming from slot "lb_kill_${plugin}": connection lost`, 'm'),
      )
      expect(first.stderr).not.toMatch(/^\s+at /m)
      expect(first.messages[first.messages.length - 1].type).toBe('STATE')
      const firstIds = records(first.messages, 'public-killed').map((r) => r.id as number)
      const second = await sync(config, catalog, lastState(first.messages))
      expectSuccess(second)
      const ids = new Set([
        ...firstIds,
        ...records(second.messages, 'public-killed').map((r) => r.id as number),
      ])
      expect(ids.size).toBe(total)
    })

    it('stdout closed by the reader: stops quietly, non-zero, no connection left', async () => {
      const { app, config, catalog, state } = await streamingSetup(`lb_epipe_${plugin}`, 'epiped')
      let lines = 0
      const r = await sync(config, catalog, state, {
        onLine: (_line, child) => {
          if (++lines === 500) child.stdout?.destroy()
        },
      })
      expect(r.code).not.toBe(0)
      expect(r.code).not.toBeNull()
      expect(r.stderr).not.toMatch(/^\s+at /m)
      expect(r.stderr).not.toMatch(/level=error|^error:/m)
      const [{ n }] = await sql(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [app],
      )
      expect(Number(n)).toBe(0)
    })
  })
})

// pipelinewise-tap-postgres states come with its wal2json slots: these run on wal2json, and the
// last one shows what a pgoutput slot says to such a state.
describe('LOG_BASED: pipelinewise states, a missing slot', () => {
  beforeAll(async () => {
    db = await createTestDatabase('logbased_pw')
  })
  afterAll(async () => {
    await dropTestDatabase(db)
  })

  describe('LOG_BASED: resuming from a pipelinewise-tap-postgres state', () => {
    it('accepts its integer lsn bookmarks and streams what came after them', async () => {
      await sql(
        'CREATE TABLE orders (id int PRIMARY KEY, total numeric(12,2)); CREATE TABLE users (id int PRIMARY KEY, name text)',
      )
      const config = writeConfig(db, { replication_slot_name: 'lb_pw' })
      expect((await runTap(slotCreateArgs(config, 'wal2json'))).code).toBe(0)
      const [{ lsn }] = await sql('SELECT pg_current_wal_lsn()::text AS lsn')
      const start = Number(parseLsn(lsn))
      await sql(`INSERT INTO orders VALUES (1, 10.50); INSERT INTO users VALUES (1, 'ann')`)
      await flushWal()
      // The shape of docs/examples/state-pipelinewise-log-based.json, with this server's positions.
      const state = {
        currently_syncing: null,
        bookmarks: {
          'public-orders': {
            last_replication_method: 'LOG_BASED',
            lsn: start,
            version: 1700000000000,
            xmin: null,
          },
          'public-users': {
            last_replication_method: 'LOG_BASED',
            lsn: start,
            version: 1700000000001,
            xmin: null,
          },
        },
      }
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), {
          orders: { method: 'LOG_BASED' },
          users: { method: 'LOG_BASED' },
        }),
      )
      const r = await sync(config, catalog, state)
      expectSuccess(r)
      expect(
        r.messages.filter((m) => m.type === 'RECORD').map((m) => [m.stream, m.record, m.version]),
      ).toEqual([
        ['public-orders', { id: 1, total: 10.5, _sdc_deleted_at: null }, 1700000000000],
        ['public-users', { id: 1, name: 'ann', _sdc_deleted_at: null }, 1700000000001],
      ])
      const last = lastState(r.messages)
      expect(last.bookmarks['public-orders']).toMatchObject({
        last_replication_method: 'LOG_BASED',
        version: 1700000000000,
        xmin: null,
      })
      expect(lsnOf(last, 'public-orders')).toBeGreaterThan(BigInt(start))
      expect(states(r.messages).length).toBeGreaterThan(0)
    })
  })

  describe('LOG_BASED: the pipelinewise example state as it is', () => {
    it('resumes from docs/examples/state-pipelinewise-log-based.json (positions beyond this server: nothing to stream, bookmarks kept)', async () => {
      const example = {
        currently_syncing: null,
        bookmarks: {
          'public-orders': {
            last_replication_method: 'LOG_BASED',
            lsn: 5000000000,
            version: 1700000000000,
            xmin: null,
          },
          'public-users': {
            last_replication_method: 'LOG_BASED',
            lsn: 5000001234,
            version: 1700000000001,
            xmin: null,
          },
        },
      }
      const config = writeConfig(db, { replication_slot_name: 'lb_pw' })
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), {
          orders: { method: 'LOG_BASED' },
          users: { method: 'LOG_BASED' },
        }),
      )
      const r = await sync(config, catalog, example)
      expectSuccess(r)
      expect(records(r.messages)).toHaveLength(0)
      expect(lastState(r.messages).bookmarks).toEqual(example.bookmarks)
    })
  })

  describe('LOG_BASED: a pipelinewise state on a new pgoutput slot', () => {
    it('is refused before anything is read: the tables joined no publication before their bookmarks', async () => {
      await sql('CREATE TABLE pw_po (id int PRIMARY KEY)')
      const config = writeConfig(db, { replication_slot_name: 'lb_pw_po' })
      expect((await runTap(slotCreateArgs(config, 'pgoutput'))).code).toBe(0)
      const [{ lsn }] = await sql('SELECT pg_current_wal_lsn()::text AS lsn')
      const state = {
        currently_syncing: null,
        bookmarks: {
          'public-pw_po': {
            last_replication_method: 'LOG_BASED',
            lsn: Number(parseLsn(lsn)),
            version: 1,
            xmin: null,
          },
        },
      }
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), { pw_po: { method: 'LOG_BASED' } }),
      )
      const r = await sync(config, catalog, state)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(
        /^error: stream public-pw_po: table public\.pw_po is not in publication "lb_pw_po", so its changes since the stream's bookmark were never sent .*an administrator runs: ALTER PUBLICATION "lb_pw_po" ADD TABLE "public"\."pw_po"/m,
      )
      expect(r.messages.filter((m) => m.type === 'RECORD' || m.type === 'STATE')).toHaveLength(0)
    })
  })

  describe('LOG_BASED: a missing slot', () => {
    it('is a clear error naming the command that creates it', async () => {
      await sql('CREATE TABLE IF NOT EXISTS noslot (id int PRIMARY KEY)')
      const config = writeConfig(db, { replication_slot_name: 'lb_absent' })
      const catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), { noslot: { method: 'LOG_BASED' } }),
      )
      const r = await sync(config, catalog)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(
        /error: replication slot "lb_absent" does not exist \(hint: create it with `tap-postgres slot create/,
      )
      expect(r.stderr).not.toContain('    at ')
      // Checked before the initial load: nothing was read.
      expect(r.messages.filter((m) => m.type === 'RECORD')).toHaveLength(0)
    })
  })
})
