/**
 * COPY TO STDOUT read in place from the socket (src/pg/copy-out.ts): every row exactly once and
 * whole, rows longer than a socket chunk, notices in between, an error part way (the client stays
 * usable), and a slow consumer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { copyOut } from '../../src/pg/copy-out.js'
import { adminConfig, createTestDatabase, dropTestDatabase } from '../harness/pg.js'

let database: string
let client: pg.Client

beforeAll(async () => {
  database = await createTestDatabase('copyout')
  client = new pg.Client(adminConfig(database))
  await client.connect()
  await client.query(`CREATE FUNCTION noisy(g int) RETURNS int LANGUAGE plpgsql AS $$
    BEGIN IF g % 100 = 0 THEN RAISE NOTICE 'row %', g; END IF; RETURN g; END $$`)
})

afterAll(async () => {
  await client?.end()
  if (database) await dropTestDatabase(database)
})

async function rowsOf(sql: string, slow = false): Promise<string[]> {
  const out: string[] = []
  for await (const chunk of copyOut(client, sql).rows()) {
    for (let r = 0; r < chunk.count; r++) out.push(chunk.buf.toString('utf8', chunk.starts[r], chunk.ends[r]))
    if (slow) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return out
}

describe('copyOut', () => {
  it('yields every row once, without its newline, with notices in between', async () => {
    const rows = await rowsOf(
      `COPY (SELECT g, noisy(g), repeat('x', g % 300) FROM generate_series(1, 20000) g) TO STDOUT`,
    )
    expect(rows).toHaveLength(20000)
    rows.forEach((r, i) => expect(r).toBe(`${i + 1}\t${i + 1}\t${'x'.repeat((i + 1) % 300)}`))
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: '1' }])
  })

  it('rows longer than a socket chunk, and a slow consumer', async () => {
    const rows = await rowsOf(
      `COPY (SELECT g, repeat(chr(65 + g % 26), 200000 + g) FROM generate_series(1, 40) g) TO STDOUT`,
      true,
    )
    expect(rows.map((r) => r.length)).toEqual(
      Array.from({ length: 40 }, (_, i) => `${i + 1}\t`.length + 200001 + i),
    )
    expect(rows[7]).toBe(`8\t${'I'.repeat(200008)}`)
  })

  it('an error part way: rows before it, then the error; the client goes on', async () => {
    const seen: string[] = []
    await expect(
      (async () => {
        for await (const chunk of copyOut(
          client,
          `COPY (SELECT g, 1 / (g - 30000) FROM generate_series(1, 40000) g) TO STDOUT`,
        ).rows()) {
          for (let r = 0; r < chunk.count; r++)
            seen.push(chunk.buf.toString('utf8', chunk.starts[r], chunk.ends[r]))
        }
      })(),
    ).rejects.toThrow(/division by zero/)
    expect(seen.length).toBeLessThan(30000)
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: '2' }])
  })

  it('a bad statement fails at once and the client goes on', async () => {
    await expect(rowsOf('COPY (SELECT * FROM no_such_table) TO STDOUT')).rejects.toThrow(/no_such_table/)
    expect(await rowsOf(`COPY (SELECT 'a\tb') TO STDOUT`)).toEqual(['a\\tb'])
  })
})
