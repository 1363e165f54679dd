/**
 * FULL_TABLE and INCREMENTAL message flow through the built CLI: message order, STATE only after
 * the records it covers, bookmarks, column deselection, resumption of INCREMENTAL runs (ours and
 * pipelinewise's), identifiers that need quoting, partitioned tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig, writeJsonFile } from '../harness/pg.js'
import { runTap, type SingerMessage } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  records,
  selectStreams,
  states,
  writeCatalog,
} from './catalog-helpers.js'
import { checkRecordsAgainstSchemas } from './schema-validation.js'
import type { Catalog } from '../../src/singer/catalog-types.js'

let db: string
let config: string
let catalog: Catalog
/** xmin of each row of `orders`, by id. */
let ordersXmin: Map<number, number>

const EVIL = 'x"; DROP TABLE orders; --'

beforeAll(async () => {
  db = await createTestDatabase('sync_flow')
  await withAdmin(db, async (c) => {
    await c.query(`CREATE TABLE orders (id int PRIMARY KEY, amount numeric(12,2), note text, secret text)`)
    // Ten transactions, so the rows have ten different xmins.
    for (let t = 0; t < 10; t++) {
      await c.query(
        `INSERT INTO orders SELECT g, g * 0.5, 'note ' || g, 'hidden' FROM generate_series(${t * 350 + 1}, ${(t + 1) * 350}) g`,
      )
    }
    await c.query(`CREATE TABLE events (id bigint PRIMARY KEY, updated_at timestamptz, seq bigint, v text)`)
    await c.query(
      `INSERT INTO events SELECT g, '2023-05-17 10:00:00+00'::timestamptz + g * interval '1 second', 9223372036854770000 + g, 'v' || g FROM generate_series(1, 2500) g`,
    )
    await c.query(`INSERT INTO events VALUES (100000, NULL, NULL, 'null key')`)
    await c.query(`CREATE TABLE "${EVIL.replace(/"/g, '""')}" ("we""ird col" int PRIMARY KEY, "sp ace" text)`)
    await c.query(`INSERT INTO "${EVIL.replace(/"/g, '""')}" VALUES (1, 'a'), (2, 'b')`)
    await c.query(
      `CREATE TABLE parted (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`,
    )
    await c.query(
      `CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu'); CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us')`,
    )
    await c.query(
      `INSERT INTO parted SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END FROM generate_series(1, 1500) g`,
    )
    await c.query(`ANALYZE`)
    const r = await c.query<{ id: string; x: string }>(`SELECT id::text AS id, xmin::text AS x FROM orders`)
    ordersXmin = new Map(r.rows.map((row) => [Number(row.id), Number(row.x)]))
  })
  // state_interval_seconds 0: these tests check the row cadence of STATE (every 1000 rows), not its time bound.
  config = writeConfig(db, { itersize: 700, state_interval_seconds: 0 })
  catalog = await discoverCatalog(config)
})

afterAll(async () => {
  await dropTestDatabase(db)
})

function types(messages: SingerMessage[], stream: string): string[] {
  return messages.filter((m) => m.stream === stream || m.type === 'STATE').map((m) => m.type)
}

/** For every STATE: the stream's bookmark describes the last RECORD of that stream written before it. */
function expectStatesAfterRecords(
  messages: SingerMessage[],
  stream: string,
  tapStreamId: string,
  covered: (lastRecord: Record<string, unknown> | undefined, bookmark: Record<string, unknown>) => void,
): void {
  let last: Record<string, unknown> | undefined
  let checked = 0
  for (const m of messages) {
    if (m.type === 'RECORD' && m.stream === stream) last = m.record as Record<string, unknown>
    if (m.type === 'STATE') {
      const b = (m.value as { bookmarks: Record<string, Record<string, unknown>> }).bookmarks[tapStreamId]
      if (b) {
        covered(last, b)
        checked++
      }
    }
  }
  expect(checked).toBeGreaterThan(2)
}

