/**
 * A cursor read (src/pg/fetch-out.ts) on the real server: DECLARE with bound parameters, FETCH page
 * after page, the DataRow messages written as COPY text. The rows are byte for byte those COPY
 * sends for the same query (so one renderer gives the same records), across pages, with rows
 * longer than a socket chunk; an error part way leaves the client usable; `stopped` ends the read
 * after the page at hand.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyOut, type RowRanges } from '../../src/pg/copy-out.js'
import { cursorRows } from '../../src/pg/fetch-out.js'
import { type BoundQuery, cursorStatements } from '../../src/pg/sql.js'
import { adminConfig, createTestDatabase, dropTestDatabase } from '../harness/pg.js'

let database: string
let client: pg.Client

beforeAll(async () => {
  database = await createTestDatabase('fetchout')
  client = new pg.Client(adminConfig(database))
  await client.connect()
  await client.query('CREATE EXTENSION IF NOT EXISTS hstore')
  // Every byte from 1 to 127 in text, in an array element and in an hstore value, multibyte text,
  // NULLs, empty strings, bytea, json with escapes, and timestamps with microseconds.
  await client.query(`CREATE TABLE t AS
    SELECT g AS id,
           CASE WHEN g % 7 = 0 THEN NULL ELSE chr(1 + g % 127) || 'a\\b' || chr(1 + (g * 3) % 127) || 'é€😀' END AS txt,
           ARRAY[chr(1 + g % 127), NULL, 'q"\\,{}', ''] AS arr,
           hstore('k' || chr(1 + g % 127), 'v\\' || chr(1 + (g * 5) % 127)) AS h,
           decode(lpad(to_hex(g), 8, '0'), 'hex') AS b,
           json_build_object('s', chr(1 + g % 127) || E'\\t"') AS j,
           timestamptz '2024-01-01 00:00:00.000001+00' + g * interval '1.000001 second' AS ts,
           '' AS empty
    FROM generate_series(1, 600) g`)
})

afterAll(async () => {
  await client?.end()
  if (database) await dropTestDatabase(database)
})

function texts(chunks: RowRanges[]): string[] {
  const out: string[] = []
  for (const c of chunks)
    for (let r = 0; r < c.count; r++) out.push(c.buf.toString('latin1', c.starts[r], c.ends[r]))
  return out
}

async function viaCopy(q: BoundQuery): Promise<string[]> {
  // The reference: COPY of the same query, with the parameter written as a literal by the server.
  const literal = (await client.query<{ l: string }>('SELECT quote_literal($1::text) AS l', [q.values[0]]))
    .rows[0].l
  const chunks: RowRanges[] = []
  for await (const c of copyOut(client, `COPY (${q.text.replace('$1', literal)}) TO STDOUT`).rows())
    chunks.push({ ...c, buf: Buffer.from(c.buf) })
  return texts(chunks)
}

async function viaCursor(q: BoundQuery, pageRows: number, stopped = () => false): Promise<string[]> {
  const chunks: RowRanges[] = []
  await client.query('BEGIN READ ONLY')
  try {
    for await (const c of cursorRows(client, cursorStatements(q, pageRows), stopped)) chunks.push(c)
  } finally {
    await client.query('COMMIT')
  }
  return texts(chunks)
}

const query: BoundQuery = { text: 'SELECT * FROM t WHERE id >= $1 ORDER BY id', values: ['3'] }

describe('cursorRows', () => {
  it('gives the rows COPY gives, byte for byte, over pages of every size', async () => {
    const want = await viaCopy(query)
    expect(want).toHaveLength(598)
    for (const pageRows of [1, 7, 598, 599, 5000]) expect(await viaCursor(query, pageRows)).toEqual(want)
  })

  it('rows longer than a socket chunk', async () => {
    const long: BoundQuery = {
      text: `SELECT g, repeat(chr(65 + g % 26) || E'\\t\\\\', 100000 + g) FROM generate_series(1, 30) g WHERE g >= $1`,
      values: ['1'],
    }
    expect(await viaCursor(long, 4)).toEqual(await viaCopy(long))
  })

  it('stopped: no page after the one at hand', async () => {
    let pages = 0
    const rows = await viaCursor(query, 10, () => ++pages >= 2)
    expect(rows).toHaveLength(20)
  })

  it('an error part way: rows before it, then the error; the client goes on', async () => {
    const failing: BoundQuery = {
      text: 'SELECT g, 1 / (g - 25) FROM generate_series(1, 40) g WHERE g >= $1',
      values: ['1'],
    }
    const seen: RowRanges[] = []
    await client.query('BEGIN READ ONLY')
    await expect(
      (async () => {
        for await (const c of cursorRows(client, cursorStatements(failing, 10), () => false)) seen.push(c)
      })(),
    ).rejects.toThrow(/division by zero/)
    await client.query('ROLLBACK')
    // Two whole pages, and of the third the rows the server sent before the error.
    expect(texts(seen).length).toBeGreaterThanOrEqual(20)
    expect(texts(seen).length).toBeLessThan(25)
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: '2' }])
  })
})
