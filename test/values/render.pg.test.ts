/**
 * The renderer against the real server's text forms: every value is selected as its own type (the
 * client reads text, as the tap's sessions do) with the tap's session settings, and the JSON text
 * is compared with what docs/types.md requires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import type { PgValueType } from '../../src/values/pg-type.js'
import { renderValue } from '../../src/values/index.js'
import { adminConfig, createTestDatabase, dropTestDatabase } from '../harness/pg.js'
import { RENDER_CASES } from './render-cases.js'

const SESSION = `SET TimeZone='UTC'; SET DateStyle='ISO'; SET IntervalStyle='iso_8601'; SET extra_float_digits=3`

const timestamptz: PgValueType = { kind: 'timestamptz' }
const timetz: PgValueType = { kind: 'timetz' }

let database: string
let client: pg.Client

beforeAll(async () => {
  database = await createTestDatabase('values')
  client = new pg.Client(adminConfig(database))
  await client.connect()
  await client.query(SESSION)
})

afterAll(async () => {
  await client?.end()
  if (database) await dropTestDatabase(database)
})

async function selectText(c: pg.Client, expression: string): Promise<string | null> {
  const r = await c.query({ text: `SELECT ${expression} AS v`, rowMode: 'array' })
  return r.rows[0][0] as string | null
}

describe('renderer on the server text forms', () => {
  it.each(RENDER_CASES)('%s', async (expression, type, expected, clamped = false) => {
    const t = await selectText(client, expression)
    let n = 0
    const out = renderValue(type, t, () => n++)
    expect(out).toBe(expected)
    expect(n > 0).toBe(clamped)
    expect(() => JSON.parse(out)).not.toThrow()
    expect(out).not.toMatch(/[\n\r\u2028\u2029]/)
  })

  it('timestamptz written and read in other time zones renders the same instant', async () => {
    await client.query('CREATE TABLE tz (id int, ts timestamptz, tt timetz)')
    const other = new pg.Client(adminConfig(database))
    await other.connect()
    try {
      await other.query(`SET DateStyle='ISO'; SET TimeZone='Asia/Kolkata'`)
      await other.query(
        `INSERT INTO tz VALUES (1, '2020-01-02 03:04:05.5', '12:00:00'), (2, '1850-01-01 00:00:00', '00:00:00')`,
      )
      const utc = await client.query({ text: 'SELECT ts FROM tz ORDER BY id', rowMode: 'array' })
      expect(renderValue(timestamptz, utc.rows[0][0])).toBe('"2020-01-01T21:34:05.500000+00:00"')
      // Asia/Kolkata's 1850 offset is local mean time with seconds (+05:53:28).
      expect(renderValue(timestamptz, utc.rows[1][0])).toBe('"1849-12-31T18:06:32+00:00"')
      for (const zone of [
        'Asia/Kolkata',
        'America/St_Johns',
        'Europe/Amsterdam',
        'Pacific/Kiritimati',
        'Pacific/Pago_Pago',
      ]) {
        await other.query(`SET TimeZone='${zone}'`)
        const local = await other.query({ text: 'SELECT ts FROM tz ORDER BY id', rowMode: 'array' })
        for (let i = 0; i < 2; i++) {
          expect(renderValue(timestamptz, local.rows[i][0]), `${zone}: ${local.rows[i][0]}`).toBe(
            renderValue(timestamptz, utc.rows[i][0]),
          )
        }
      }
      const tt = await client.query({ text: 'SELECT tt FROM tz ORDER BY id', rowMode: 'array' })
      expect(tt.rows.map((r) => renderValue(timetz, r[0]))).toEqual(['"06:30:00"', '"18:30:00"'])
    } finally {
      await other.end()
    }
  })
})
