/**
 * The operator's row filter in the SQL of every read: each clause in its own parentheses, ANDed
 * with the tap's own conditions, in every subquery (INCREMENTAL `limit` counts and ends tie groups
 * among the filtered rows), and never touched by copyStatement's placeholder splicing.
 */
import { describe, expect, it } from 'vitest'
import {
  copyStatement,
  fullTableQuery,
  incrementalQuery,
  rowFilterSql,
  type BoundQuery,
} from '../../src/pg/sql.js'

const where = ["status = 'paid'", 'id > 10 OR id < 0']
const F = `(status = 'paid'\n) AND (id > 10 OR id < 0\n)`

/** Every FROM of the statement is followed by the filter: no subquery reads unfiltered rows. */
function expectFilterInEveryFrom(q: BoundQuery): void {
  const froms = q.text.split(' FROM ').length - 1
  expect(q.text.split(F).length - 1).toBe(froms)
  expect(q.verbatim).toHaveLength(froms)
  for (const [start, end] of q.verbatim ?? []) expect(q.text.slice(start, end)).toBe(F)
}

describe('row filter SQL', () => {
  it('wraps each clause in parentheses and ends it with a line break', () => {
    expect(rowFilterSql(where)).toBe(F)
    expect(rowFilterSql([])).toBeUndefined()
  })

  it('FULL_TABLE: fresh, resumed, unordered, a chunk and a chunk recheck', () => {
    const base = { schemaName: 'public', tableName: 'orders', columns: ['id', 'status'], where }
    expect(fullTableQuery({ ...base, order: 'xmin' }).text).toBe(
      `SELECT "id", "status", xmin::text FROM "public"."orders" WHERE ${F} ORDER BY age(xmin) DESC`,
    )
    const resumed = fullTableQuery({ ...base, order: 'xmin', resumeXmin: 77 })
    expect(resumed).toMatchObject({
      text: `SELECT "id", "status", xmin::text FROM "public"."orders" WHERE ${F} AND age(xmin) <= age($1::xid) ORDER BY age(xmin) DESC`,
      values: ['77'],
    })
    expect(fullTableQuery({ ...base, order: 'unordered' }).text).toBe(
      `SELECT "id", "status" FROM "public"."orders" WHERE ${F}`,
    )
    const chunk = fullTableQuery({ ...base, order: 'unordered', pages: { from: 10, to: 20 } })
    expect(chunk.text).toBe(
      `SELECT "id", "status" FROM "public"."orders" WHERE ${F} AND ctid >= '(10,0)'::tid AND ctid < '(20,0)'::tid`,
    )
    const recheck = fullTableQuery({
      ...base,
      order: 'unordered',
      pages: { from: 20, changedSince: { xmax: 900, xip: [897, 899] } },
    })
    expect(recheck).toMatchObject({
      text: `SELECT "id", "status" FROM "public"."orders" WHERE ${F} AND ctid >= '(20,0)'::tid AND (age(xmin) <= age($1::xid) OR xmin = ANY($2::xid[]))`,
      values: ['900', '{897,899}'],
    })
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
    expectFilterInEveryFrom(first)
    expectFilterInEveryFrom(later)
  })

  it('without clauses the statements are the ones of old (no verbatim ranges)', () => {
    const q = incrementalQuery({
      schemaName: 's',
      tableName: 't',
      columns: ['k'],
      replicationKey: 'k',
      from: 'x',
      limit: 2,
      where: [],
    })
    expect(q.verbatim).toBeUndefined()
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
  })

  it('copyStatement splices the bound values and leaves every placeholder-looking text of a clause alone', () => {
    // `$1` in a dollar-quoted string, after an E'' escape and in a comment: the old scan, which knows
    // only '...' and "...", would have spliced the bookmark into all three.
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
    expect(copyStatement(q)).toBe(
      `COPY (SELECT "k" FROM "s"."t" WHERE ${f} AND "k" >= 'it''s' AND "k" <= COALESCE(` +
        `(SELECT "k" FROM "s"."t" WHERE ${f} AND "k" > 'it''s' ORDER BY "k" ASC OFFSET '2'::bigint LIMIT 1), ` +
        `(SELECT "k" FROM "s"."t" WHERE ${f} AND "k" IS NOT NULL ORDER BY "k" DESC LIMIT 1)) ORDER BY "k" ASC) TO STDOUT`,
    )
    const full = fullTableQuery({
      schemaName: 's',
      tableName: 't',
      columns: ['a'],
      order: 'xmin',
      resumeXmin: 42,
      where: clauses,
    })
    expect(copyStatement(full)).toBe(
      `COPY (SELECT "a", xmin::text FROM "s"."t" WHERE ${f} AND age(xmin) <= age('42'::xid) ORDER BY age(xmin) DESC) TO STDOUT`,
    )
  })
})
