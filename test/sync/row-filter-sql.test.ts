/**
 * The operator's row filter in the SQL of every read: each clause in its own parentheses, ANDed
 * with the tap's own conditions, in every subquery (INCREMENTAL `limit` counts and ends tie groups
 * among the filtered rows), and put in as written: the statement is built once, so no later scan
 * of the text can mistake a `$1` inside a clause for one of the read's parameters.
 */
import { describe, expect, it } from 'vitest'
import { fullTableCopy, incrementalQuery, rowFilterSql } from '../../src/pg/sql.js'

const where = ["status = 'paid'", 'id > 10 OR id < 0']
const F = `(status = 'paid'\n) AND (id > 10 OR id < 0\n)`

/** Every FROM of the statement is followed by the filter: no subquery reads unfiltered rows. */
function expectFilterInEveryFrom(text: string): void {
  const froms = text.split(' FROM ').length - 1
  expect(froms).toBeGreaterThan(0)
  expect(text.split(` FROM "public"."orders" WHERE ${F}`).length - 1).toBe(froms)
}

describe('row filter SQL', () => {
  it('wraps each clause in parentheses and ends it with a line break', () => {
    expect(rowFilterSql(where)).toBe(F)
    expect(rowFilterSql([])).toBeUndefined()
  })

  it('FULL_TABLE: fresh, resumed, unordered, a chunk and a chunk recheck', () => {
    const base = { schemaName: 'public', tableName: 'orders', columns: ['id', 'status'], where }
    expect(fullTableCopy({ ...base, order: 'xmin' })).toBe(
      `COPY (SELECT "id", "status", xmin::text FROM "public"."orders" WHERE ${F} ORDER BY age(xmin) DESC) TO STDOUT`,
    )
    const resumed = fullTableCopy({ ...base, order: 'xmin', resumeXmin: 77 })
    expect(resumed).toBe(
      `COPY (SELECT "id", "status", xmin::text FROM "public"."orders" WHERE ${F} AND age(xmin) <= age('77'::xid) ORDER BY age(xmin) DESC) TO STDOUT`,
    )
    expect(fullTableCopy({ ...base, order: 'unordered' })).toBe(
      `COPY (SELECT "id", "status" FROM "public"."orders" WHERE ${F}) TO STDOUT`,
    )
    const chunk = fullTableCopy({ ...base, order: 'unordered', pages: { from: 10, to: 20 } })
    expect(chunk).toBe(
      `COPY (SELECT "id", "status" FROM "public"."orders" WHERE ${F} AND ctid >= '(10,0)'::tid AND ctid < '(20,0)'::tid) TO STDOUT`,
    )
    const recheck = fullTableCopy({
      ...base,
      order: 'unordered',
      pages: { from: 20, changedSince: { xmax: 900, xip: [897, 899] } },
    })
    expect(recheck).toBe(
      `COPY (SELECT "id", "status" FROM "public"."orders" WHERE ${F} AND ctid >= '(20,0)'::tid AND (age(xmin) <= age('900'::xid) OR xmin = ANY('{897,899}'::xid[]))) TO STDOUT`,
    )
    for (const q of [resumed, chunk, recheck]) expectFilterInEveryFrom(q)
  })

  it('INCREMENTAL without limit: first run and from the bookmark', () => {
    const base = {
      schemaName: 'public',
      tableName: 'orders',
      columns: ['id', 'k'],
      replicationKey: 'k',
      where,
    }
    expect(incrementalQuery(base).text).toBe(
      `SELECT "id", "k" FROM "public"."orders" WHERE ${F} ORDER BY "k" ASC`,
    )
    expect(incrementalQuery({ ...base, from: '5' })).toMatchObject({
      text: `SELECT "id", "k" FROM "public"."orders" WHERE ${F} AND "k" >= $1 ORDER BY "k" ASC`,
      values: ['5'],
    })
  })

  it('INCREMENTAL with limit: the filter in the rows read and in every subquery that finds where the run ends', () => {
    const base = {
      schemaName: 'public',
      tableName: 'orders',
      columns: ['id', 'k'],
      replicationKey: 'k',
      where,
      limit: 10,
    }
    const first = incrementalQuery(base)
    expect(first).toMatchObject({
      text:
        `SELECT "id", "k" FROM "public"."orders" WHERE ${F} ORDER BY "k" ASC LIMIT (SELECT NULLIF(count(*), 0) FROM "public"."orders" WHERE ${F} AND "k" <= ` +
        `(SELECT "k" FROM "public"."orders" WHERE ${F} AND "k" IS NOT NULL ORDER BY "k" ASC OFFSET $1::bigint LIMIT 1))`,
      values: ['9'],
    })
    const later = incrementalQuery({ ...base, from: '5' })
    expect(later).toMatchObject({
      text:
        `SELECT "id", "k" FROM "public"."orders" WHERE ${F} AND "k" >= $1 AND "k" <= COALESCE(` +
        `(SELECT "k" FROM "public"."orders" WHERE ${F} AND "k" > $1 ORDER BY "k" ASC OFFSET $2::bigint LIMIT 1), ` +
        `(SELECT "k" FROM "public"."orders" WHERE ${F} AND "k" IS NOT NULL ORDER BY "k" DESC LIMIT 1)) ORDER BY "k" ASC`,
      values: ['5', '9'],
    })
    expectFilterInEveryFrom(first.text)
    expectFilterInEveryFrom(later.text)
  })

  it('without clauses the statements are the ones without a filter', () => {
    const q = incrementalQuery({
      schemaName: 's',
      tableName: 't',
      columns: ['k'],
      replicationKey: 'k',
      from: 'x',
      limit: 2,
      where: [],
    })
    expect(q).toEqual(
      incrementalQuery({
        schemaName: 's',
        tableName: 't',
        columns: ['k'],
        replicationKey: 'k',
        from: 'x',
        limit: 2,
      }),
    )
    expect(q.text).not.toContain('(\n)')
  })

  it('placeholder-looking text in a clause is put in as written, and the values stay bound', () => {
    // `$1` in a dollar-quoted string, after an E'' escape and in a comment.
    const clauses = [`note <> $$ $1 $$`, `note <> E'\\' $1 '`, `true -- $2 ' "`]
    const q = incrementalQuery({
      schemaName: 's',
      tableName: 't',
      columns: ['k'],
      replicationKey: 'k',
      from: "it's",
      limit: 3,
      where: clauses,
    })
    const f = `(note <> $$ $1 $$\n) AND (note <> E'\\' $1 '\n) AND (true -- $2 ' "\n)`
    expect(q).toEqual({
      text:
        `SELECT "k" FROM "s"."t" WHERE ${f} AND "k" >= $1 AND "k" <= COALESCE(` +
        `(SELECT "k" FROM "s"."t" WHERE ${f} AND "k" > $1 ORDER BY "k" ASC OFFSET $2::bigint LIMIT 1), ` +
        `(SELECT "k" FROM "s"."t" WHERE ${f} AND "k" IS NOT NULL ORDER BY "k" DESC LIMIT 1)) ORDER BY "k" ASC`,
      values: ["it's", '2'],
    })
    expect(
      fullTableCopy({
        schemaName: 's',
        tableName: 't',
        columns: ['a'],
        order: 'xmin',
        resumeXmin: 42,
        where: clauses,
      }),
    ).toBe(
      `COPY (SELECT "a", xmin::text FROM "s"."t" WHERE ${f} AND age(xmin) <= age('42'::xid) ORDER BY age(xmin) DESC) TO STDOUT`,
    )
  })
})
