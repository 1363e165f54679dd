/**
 * LOG_BASED end to end, through the built CLI, on what logical decoding names or drops on its own:
 * a partitioned parent (changes come named after its partitions, a row moved between partitions is
 * a DELETE and an INSERT, a partition created during the run), a table without a usable replica
 * identity (its UPDATEs and DELETEs never reach the WAL: refused, or inserts alone on request), and
 * columns dropped or renamed between changes (said so, not blamed on TOAST).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap, type SingerMessage } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  records,
  selectStreams,
  sync,
  writeCatalog,
} from '../sync/catalog-helpers.js'
import { LOG_BASED_PLUGINS, type LogBasedPlugin, slotCreateArgs } from './plugins.js'

let db: string

beforeAll(async () => {
  db = await createTestDatabase('lbparts')
})
afterAll(async () => {
  await dropTestDatabase(db)
})

async function sql(text: string, values?: unknown[]): Promise<Array<Record<string, unknown>>> {
  return withAdmin(db, async (c) => (await c.query(text, values)).rows as Array<Record<string, unknown>>)
}

/** wal2json only sees flushed WAL (the harness runs synchronous_commit=off). */
async function flushWal(): Promise<void> {
  await sql('CHECKPOINT')
}

/** A config for `plugin` with its own slot, created. */
async function slotConfig(
  plugin: LogBasedPlugin,
  slot: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const config = writeConfig(db, { replication_slot_name: `${slot}_${plugin}`, ...extra })
  const r = await runTap(slotCreateArgs(config, plugin))
  if (r.code !== 0) throw new Error(`slot create failed: ${r.stderr}`)
  return config
}

/** What a target merging by `keys` ends with after applying the stream's records in order. */
function applyInOrder(
  messages: SingerMessage[],
  stream: string,
  keys: readonly string[],
  start: Map<string, Record<string, unknown>> = new Map(),
): Map<string, Record<string, unknown>> {
  const rows = new Map(start)
  for (const r of records(messages, stream)) {
    const key = JSON.stringify(keys.map((k) => r[k]))
    if (r._sdc_deleted_at !== null && r._sdc_deleted_at !== undefined) {
      rows.delete(key)
      continue
    }
    const { _sdc_deleted_at: _deleted, ...row } = r
    rows.set(key, { ...rows.get(key), ...row })
  }
  return rows
}

function sorted(rows: Iterable<Record<string, unknown>>): Array<Record<string, unknown>> {
  return [...rows].sort(
    (a, b) => Number(a.id) - Number(b.id) || String(a.region).localeCompare(String(b.region)),
  )
}

/** The table's rows as the records carry them (the admin client returns text). */
async function tableRows(table: string): Promise<Array<Record<string, unknown>>> {
  return sorted((await sql(`SELECT * FROM ${table}`)).map((r) => ({ ...r, id: Number(r.id) })))
}