describe('FULL_TABLE', () => {
  it('writes SCHEMA, STATE, ACTIVATE_VERSION, records with xmin STATEs after them, then xmin null, ACTIVATE_VERSION, STATE', async () => {
    const cat = selectStreams(catalog, { orders: { method: 'FULL_TABLE', deselect: ['secret', 'id'] } })
    const r = await runTap(['sync', '--config', config, '--catalog', writeCatalog(cat)])
    expectSuccess(r)
    const m = r.messages
    const kinds = types(m, 'public-orders')
    expect(kinds.slice(0, 3)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION'])
    expect(kinds.slice(-3)).toEqual(['RECORD', 'ACTIVATE_VERSION', 'STATE'])
    const recs = records(m, 'public-orders')
    expect(recs).toHaveLength(3500)
    expect(new Set(recs.map((x) => x.id)).size).toBe(3500)
    // Deselected: not read, not emitted; the key column stays although deselected.
    const schema = m.find((x) => x.type === 'SCHEMA' && x.stream === 'public-orders') as SingerMessage & {
      schema: { properties: Record<string, unknown> }
    }
    expect(Object.keys(schema.schema.properties)).toEqual(['id', 'amount', 'note'])
    expect(schema.key_properties).toEqual(['id'])
    expect(schema.bookmark_properties).toEqual([])
    expect(Object.keys(recs[0])).toEqual(['id', 'amount', 'note'])
    expect(checkRecordsAgainstSchemas(m)).toEqual([])

    // Rows come oldest transaction first; each STATE's xmin is the xmin of the last record before it.
    const version = (m.find((x) => x.type === 'ACTIVATE_VERSION') as SingerMessage & { version: number })
      .version
    expect(m.filter((x) => x.type === 'RECORD').every((x) => x.version === version)).toBe(true)
    expectStatesAfterRecords(m, 'public-orders', 'public-orders', (lastRec, b) => {
      expect(b.version).toBe(version)
      expect(b.last_replication_method).toBe('FULL_TABLE')
      if (b.xmin === undefined) expect(lastRec).toBeUndefined()
      else if (b.xmin !== null) expect(ordersXmin.get(lastRec?.id as number)).toBe(b.xmin)
    })
    const xminStates = states(m).filter((s) => typeof s.bookmarks['public-orders']?.xmin === 'number')
    expect(xminStates.length).toBeGreaterThanOrEqual(3)
    expect(lastState(m)).toEqual({
      currently_syncing: null,
      bookmarks: { 'public-orders': { last_replication_method: 'FULL_TABLE', version, xmin: null } },
    })
  })

  it('quotes identifiers: a table called x"; DROP TABLE orders; -- is read', async () => {
    const cat = selectStreams(catalog, { [EVIL]: { method: 'FULL_TABLE' } })
    const r = await runTap(['sync', '--config', config, '--catalog', writeCatalog(cat)])
    expectSuccess(r)
    expect(records(r.messages, `public-${EVIL}`)).toEqual([
      { 'we"ird col': 1, 'sp ace': 'a' },
      { 'we"ird col': 2, 'sp ace': 'b' },
    ])
    await withAdmin(db, async (c) =>
      expect(Number((await c.query('SELECT count(*) AS n FROM orders')).rows[0].n)).toBe(3500),
    )
  })

  it('reads a partitioned table through its parent, resumably (xmin bookmarks)', async () => {
    const cat = selectStreams(catalog, { parted: { method: 'FULL_TABLE' } })
    const r = await runTap(['sync', '--config', config, '--catalog', writeCatalog(cat)])
    expectSuccess(r)
    expect(records(r.messages, 'public-parted')).toHaveLength(1500)
    expect(states(r.messages).some((s) => typeof s.bookmarks['public-parted']?.xmin === 'number')).toBe(true)
  })

  it('keeps bookmarks of streams not selected in this run, exact digits included, and resets a stream whose method changed', async () => {
    const state = `{"currently_syncing":null,"bookmarks":{"public-other":{"last_replication_method":"INCREMENTAL","replication_key":"k","replication_key_value":123456789012345678901234567890,"version":1,"custom":[1.10,{"x":null}]},"public-orders":{"last_replication_method":"INCREMENTAL","replication_key":"id","replication_key_value":5,"version":7}}}`
    const cat = selectStreams(catalog, { orders: { method: 'FULL_TABLE' } })
    const r = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      writeCatalog(cat),
      '--state',
      writeJsonFile('state.json', state),
    ])
    expectSuccess(r)
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('{"type":"STATE"'))
    expect(lines.at(-1)).toContain(
      '"public-other":{"last_replication_method":"INCREMENTAL","replication_key":"k","replication_key_value":123456789012345678901234567890,"version":1,"custom":[1.10,{"x":null}]}',
    )
    // The INCREMENTAL bookmark meant nothing for FULL_TABLE: reset, so all rows and a new version.
    expect(records(r.messages, 'public-orders')).toHaveLength(3500)
    const b = lastState(r.messages).bookmarks['public-orders']
    expect(b).toEqual({ last_replication_method: 'FULL_TABLE', version: expect.any(Number), xmin: null })
    expect(b.version).not.toBe(7)
  })
})

