/**
 * Identifiers from the catalog (schema, table, column, replication key) and values from the state
 * and config reach SQL only quoted or bound: a schema, table and columns named
 * `x"; DROP TABLE y; --` sync as what they are through discovery, FULL_TABLE, INCREMENTAL (a key
 * value full of quotes and backslashes) and LOG_BASED (wal2json's add-tables), and a canary table
 * y survives every run, as it does hostile filter_schemas, work_mem and slot names.
 * (test/sync/sync-flow.pg.test.ts covers the FULL_TABLE read of such a table in public.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clusterInfo,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import { discoverCatalog, records, selectStreams, writeCatalog } from '../sync/catalog-helpers.js'
import type { Catalog } from '../../src/singer/catalog-types.js'
import { committed, expectCleanError, expectNoBackendsLeft } from './helpers.js'

const EVIL = 'x"; DROP TABLE y; --'
const EVIL_KEY = "k'); DROP TABLE y; --\\"
const q = (name: string): string => `"${name.replace(/"/g, '""')}"`
const STREAM = `${EVIL}-${EVIL}`

let db: string
let catalog: Catalog

async function sql(text: string): Promise<Array<Record<string, string>>> {
  return withAdmin(db, async (c) => (await c.query(text)).rows as Array<Record<string, string>>)
}

async function expectCanary(): Promise<void> {
  const [row] = await sql(`SELECT count(*)::int AS n FROM y`)
  expect(Number(row.n)).toBe(3)
}

beforeAll(async () => {
  db = await createTestDatabase('inject')
  await sql(`
    CREATE TABLE y (n int); INSERT INTO y VALUES (1), (2), (3);
    CREATE SCHEMA ${q(EVIL)};
    CREATE TABLE ${q(EVIL)}.${q(EVIL)} (${q(EVIL)} int PRIMARY KEY, ${q(EVIL_KEY)} text, "v\\" text);
    INSERT INTO ${q(EVIL)}.${q(EVIL)} SELECT g, 'key ''' || lpad(g::text, 3, '0') || ' \\', 'v' || g FROM generate_series(1, 20) g;
  `)
  catalog = await discoverCatalog(writeConfig(db, { filter_schemas: EVIL }))
})

afterAll(async () => {
  await dropTestDatabase(db)
})

describe('hostile identifiers and values', () => {
  it('discovery with filter_schemas naming the schema: one stream, its columns as they are', async () => {
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual([STREAM])
    expect(Object.keys(catalog.streams[0].schema.properties ?? {})).toEqual([EVIL, EVIL_KEY, 'v\\'])
    await expectCanary()
  })

  it('FULL_TABLE reads the table; nothing is dropped', async () => {
    const r = await runTap([
      'sync',
      '--config',
      writeConfig(db),
      '--catalog',
      writeCatalog(selectStreams(catalog, { [STREAM]: { method: 'FULL_TABLE' } })),
    ])
    expect(r.code, r.stderr).toBe(0)
    const rows = records(r.messages, STREAM)
    expect(rows).toHaveLength(20)
    expect(rows[0]).toEqual({ [EVIL]: 1, [EVIL_KEY]: "key '001 \\", 'v\\': 'v1' })
    await expectCanary()
  })

  it('INCREMENTAL on the hostile key column, resumed from a key value full of quotes and backslashes', async () => {
    const cat = writeCatalog(selectStreams(catalog, { [STREAM]: { method: 'INCREMENTAL', key: EVIL_KEY } }))
    const state = {
      bookmarks: {
        [STREAM]: {
          last_replication_method: 'INCREMENTAL',
          replication_key: EVIL_KEY,
          replication_key_value: "key '015 \\",
        },
      },
    }
    const r = await runTap([
      'sync',
      '--config',
      writeConfig(db),
      '--catalog',
      cat,
      '--state',
      writeJsonFile('s.json', state),
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(records(r.messages, STREAM).map((x) => x[EVIL])).toEqual([15, 16, 17, 18, 19, 20])
    expect(committed(r.messages, STREAM).state?.bookmarks[STREAM].replication_key_value).toBe("key '020 \\")
    // With limit the bookmark is in the statement twice (from it, and up to the 3rd key above it).
    const limited = await runTap([
      'sync',
      '--config',
      writeConfig(db, { limit: 3 }),
      '--catalog',
      cat,
      '--state',
      writeJsonFile('s.json', state),
    ])
    expect(limited.code, limited.stderr).toBe(0)
    expect(records(limited.messages, STREAM).map((x) => x[EVIL])).toEqual([15, 16, 17, 18])
    // A value made to break out of a literal is just a value.
    for (const value of [
      "'); DROP TABLE y; --",
      "\\'; DROP TABLE y; --",
      '$1; DROP TABLE y',
      "$2'); DROP TABLE y; --",
    ]) {
      const s = {
        bookmarks: {
          [STREAM]: {
            last_replication_method: 'INCREMENTAL',
            replication_key: EVIL_KEY,
            replication_key_value: value,
          },
        },
      }
      for (const extra of [{}, { limit: 3 }]) {
        const x = await runTap([
          'sync',
          '--config',
          writeConfig(db, extra),
          '--catalog',
          cat,
          '--state',
          writeJsonFile('s.json', s),
        ])
        expect(x.code, x.stderr).toBe(0)
      }
    }
    await expectCanary()
  })

  it('LOG_BASED streams the table (wal2json add-tables escapes the names)', async () => {
    const app = uniqueAppName('inject')
    const config = writeConfig(db, { replication_slot_name: 'inject_slot', application_name: app })
    expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
    const cat = writeCatalog(selectStreams(catalog, { [STREAM]: { method: 'LOG_BASED' } }))
    const first = await runTap(['sync', '--config', config, '--catalog', cat])
    expect(first.code, first.stderr).toBe(0)
    await sql(
      `BEGIN; SET LOCAL synchronous_commit = on; INSERT INTO ${q(EVIL)}.${q(EVIL)} VALUES (21, 'k21', 'v21'); UPDATE ${q(EVIL)}.${q(EVIL)} SET "v\\" = 'changed' WHERE ${q(EVIL)} = 1; COMMIT`,
    )
    const second = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      cat,
      '--state',
      writeJsonFile('s.json', committed(first.messages, STREAM).state),
    ])
    expect(second.code, second.stderr).toBe(0)
    expect(records(second.messages, STREAM).map((x) => [x[EVIL], x['v\\']])).toEqual([
      [21, 'v21'],
      [1, 'changed'],
    ])
    await expectNoBackendsLeft({ ...clusterInfo() }, app)
    await sql(`SELECT pg_drop_replication_slot('inject_slot')`)
    await expectCanary()
  })

  it('hostile settings: filter_schemas, work_mem and a slot name are refused or used as data, never as SQL', async () => {
    const fs = await runTap([
      '--config',
      writeConfig(db, { filter_schemas: "public'); DROP TABLE y; --" }),
      '--discover',
    ])
    expect(fs.code, fs.stderr).toBe(0)
    expect(JSON.parse(fs.stdout).streams).toEqual([])
    const wm = await runTap([
      'sync',
      '--config',
      writeConfig(db, { work_mem: '64MB -c statement_timeout=1' }),
      '--catalog',
      writeCatalog(selectStreams(catalog, { [STREAM]: { method: 'FULL_TABLE' } })),
    ])
    expectCleanError(wm, 1, /^error: cannot connect to .*: invalid value for parameter "work_mem"/)
    const slot = await runTap([
      'sync',
      '--config',
      writeConfig(db, { replication_slot_name: 'x" LOGICAL 0/0; DROP TABLE y; --' }),
      '--catalog',
      writeCatalog(selectStreams(catalog, { [STREAM]: { method: 'LOG_BASED' } })),
    ])
    expectCleanError(slot, 1, /^error: replication slot "x" LOGICAL 0\/0; DROP TABLE y; --" does not exist/, {
      records: true,
    })
    await expectCanary()
  })
})