describe.each(LOG_BASED_PLUGINS)('LOG_BASED partitioned parent (%s)', (plugin) => {
  it("streams inserts in two partitions, an update, a delete and a moved row under the parent's stream; the target ends with the table", async () => {
    const t = `parted_${plugin}`
    await sql(
      `CREATE TABLE ${t} (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`,
    )
    await sql(`CREATE TABLE ${t}_eu PARTITION OF ${t} FOR VALUES IN ('eu')`)
    // Another column order than the parent's: records must follow the parent's columns, by name.
    await sql(
      `CREATE TABLE ${t}_us (v text, region text NOT NULL, id int NOT NULL); ALTER TABLE ${t}_us ADD PRIMARY KEY (id, region)`,
    )
    await sql(`ALTER TABLE ${t} ATTACH PARTITION ${t}_us FOR VALUES IN ('us')`)
    await sql(`INSERT INTO ${t} VALUES (1, 'eu', 'one'), (2, 'us', 'two')`)
    const config = await slotConfig(plugin, 'lbp_parted')
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { [t]: { method: 'LOG_BASED' } }),
    )
    const stream = `public-${t}`

    const first = await sync(config, catalog)
    expectSuccess(first)
    expect(sorted(records(first.messages, stream))).toEqual([
      { id: 1, region: 'eu', v: 'one' },
      { id: 2, region: 'us', v: 'two' },
    ])

    await sql(`INSERT INTO ${t} VALUES (3, 'eu', 'three'), (4, 'us', 'four')`)
    await sql(`UPDATE ${t} SET v = 'uno' WHERE id = 1`)
    await sql(`DELETE FROM ${t} WHERE id = 2`)
    await sql(`UPDATE ${t} SET region = 'us', v = 'moved' WHERE id = 3`)
    await flushWal()
    const second = await sync(config, catalog, lastState(first.messages))
    expectSuccess(second)
    const recs = records(second.messages, stream)
    // In commit order; the move is the partition's DELETE, then the other partition's INSERT.
    expect(
      recs.map(({ _sdc_deleted_at, ...r }) => [r, _sdc_deleted_at === null ? 'upsert' : 'delete']),
    ).toEqual([
      [{ id: 3, region: 'eu', v: 'three' }, 'upsert'],
      [{ id: 4, region: 'us', v: 'four' }, 'upsert'],
      [{ id: 1, region: 'eu', v: 'uno' }, 'upsert'],
      [{ id: 2, region: 'us' }, 'delete'],
      [{ id: 3, region: 'eu' }, 'delete'],
      [{ id: 3, region: 'us', v: 'moved' }, 'upsert'],
    ])
    for (const r of recs) expect(Object.keys(r).slice(0, 2)).toEqual(['id', 'region'])
    const start = new Map(records(first.messages, stream).map((r) => [JSON.stringify([r.id, r.region]), r]))
    expect(sorted(applyInOrder(second.messages, stream, ['id', 'region'], start).values())).toEqual(
      await tableRows(t),
    )
    // Only the parent's stream: the partitions are not streams of this run.
    expect(new Set(second.messages.filter((m) => m.type === 'RECORD').map((m) => m.stream))).toEqual(
      new Set([stream]),
    )

    // A TRUNCATE of one partition: refused (a new version of the whole stream would drop the other
    // partition's rows), with a final STATE that does not pass it.
    await sql(`INSERT INTO ${t} VALUES (5, 'eu', 'five')`)
    await sql(`TRUNCATE ${t}_us`)
    await flushWal()
    const third = await sync(config, catalog, lastState(second.messages))
    expect(third.code).not.toBe(0)
    const errors = third.stderr.split('\n').filter((l) => /^error:|level=error/.test(l))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(`stream ${stream}: partition public.${t}_us of public.${t} was truncated`)
    expect(third.stderr).not.toMatch(/^\s+at /m)
    // The insert before it may or may not be written (the batch at hand is dropped on a failure);
    // nothing after the truncate is.
    expect(
      records(third.messages, stream)
        .map((r) => r.id)
        .filter((id) => id !== 5),
    ).toEqual([])
    expect(third.messages.filter((m) => m.type === 'ACTIVATE_VERSION')).toHaveLength(0)
    expect(third.messages.at(-1)?.type).toBe('STATE')
    // The STATE does not pass the truncate: the next run meets it again.
    const again = await sync(config, catalog, lastState(third.messages))
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain('was truncated')
  })

  it('a partition created during the run (in another schema) streams too; one attached after its changes were read is refused at the end', async () => {
    const t = `grown_${plugin}`
    await sql(`CREATE SCHEMA IF NOT EXISTS other`)
    await sql(`CREATE TABLE ${t} (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)`)
    await sql(`CREATE TABLE ${t}_1 PARTITION OF ${t} FOR VALUES FROM (0) TO (100)`)
    // The run starts before the new partitions and streams until 4 s pass without data.
    const config = await slotConfig(plugin, 'lbp_grown', {
      break_at_end_lsn: false,
      logical_poll_total_seconds: 4,
    })
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { [t]: { method: 'LOG_BASED' } }),
    )
    const first = await sync(config, catalog)
    expectSuccess(first)
    let opened: () => void = () => undefined
    let marked: () => void = () => undefined
    const schemaWritten = new Promise<void>((resolve) => (opened = resolve))
    const markerWritten = new Promise<void>((resolve) => (marked = resolve))
    const running = sync(config, catalog, lastState(first.messages), {
      onLine: (line) => {
        if (line.startsWith('{"type":"SCHEMA"')) opened()
        if (line.includes('"marker"')) marked()
      },
    })
    await schemaWritten
    await new Promise((resolve) => setTimeout(resolve, 1000)) // streaming has started by now
    await sql(`INSERT INTO ${t} VALUES (1, 'a')`)
    await sql(`CREATE TABLE other.${t}_2 PARTITION OF ${t} FOR VALUES FROM (100) TO (200)`)
    await sql(`INSERT INTO ${t} VALUES (101, 'b'); UPDATE ${t} SET v = 'c' WHERE id = 101`)
    // A table of its own first: its change is read (and ignored) before the marker's record is out.
    await sql(`CREATE TABLE other.${t}_3 (id int PRIMARY KEY, v text)`)
    await sql(
      `BEGIN; INSERT INTO other.${t}_3 VALUES (201, 'd'); INSERT INTO ${t} VALUES (2, 'marker'); COMMIT`,
    )
    await flushWal()
    await Promise.race([markerWritten, running]) // a run that ends first fails below
    await sql(`ALTER TABLE ${t} ATTACH PARTITION other.${t}_3 FOR VALUES FROM (200) TO (300)`)
    await sql(`INSERT INTO ${t} VALUES (202, 'e'); DELETE FROM ${t} WHERE id = 101`)
    await flushWal()
    const r = await running
    const streamed = records(r.messages, `public-${t}`).map(({ _sdc_deleted_at, ...x }) => [
      x,
      _sdc_deleted_at === null,
    ])
    expect(r.stderr).toContain(`New partition other.${t}_2: its changes go to stream public-${t}`)
    if (plugin === 'pgoutput') {
      // pgoutput sent nothing of other.<t>_3 before the ATTACH (it was in no publication), and sends
      // its changes after it under the parent's publication: 202 is streamed. Its rows from before
      // the ATTACH (201) are not, as with any attached table (README: partitioned tables).
      expect(streamed).toEqual([
        [{ id: 1, v: 'a' }, true],
        [{ id: 101, v: 'b' }, true],
        [{ id: 101, v: 'c' }, true],
        [{ id: 2, v: 'marker' }, true],
        [{ id: 202, v: 'e' }, true],
        [{ id: 101 }, false],
      ])
      expect(r.stderr).toContain(`New partition other.${t}_3: its changes go to stream public-${t}`)
      expectSuccess(r)
      return
    }
    expect(streamed).toEqual([
      [{ id: 1, v: 'a' }, true],
      [{ id: 101, v: 'b' }, true],
      [{ id: 101, v: 'c' }, true],
      [{ id: 2, v: 'marker' }, true],
      [{ id: 101 }, false],
    ])
    // 202 went into other.<t>_3 after the ATTACH, but the run had already taken that name for
    // another table's: not streamed, so the run refuses to end quietly.
    expect(r.code).toBe(1)
    const errors = r.stderr.split('\n').filter((l) => /^error:|level=error/.test(l))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(
      `stream public-${t}: other.${t}_3 became a partition of public.${t} during the run`,
    )
    expect(errors[0]).toMatch(/remove its bookmark from the state/)
    expect(r.messages[r.messages.length - 1].type).toBe('STATE')
  })
})

