/**
 * Every type of docs/types.md through the real CLI on FULL_TABLE (read through COPY) and INCREMENTAL
 * (read through a cursor), checked on the raw stdout text of each record (not only parsed values:
 * parsing would hide lost digits and escapes): both give the same bytes. Every RECORD is validated
 * against its stream's SCHEMA. Build first: npx tsc -p tsconfig.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  recordLines,
  recordText,
  selectStreams,
  writeCatalog,
} from './catalog-helpers.js'
import { checkRecordsAgainstSchemas } from './schema-validation.js'
import { COLUMNS, createAllTypesTable, insertAllTypesRows } from './type-fixtures.js'

let db: string

beforeAll(async () => {
  db = await createTestDatabase('sync_types')
  await withAdmin(db, async (c) => {
    await createAllTypesTable(c)
    await insertAllTypesRows(c)
  })
})

afterAll(async () => {
  await dropTestDatabase(db)
})

function expectedRecord(id: number): string {
  const parts = [`"id":${id}`]
  for (const [name, , row1, row2] of COLUMNS)
    parts.push(`${JSON.stringify(name)}:${id === 1 ? row1[1] : id === 2 ? row2[1] : 'null'}`)
  return `{${parts.join(',')}}`
}

describe('FULL_TABLE type round trip through the CLI', () => {
  it('writes every value exactly, validates against SCHEMA, and counts clamps in a warning', async () => {
    const config = writeConfig(db)
    const catalog = selectStreams(await discoverCatalog(config), { all_types: { method: 'FULL_TABLE' } })
    const r = await runTap(['sync', '--config', config, '--catalog', writeCatalog(catalog)])
    expectSuccess(r)
    const lines = recordLines(r.stdout, 'public-all_types')
    expect(lines).toHaveLength(3)
    const byId = new Map(lines.map((l) => [Number(/"record":\{"id":(\d+)/.exec(l)?.[1]), recordText(l)]))
    for (const id of [1, 2, 3]) expect(byId.get(id)).toBe(expectedRecord(id))
    for (const line of lines) {
      expect(line).toMatch(/,"version":\d{13},"time_extracted":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z"\}$/)
    }

    expect(checkRecordsAgainstSchemas(r.messages)).toEqual([])

    // Row 2 clamps d, ts, tz; row 1 clamps one element of atz.
    const warning = r.stderr.split('\n').find((l) => /clamped/.test(l))
    expect(warning).toBeDefined()
    expect(warning).toMatch(/level=warning/)
    for (const col of ['d: 1', 'ts: 1', 'tz: 1', 'atz: 1']) expect(warning).toContain(col)
  })
})

describe('INCREMENTAL type round trip through the CLI', () => {
  it('writes every value exactly as FULL_TABLE does, and counts the same clamps', async () => {
    const config = writeConfig(db, { itersize: 2 })
    const catalog = selectStreams(await discoverCatalog(config), {
      all_types: { method: 'INCREMENTAL', key: 'id' },
    })
    const r = await runTap(['sync', '--config', config, '--catalog', writeCatalog(catalog)])
    expectSuccess(r)
    const lines = recordLines(r.stdout, 'public-all_types')
    expect(lines.map(recordText)).toEqual([1, 2, 3].map(expectedRecord))
    expect(checkRecordsAgainstSchemas(r.messages)).toEqual([])
    const warning = r.stderr.split('\n').find((l) => /clamped/.test(l))
    for (const col of ['d: 1', 'ts: 1', 'tz: 1', 'atz: 1']) expect(warning).toContain(col)
  })
})
