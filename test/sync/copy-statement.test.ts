/** COPY takes no parameters: the bound values are inlined as literals, and only outside quotes. */
import { describe, expect, it } from 'vitest'
import { copyStatement, fullTableQuery, incrementalQuery, quoteLiteral } from '../../src/pg/sql.js'

describe('copyStatement', () => {
  it('inlines the parameters of the read queries', () => {
    expect(
      copyStatement(
        fullTableQuery({ schemaName: 's', tableName: 't', columns: ['a'], order: 'xmin', resumeXmin: 42 }),
      ),
    ).toBe(
      `COPY (SELECT "a", xmin::text FROM "s"."t" WHERE age(xmin) <= age('42'::xid) ORDER BY age(xmin) DESC) TO STDOUT`,
    )
    expect(
      copyStatement(
        incrementalQuery({
          schemaName: 's',
          tableName: 't',
          columns: ['k'],
          replicationKey: 'k',
          from: "it's",
          limit: 10,
        }),
      ),
    ).toBe(
      `COPY (SELECT "k" FROM "s"."t" WHERE "k" >= 'it''s' AND "k" <= COALESCE((SELECT "k" FROM "s"."t" WHERE "k" > 'it''s' ORDER BY "k" ASC OFFSET '9'::bigint LIMIT 1), ` +
        `(SELECT "k" FROM "s"."t" WHERE "k" IS NOT NULL ORDER BY "k" DESC LIMIT 1)) ORDER BY "k" ASC) TO STDOUT`,
    )
    // The bookmark appears twice: both are the same escaped literal, also with a backslash.
    expect(
      copyStatement(
        incrementalQuery({
          schemaName: 's',
          tableName: 't',
          columns: ['k'],
          replicationKey: 'k',
          from: "a\\'$2",
          limit: 3,
        }),
      ),
    ).toBe(
      `COPY (SELECT "k" FROM "s"."t" WHERE "k" >=  E'a\\\\''$2' AND "k" <= COALESCE((SELECT "k" FROM "s"."t" WHERE "k" >  E'a\\\\''$2' ORDER BY "k" ASC OFFSET '2'::bigint LIMIT 1), ` +
        `(SELECT "k" FROM "s"."t" WHERE "k" IS NOT NULL ORDER BY "k" DESC LIMIT 1)) ORDER BY "k" ASC) TO STDOUT`,
    )
  })

  it('leaves $n inside quoted names and literals alone', () => {
    expect(
      copyStatement({
        text: `SELECT "$1", "a""$2", '$1''x' FROM t WHERE x = $1 AND y = $2`,
        values: ['v', 'w'],
      }),
    ).toBe(`COPY (SELECT "$1", "a""$2", '$1''x' FROM t WHERE x = 'v' AND y = 'w') TO STDOUT`)
  })

  it('quotes backslashes whatever standard_conforming_strings is', () => {
    expect(quoteLiteral(`a\\'b`)).toBe(` E'a\\\\''b'`)
    expect(quoteLiteral('plain')).toBe(`'plain'`)
  })

  it('fails on a placeholder without a value', () => {
    expect(() => copyStatement({ text: 'SELECT $2', values: ['x'] })).toThrow(/\$2/)
  })
})