describe.each(LOG_BASED_PLUGINS)('LOG_BASED without a usable replica identity (%s)', (plugin) => {
  it('refuses a table without a primary key before any RECORD, naming the stream, the table and the fixes', async () => {
    await sql(`CREATE TABLE nopk_${plugin} (a int, b text); INSERT INTO nopk_${plugin} VALUES (1, 'x')`)
    await sql(`CREATE TABLE haspk_${plugin} (id int PRIMARY KEY); INSERT INTO haspk_${plugin} VALUES (1)`)
    const config = await slotConfig(plugin, 'lbp_nopk')
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), {
        [`nopk_${plugin}`]: { method: 'LOG_BASED' },
        [`haspk_${plugin}`]: { method: 'LOG_BASED' },
      }),
    )
    const r = await sync(config, catalog)
    expect(r.code).not.toBe(0)
    const errors = r.stderr.split('\n').filter((l) => /^error:|level=error/.test(l))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(
      `stream public-nopk_${plugin}: table public.nopk_${plugin} has no primary key and REPLICA IDENTITY DEFAULT`,
    )
    expect(errors[0]).toMatch(/UPDATEs and DELETEs cannot be streamed/)
    expect(errors[0]).toMatch(/primary key.*REPLICA IDENTITY FULL.*USING INDEX.*log_based_inserts_only/)
    expect(r.stderr).not.toMatch(/^\s+at /m)
    expect(r.messages.filter((m) => m.type === 'RECORD')).toHaveLength(0)
  })

  it('streams its inserts alone when log_based_inserts_only lists it, and says so (pgoutput: refused, it cannot join a publication)', async () => {
    const t = `nopk_${plugin}`
    const config = await slotConfig(plugin, 'lbp_nopk_ok', { log_based_inserts_only: [`public-${t}`] })
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { [t]: { method: 'LOG_BASED' } }),
    )
    const first = await sync(config, catalog)
    if (plugin === 'pgoutput') {
      // Adding it to a publication of UPDATEs and DELETEs would make PostgreSQL refuse the
      // application's own UPDATEs and DELETEs on it.
      expect(first.code).toBe(1)
      const errors = first.stderr.split('\n').filter((l) => /^error:|level=error/.test(l))
      expect(errors).toHaveLength(1)
      expect(errors[0]).toContain(`stream public-${t}: table public.${t} is not in publication`)
      expect(errors[0]).toContain('stream it through a wal2json slot')
      expect(first.messages.filter((m) => m.type === 'RECORD')).toHaveLength(0)
      await sql(`UPDATE ${t} SET b = b`) // the application's UPDATEs still work
      return
    }
    expectSuccess(first)
    expect(records(first.messages, `public-${t}`)).toEqual([{ a: 1, b: 'x' }])
    expect(first.stderr).toMatch(new RegExp(`stream public-${t}: inserts only \\(log_based_inserts_only\\)`))
    await sql(`INSERT INTO ${t} VALUES (2, 'y'); UPDATE ${t} SET b = 'z'; DELETE FROM ${t} WHERE a = 1`)
    await flushWal()
    const second = await sync(config, catalog, lastState(first.messages))
    expectSuccess(second)
    expect(records(second.messages, `public-${t}`)).toEqual([{ a: 2, b: 'y', _sdc_deleted_at: null }])
  })

  it('refuses a partitioned parent one of whose partitions has no usable identity, naming the partition', async () => {
    const t = `pnokey_${plugin}`
    await sql(`CREATE TABLE ${t} (id int, k int) PARTITION BY LIST (k)`)
    await sql(
      `CREATE TABLE ${t}_full PARTITION OF ${t} FOR VALUES IN (1); ALTER TABLE ${t}_full REPLICA IDENTITY FULL`,
    )
    await sql(`CREATE TABLE ${t}_bare PARTITION OF ${t} FOR VALUES IN (2)`)
    const config = await slotConfig(plugin, 'lbp_pnokey')
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { [t]: { method: 'LOG_BASED' } }),
    )
    const r = await sync(config, catalog)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(
      `stream public-${t}: partition public.${t}_bare of public.${t} has no primary key and REPLICA IDENTITY DEFAULT`,
    )
    expect(r.stderr).not.toContain(`${t}_full has`)
    expect(r.messages.filter((m) => m.type === 'RECORD')).toHaveLength(0)
  })
})

