/**
 * Rows of several MB through the real CLI on FULL_TABLE: each spans many socket chunks and is far
 * larger than a RECORD batch (1 MiB), and its text comes back exactly: tabs, newlines, backslashes,
 * quotes, non-ASCII and U+2028 included, and a jsonb of a few MB. Build first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { parseMessages } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  records,
  recordLines,
  selectStreams,
  sync,
  writeCatalog,
} from './catalog-helpers.js'

let db: string
let expected: Array<{ id: string; t: string | null; j: string | null }>

beforeAll(async () => {
  db = await createTestDatabase('sync_big_rows')
  expected = await withAdmin(db, async (c) => {
    // 4 rows of 2 to 8 MB of text (the piece is 47 bytes of UTF-8, 44 characters), and a jsonb of ~3 MB.
    await c.query(`CREATE TABLE big (id int PRIMARY KEY, t text, j jsonb);
      INSERT INTO big SELECT g, repeat(E'a\\tb\\nc\\\\d"e\\u00e9\\u2028 ' || md5(g::text), g * 40000), NULL FROM generate_series(1, 4) g;
      INSERT INTO big SELECT 5, NULL, (SELECT jsonb_agg(jsonb_build_object('k', g, 's', md5(g::text) || E'\\t"\\u00e9')) FROM generate_series(1, 50000) g)`)
    const r = await c.query<{ id: string; t: string | null; j: string | null }>(
      'SELECT id, t, j FROM big ORDER BY id',
    )
    return r.rows
  })
}, 120_000)

afterAll(async () => {
  await dropTestDatabase(db)
})

describe('FULL_TABLE rows of several MB', () => {
  it('round-trips each row exactly', async () => {
    expect(expected[3].t?.length).toBeGreaterThan(7_000_000)
    const config = writeConfig(db)
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { big: { method: 'FULL_TABLE' } }),
    )
    const r = await sync(config, catalog)
    expectSuccess(r)
    const got = records(parseMessages(r.stdout), 'public-big').sort((a, b) => Number(a.id) - Number(b.id))
    expect(got).toHaveLength(5)
    for (let i = 0; i < 5; i++) {
      expect(got[i].id).toBe(Number(expected[i].id))
      // Not toEqual on the strings: a failure would print MBs.
      expect(got[i].t === expected[i].t, `text of row ${expected[i].id}`).toBe(true)
      // The admin client returns every value as its text: the server's jsonb text, parsed.
      const j = expected[i].j === null ? null : (JSON.parse(expected[i].j as string) as unknown)
      expect(JSON.stringify(got[i].j) === JSON.stringify(j), `jsonb of row ${expected[i].id}`).toBe(true)
    }
    // U+2028 is escaped in the raw line, as in every other record (JSON.parse above cannot tell).
    const line = recordLines(r.stdout, 'public-big')[0]
    expect(line.includes('\u2028')).toBe(false)
    expect(line.includes('\\u2028')).toBe(true)
  }, 180_000)
})
