/**
 * The FULL_TABLE read is one COPY, which takes no parameters: the builder writes its only values
 * (transaction ids, page numbers) itself, as checked integers, and nothing else reaches the text.
 */
import { describe, expect, it } from 'vitest'
import { fullTableCopy } from '../../src/pg/sql.js'

const base = { schemaName: 's', tableName: 't', columns: ['a'] }

describe('fullTableCopy', () => {
  it('writes the resume xmin as an xid literal', () => {
    expect(fullTableCopy({ ...base, order: 'xmin', resumeXmin: 42 })).toBe(
      `COPY (SELECT "a", xmin::text FROM "s"."t" WHERE age(xmin) <= age('42'::xid) ORDER BY age(xmin) DESC) TO STDOUT`,
    )
  })

  it("writes a chunk's pages and the snapshot's xmax and running transactions", () => {
    expect(
      fullTableCopy({
        ...base,
        order: 'unordered',
        pages: { from: 20, to: 30, changedSince: { xmax: 900, xip: [897, 899] } },
      }),
    ).toBe(
      `COPY (SELECT "a" FROM "s"."t" WHERE ctid >= '(20,0)'::tid AND ctid < '(30,0)'::tid AND ` +
        `(age(xmin) <= age('900'::xid) OR xmin = ANY('{897,899}'::xid[]))) TO STDOUT`,
    )
    expect(
      fullTableCopy({ ...base, order: 'unordered', pages: { from: 20, changedSince: { xmax: 5, xip: [] } } }),
    ).toBe(
      `COPY (SELECT "a" FROM "s"."t" WHERE ctid >= '(20,0)'::tid AND age(xmin) <= age('5'::xid)) TO STDOUT`,
    )
  })

  it('refuses a value that is not a 32-bit transaction id or a page number', () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN])
      expect(() => fullTableCopy({ ...base, order: 'xmin', resumeXmin: bad })).toThrow(RangeError)
    expect(() =>
      fullTableCopy({
        ...base,
        order: 'unordered',
        pages: { from: 0, changedSince: { xmax: 1, xip: [2, -3] } },
      }),
    ).toThrow(RangeError)
    expect(() => fullTableCopy({ ...base, order: 'unordered', pages: { from: -1 } })).toThrow(RangeError)
  })
})