describe.each(LOG_BASED_PLUGINS)('LOG_BASED columns dropped or renamed between changes (%s)', (plugin) => {
  it('says the columns were dropped or renamed, not unchanged TOAST', async () => {
    const t = `reshaped_${plugin}`
    await sql(`CREATE TABLE ${t} (id int PRIMARY KEY, a text, c text, n int)`)
    const config = await slotConfig(plugin, 'lbp_reshape')
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { [t]: { method: 'LOG_BASED' } }),
    )
    const first = await sync(config, catalog)
    expectSuccess(first)
    // Changes before and after a DROP and a RENAME. The next run reads the table's columns as they
    // are then (id, aa, n): the older changes carry a and c and lack aa, the newer ones lack a and c.
    await sql(`INSERT INTO ${t} VALUES (1, 'a1', 'c1', 1); UPDATE ${t} SET n = 2 WHERE id = 1`)
    await sql(`ALTER TABLE ${t} DROP COLUMN c`)
    await sql(`ALTER TABLE ${t} RENAME COLUMN a TO aa`)
    await sql(`INSERT INTO ${t} VALUES (2, 'a2', 3); UPDATE ${t} SET aa = 'a1!' WHERE id = 1`)
    await flushWal()
    const r = await sync(config, catalog, lastState(first.messages))
    expectSuccess(r)
    expect(records(r.messages, `public-${t}`)).toEqual([
      { id: 1, n: 1, a: 'a1', c: 'c1', _sdc_deleted_at: null },
      { id: 1, n: 2, a: 'a1', c: 'c1', _sdc_deleted_at: null },
      { id: 2, aa: 'a2', n: 3, _sdc_deleted_at: null },
      { id: 1, aa: 'a1!', n: 2, _sdc_deleted_at: null },
    ])
    const warnings = r.stderr
      .split('\n')
      .filter((l) => /level=warn/i.test(l))
      .join('\n')
    expect(warnings).toContain(
      `Inserts into public.${t} made before column aa existed under that name (added, or renamed, since) come without it`,
    )
    expect(warnings).toContain(
      `Updates of public.${t} made before a column was renamed or dropped (they carry a, c, which the table no longer has) come without aa`,
    )
    expect(warnings).toContain(`Columns a, c of public.${t} are no longer in the table (dropped or renamed)`)
    // The summary line that blamed TOAST for every column a change lacked.
    expect(r.stderr).not.toMatch(/without unchanged TOAST/)
  })
})
