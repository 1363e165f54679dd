import { describe, expect, it } from 'vitest'
import {
  cursorStatements,
  fullTableCopy,
  incrementalQuery,
  qualifiedName,
  quoteIdent,
} from '../../src/pg/sql.js'

describe('SQL builders', () => {
  it('quotes every identifier', () => {
    expect(quoteIdent('x"; DROP TABLE y; --')).toBe('"x""; DROP TABLE y; --"')
    expect(qualifiedName('My Schema', 'a"b')).toBe('"My Schema"."a""b"')
  })

  it('FULL_TABLE: wraparound-safe xmin order matching the resume filter', () => {
    const base = { schemaName: 'public', tableName: 'orders', columns: ['id', 'Note'] }
    expect(fullTableCopy({ ...base, order: 'xmin' })).toBe(
      'COPY (SELECT "id", "Note", xmin::text FROM "public"."orders" ORDER BY age(xmin) DESC) TO STDOUT',
    )
    expect(fullTableCopy({ ...base, order: 'xmin', resumeXmin: 123456 })).toBe(
      `COPY (SELECT "id", "Note", xmin::text FROM "public"."orders" WHERE age(xmin) <= age('123456'::xid) ORDER BY age(xmin) DESC) TO STDOUT`,
    )
    expect(fullTableCopy({ ...base, order: 'unordered' })).toBe(
      'COPY (SELECT "id", "Note" FROM "public"."orders") TO STDOUT',
    )
  })

  it('INCREMENTAL: bound parameters, >=, key order', () => {
    const base = {
      schemaName: 'public',
      tableName: 'events',
      columns: ['id', 'updated_at'],
      replicationKey: 'updated_at',
    }
    expect(incrementalQuery(base)).toEqual({
      text: 'SELECT "id", "updated_at" FROM "public"."events" ORDER BY "updated_at" ASC',
      values: [],
    })
    expect(incrementalQuery({ ...base, from: "2023-01-01'; --" })).toEqual({
      text: 'SELECT "id", "updated_at" FROM "public"."events" WHERE "updated_at" >= $1 ORDER BY "updated_at" ASC',
      values: ["2023-01-01'; --"],
    })
  })

  it("INCREMENTAL with limit: ends at the end of a tie group, past the bookmark's own", () => {
    const base = {
      schemaName: 'public',
      tableName: 'events',
      columns: ['id', 'updated_at'],
      replicationKey: 'updated_at',
    }
    // From the bookmark up to the 10th key strictly above it, or to the greatest key when fewer.
    expect(incrementalQuery({ ...base, from: "2023-01-01'; --", limit: 10 })).toEqual({
      text:
        'SELECT "id", "updated_at" FROM "public"."events" WHERE "updated_at" >= $1 AND "updated_at" <= COALESCE(' +
        '(SELECT "updated_at" FROM "public"."events" WHERE "updated_at" > $1 ORDER BY "updated_at" ASC OFFSET $2::bigint LIMIT 1), ' +
        '(SELECT "updated_at" FROM "public"."events" WHERE "updated_at" IS NOT NULL ORDER BY "updated_at" DESC LIMIT 1)) ORDER BY "updated_at" ASC',
      values: ["2023-01-01'; --", '9'],
    })
    // No bookmark: as many rows as have a key up to the 5th key; no limit (NULL keys too) when fewer.
    expect(incrementalQuery({ ...base, limit: 5 })).toEqual({
      text:
        'SELECT "id", "updated_at" FROM "public"."events" ORDER BY "updated_at" ASC LIMIT (SELECT NULLIF(count(*), 0) FROM "public"."events" WHERE "updated_at" <= ' +
        '(SELECT "updated_at" FROM "public"."events" WHERE "updated_at" IS NOT NULL ORDER BY "updated_at" ASC OFFSET $1::bigint LIMIT 1))',
      values: ['4'],
    })
    expect(incrementalQuery({ ...base, limit: 1 }).values).toEqual(['0'])
    for (const bad of [0, -1, 1.5])
      expect(() => incrementalQuery({ ...base, limit: bad })).toThrow(RangeError)
  })

  it('INCREMENTAL through a cursor: the query after DECLARE as it is, its values bound, itersize rows per FETCH', () => {
    const query = incrementalQuery({
      schemaName: 'public',
      tableName: 'events',
      columns: ['id', 'updated_at'],
      replicationKey: 'updated_at',
      from: "2023-01-01'; --",
    })
    expect(cursorStatements(query, 5000)).toEqual({
      declare: { text: `DECLARE tap_read NO SCROLL CURSOR FOR ${query.text}`, values: ["2023-01-01'; --"] },
      fetch: 'FETCH FORWARD 5000 FROM tap_read',
      pageRows: 5000,
    })
    for (const bad of [0, 1.5, -1]) expect(() => cursorStatements(query, bad)).toThrow(RangeError)
  })
})