describe('INCREMENTAL', () => {
  const cat = (): Catalog => selectStreams(catalog, { events: { method: 'INCREMENTAL', key: 'updated_at' } })

  it('reads in key order, bookmarks the last key after its records, NULL keys never move it', async () => {
    const r = await runTap(['sync', '--config', config, '--catalog', writeCatalog(cat())])
    expectSuccess(r)
    const recs = records(r.messages, 'public-events')
    expect(recs).toHaveLength(2501)
    expect(recs.at(-1)).toEqual({ id: 100000, updated_at: null, seq: null, v: 'null key' })
    const schema = r.messages.find((x) => x.type === 'SCHEMA') as SingerMessage
    expect(schema.bookmark_properties).toEqual(['updated_at'])
    expect(r.messages.some((x) => x.type === 'ACTIVATE_VERSION')).toBe(false)
    expectStatesAfterRecords(r.messages, 'public-events', 'public-events', (lastRec, b) => {
      expect(b.replication_key).toBe('updated_at')
      if (b.replication_key_value !== undefined)
        expect(b.replication_key_value).toBe(lastRec?.updated_at ?? '2023-05-17T10:41:40+00:00')
    })
    const final = lastState(r.messages).bookmarks['public-events']
    expect(final).toEqual({
      last_replication_method: 'INCREMENTAL',
      version: expect.any(Number),
      replication_key: 'updated_at',
      replication_key_value: '2023-05-17T10:41:40+00:00',
    })
    expect(checkRecordsAgainstSchemas(r.messages)).toEqual([])

    // A second run with that state: only rows at or after the bookmark.
    await withAdmin(db, (c) =>
      c.query(`INSERT INTO events VALUES (3000, '2023-05-17 11:00:00+00', 1, 'new')`),
    )
    const again = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      writeCatalog(cat()),
      '--state',
      writeJsonFile('state.json', lastState(r.messages)),
    ])
    expectSuccess(again)
    expect(records(again.messages, 'public-events').map((x) => x.id)).toEqual([2500, 3000])
    expect(lastState(again.messages).bookmarks['public-events'].version).toBe(final.version)
    await withAdmin(db, (c) => c.query(`DELETE FROM events WHERE id = 3000`))
  })

  it('resumes from a pipelinewise 2.1 incremental state (timestamptz key with microseconds and offset)', async () => {
    const pw = {
      bookmarks: {
        'public-events': {
          last_replication_method: 'INCREMENTAL',
          replication_key: 'updated_at',
          version: 1700000000000,
          replication_key_value: '2023-05-17T10:41:38.123456+00:00',
        },
      },
      currently_syncing: null,
    }
    const r = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      writeCatalog(cat()),
      '--state',
      writeJsonFile('state.json', pw),
    ])
    expectSuccess(r)
    expect(records(r.messages, 'public-events').map((x) => x.id)).toEqual([2499, 2500])
    expect(r.messages.filter((x) => x.type === 'RECORD').every((x) => x.version === 1700000000000)).toBe(true)
  })

  it('keeps a bigint key exact in STATE and binds it back exactly; honours limit', async () => {
    const c = selectStreams(catalog, { events: { method: 'INCREMENTAL', key: 'seq' } })
    const limited = writeConfig(db, { limit: 1000, itersize: 300 })
    const r = await runTap(['sync', '--config', limited, '--catalog', writeCatalog(c)])
    expectSuccess(r)
    expect(records(r.messages, 'public-events')).toHaveLength(1000)
    const stateLines = r.stdout.split('\n').filter((l) => l.startsWith('{"type":"STATE"'))
    expect(stateLines.at(-1)).toContain(
      '"replication_key":"seq","replication_key_value":9223372036854771000}',
    )

    const next = await runTap([
      'sync',
      '--config',
      limited,
      '--catalog',
      writeCatalog(c),
      '--state',
      writeJsonFile('state.json', stateLines.at(-1)!.slice('{"type":"STATE","value":'.length, -1)),
    ])
    expectSuccess(next)
    const ids = records(next.messages, 'public-events').map((x) => x.id)
    // The bookmark's row again, then `limit` rows beyond it.
    expect(ids[0]).toBe(1000)
    expect(ids).toHaveLength(1001)
    expect(next.stdout).toContain('"replication_key_value":9223372036854772000}')
  })
})
