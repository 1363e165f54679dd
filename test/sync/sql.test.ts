import { describe, expect, it } from 'vitest'
import { fullTableQuery, incrementalQuery, qualifiedName, quoteIdent } from '../../src/pg/sql.js'

describe('SQL builders', () => {
  it('quotes every identifier', () => {
    expect(quoteIdent('x"; DROP TABLE y; --')).toBe('"x""; DROP TABLE y; --"')
    expect(qualifiedName('My Schema', 'a"b')).toBe('"My Schema"."a""b"')
  })

  it('FULL_TABLE: wraparound-safe xmin order matching the resume filter', () => {
    const base = { schemaName: 'public', tableName: 'orders', columns: ['id', 'Note'] }
    expect(fullTableQuery({ ...base, order: 'xmin' })).toEqual({ text: 'SELECT "id", "Note", xmin::text FROM "public"."orders" ORDER BY age(xmin) DESC', values: [] })
    expect(fullTableQuery({ ...base, order: 'xmin', resumeXmin: 123456 })).toEqual({
      text: 'SELECT "id", "Note", xmin::text FROM "public"."orders" WHERE age(xmin) <= age($1::xid) ORDER BY age(xmin) DESC', values: ['123456'],
    })
    expect(fullTableQuery({ ...base, order: 'unordered' })).toEqual({ text: 'SELECT "id", "Note" FROM "public"."orders"', values: [] })
  })

  it('INCREMENTAL: bound parameters, >=, key order, LIMIT', () => {
    const base = { schemaName: 'public', tableName: 'events', columns: ['id', 'updated_at'], replicationKey: 'updated_at' }
    expect(incrementalQuery(base)).toEqual({ text: 'SELECT "id", "updated_at" FROM "public"."events" ORDER BY "updated_at" ASC', values: [] })
    expect(incrementalQuery({ ...base, from: "2023-01-01'; --", limit: 10 })).toEqual({
      text: 'SELECT "id", "updated_at" FROM "public"."events" WHERE "updated_at" >= $1 ORDER BY "updated_at" ASC LIMIT $2::bigint', values: ["2023-01-01'; --", '10'],
    })
    expect(incrementalQuery({ ...base, limit: 5 }).text).toMatch(/LIMIT \$1::bigint$/)
  })
})
