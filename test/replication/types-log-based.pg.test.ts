/**
 * One renderer for every method (docs/types.md): every type's value, read by FULL_TABLE and streamed by
 * LOG_BASED as an insert, an update and (REPLICA IDENTITY FULL) a delete, gives the same record
 * text byte for byte, `_sdc_` columns aside. The rows are the fixtures of the FULL_TABLE round trip
 * (test/sync/type-fixtures.ts) and of the renderer (test/values/render-cases.ts), plus bytea
 * columns, domains over bytea and arrays of both. Build first: npm run build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  recordLines,
  recordText,
  selectStreams,
  sync,
  writeCatalog,
} from '../sync/catalog-helpers.js'
import { createAllTypesTable, insertAllTypesRows } from '../sync/type-fixtures.js'
import { RENDER_CASES } from '../values/render-cases.js'
import { LOG_BASED_PLUGINS, slotCreateArgs } from './plugins.js'

let db: string

beforeAll(async () => {
  db = await createTestDatabase('types_lb')
  await sql(`CREATE DOMAIN bytea_d AS bytea`)
})
afterAll(async () => {
  await dropTestDatabase(db)
})

async function sql(text: string): Promise<void> {
  await withAdmin(db, (c) => c.query(text))
}

/** Bytes whose hex or escape text could be mistaken for something else. */
const BYTES = [
  `'\\x'`,
  `'\\x00'`,
  `'\\x5c78'`,
  `'\\x5c5c'`,
  `'\\x3061'`,
  `'\\xdeadbeef'`,
  `'\\x7f80ff'`,
  `decode(repeat('0123456789abcdef', 60), 'hex')`,
]

/** Inserts `count` rows into the bytea table from `first` on: each value of BYTES in every column kind. */
function byteRows(table: string, first: number): string {
  return `INSERT INTO ${table} VALUES ${BYTES.map((b, i) => `(${first + i}, ${b}, ${b}, ARRAY[${b}::bytea, NULL, ${b}], ARRAY[${b}::bytea_d, NULL])`).join(', ')}`
}

/** The record text of a RECORD line without `_sdc_` columns (LOG_BASED puts them last). */
function withoutSdc(line: string): string {
  return recordText(line).replace(/,"_sdc_deleted_at":(?:null|"[^"]*")(?:,"_sdc_lsn":"\d+")?\}$/, '}')
}

const idOf = (line: string): number => Number(/"record":\{"id":(\d+)/.exec(line)?.[1])

/** FULL_TABLE record text of each row, by id. */
function byId(lines: string[]): Map<number, string> {
  return new Map(lines.map((l) => [idOf(l), recordText(l)]))
}

describe.each(LOG_BASED_PLUGINS)(
  'every types.md type byte-identical between FULL_TABLE and LOG_BASED (%s)',
  (plugin) => {
    const all = `lt_all_${plugin}`
    const cases = `lt_cases_${plugin}`
    const bytes = `lt_bytes_${plugin}`
    const tables = [all, cases, bytes]
    let config: string
    let logBased: string
    let fullTable: string
    let state: ReturnType<typeof lastState>
    /** FULL_TABLE text of every row, by table, after the inserts. */
    const full = new Map<string, Map<number, string>>()

    beforeAll(async () => {
      await withAdmin(db, (c) => createAllTypesTable(c, all))
      await sql(
        `CREATE TABLE ${cases} AS SELECT 1 AS id, ${RENDER_CASES.map(([expression], i) => `${expression} AS c${i}`).join(', ')} WITH NO DATA`,
      )
      await sql(`ALTER TABLE ${cases} ADD PRIMARY KEY (id)`)
      await sql(`CREATE TABLE ${bytes} (id int PRIMARY KEY, b bytea, bd bytea_d, ba bytea[], bda bytea_d[])`)
      for (const t of tables) await sql(`ALTER TABLE ${t} REPLICA IDENTITY FULL`)
      config = writeConfig(db, { replication_slot_name: `types_${plugin}` })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      const discovered = await discoverCatalog(config)
      logBased = writeCatalog(
        selectStreams(discovered, Object.fromEntries(tables.map((t) => [t, { method: 'LOG_BASED' }]))),
      )
      fullTable = writeCatalog(
        selectStreams(discovered, Object.fromEntries(tables.map((t) => [t, { method: 'FULL_TABLE' }]))),
      )
      // The initial load (of empty tables): every row below reaches LOG_BASED as a change.
      const first = await sync(config, logBased)
      expectSuccess(first)
      state = lastState(first.messages)
    })

    it('inserts and updates: each record is the FULL_TABLE record of the row', async () => {
      await withAdmin(db, (c) => insertAllTypesRows(c, all))
      await sql(`INSERT INTO ${cases} SELECT 1, ${RENDER_CASES.map(([expression]) => expression).join(', ')}`)
      await sql(`INSERT INTO ${cases} (id) VALUES (2)`)
      await sql(byteRows(bytes, 1))
      // An update that changes nothing still sends the whole new row.
      for (const t of tables) await sql(`UPDATE ${t} SET id = id`)
      await sql('CHECKPOINT')

      const streamed = await sync(config, logBased, state)
      expectSuccess(streamed)
      state = lastState(streamed.messages)
      const read = await sync(config, fullTable)
      expectSuccess(read)
      for (const t of tables) {
        const rows = byId(recordLines(read.stdout, `public-${t}`))
        full.set(t, rows)
        const lines = recordLines(streamed.stdout, `public-${t}`)
        expect(lines.length, t).toBe(2 * rows.size)
        for (const line of lines) {
          expect(recordText(line), t).toMatch(/,"_sdc_deleted_at":null\}$/)
          expect(withoutSdc(line), `${t} row ${idOf(line)}`).toBe(rows.get(idOf(line)))
        }
      }
      expect([...full.values()].map((m) => m.size)).toEqual([3, 2, BYTES.length])
      // The bytea table holds what its values are, not their text encoded once more.
      expect(full.get(bytes)?.get(6)).toBe(
        '{"id":6,"b":"deadbeef","bd":"deadbeef","ba":["deadbeef",null,"deadbeef"],"bda":["deadbeef",null]}',
      )
    })

    it('deletes with REPLICA IDENTITY FULL: each record is the FULL_TABLE record of the row', async () => {
      for (const t of tables) await sql(`DELETE FROM ${t}`)
      await sql('CHECKPOINT')
      const streamed = await sync(config, logBased, state)
      expectSuccess(streamed)
      state = lastState(streamed.messages)
      for (const t of tables) {
        const lines = recordLines(streamed.stdout, `public-${t}`)
        expect(lines.length, t).toBe(full.get(t)?.size)
        for (const line of lines) {
          expect(recordText(line), t).toMatch(/,"_sdc_deleted_at":"[^"]+"\}$/)
          expect(withoutSdc(line), `${t} row ${idOf(line)}`).toBe(full.get(t)?.get(idOf(line)))
        }
      }
    })

    it('bytea the same with bytea_output=escape set on the database', async () => {
      await sql(`ALTER DATABASE ${db} SET bytea_output = 'escape'`)
      try {
        await sql(byteRows(bytes, 101))
        await sql('CHECKPOINT')
        const streamed = await sync(config, logBased, state)
        expectSuccess(streamed)
        state = lastState(streamed.messages)
        const read = await sync(
          config,
          writeCatalog(selectStreams(await discoverCatalog(config), { [bytes]: { method: 'FULL_TABLE' } })),
        )
        expectSuccess(read)
        const rows = byId(recordLines(read.stdout, `public-${bytes}`))
        expect(rows.size).toBe(BYTES.length)
        const lines = recordLines(streamed.stdout, `public-${bytes}`)
        expect(lines).toHaveLength(BYTES.length)
        for (const line of lines) expect(withoutSdc(line), `row ${idOf(line)}`).toBe(rows.get(idOf(line)))
        expect(rows.get(106)).toBe(
          '{"id":106,"b":"deadbeef","bd":"deadbeef","ba":["deadbeef",null,"deadbeef"],"bda":["deadbeef",null]}',
        )
      } finally {
        await sql(`ALTER DATABASE ${db} RESET bytea_output`)
      }
    })
  },
)
