/**
 * The COPY byte renderer on the real server's COPY output against the string renderer on the same
 * rows read as text by a query: byte for byte the same JSON, for every type and for random text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import type { PgValueType } from '../../src/values/pg-type.js'
import { copyOut } from '../../src/pg/copy-out.js'
import { ByteSink, CopyRecordRenderer } from '../../src/values/index.js'
import { compileRecordRenderer } from '../../src/values/index.js'
import { adminConfig, createTestDatabase, dropTestDatabase } from '../harness/pg.js'

const SESSION = `SET TimeZone='UTC'; SET DateStyle='ISO'; SET IntervalStyle='iso_8601'; SET extra_float_digits=3`
const arr = (element: PgValueType, delimiter = ','): PgValueType => ({ kind: 'array', element, delimiter })
const int: PgValueType = { kind: 'integer', bits: 32 }
const text: PgValueType = { kind: 'text' }

/** column type, its PgValueType, values as SQL. */
const COLUMNS: Array<[string, PgValueType, string[]]> = [
  ['bigint', { kind: 'integer', bits: 64 }, ['9223372036854775807', '-9223372036854775808']],
  ['numeric', { kind: 'numeric' }, ['12345678901234567890.1234567890', `'NaN'`, `'-Infinity'`, '-0.000001']],
  ['float8', { kind: 'float' }, ['1e100', `'-Infinity'`, '-0', '0.1']],
  ['float4', { kind: 'float' }, ['3.4028235e38', `'NaN'`]],
  ['boolean', { kind: 'boolean' }, ['true', 'false']],
  [
    'text',
    text,
    [
      `E'q"uote \\\\ back\\ttab\\nnl\\r\\b\\f\\v\\x01\\x1f\\x7f' || U&'\\2028\\2029' || '😀 é'`,
      `''`,
      `'\\N'`,
      `E'\\\\'`,
    ],
  ],
  ['uuid', text, [`'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'`]],
  ['interval', text, [`'1 year 2 months 3 days 04:05:06.5'`]],
  [
    'json',
    { kind: 'json' },
    [`E'{"a": 1,\\n "b": [1.50, 2],\\n\\t"c": "x\\\\ny\\\\"z\\\\\\\\"}'`, `'3'`, `U&'["\\2028"]'`],
  ],
  [
    'jsonb',
    { kind: 'json' },
    [`'{"n": 12345678901234567890.000000000000000001, "s": "t\\tx\\\\y"}'`, `'null'`],
  ],
  ['hstore', { kind: 'hstore' }, [`'a=>1, b=>NULL, "c d"=>"NULL", "q\\"x"=>"\\\\"'`]],
  ['bytea', { kind: 'bytea' }, [`'\\x0a0bff'`, `''`]],
  ['date', { kind: 'date' }, [`'2020-01-02'`, `'infinity'`, `'0044-03-15 BC'`, `'10000-01-01'`]],
  [
    'timestamp',
    { kind: 'timestamp' },
    [`'2020-01-02 03:04:05.5'`, `'2020-01-02 03:04:05'`, `'-infinity'`, `'0044-03-15 12:00:00.25 BC'`],
  ],
  [
    'timestamptz',
    { kind: 'timestamptz' },
    [
      `'2020-01-02 03:04:05.123456+05:30'`,
      `'2020-01-02 03:04:05+00'`,
      `'10000-01-01 00:00:00+00'`,
      `'0044-03-15 12:00:00+00 BC'`,
    ],
  ],
  ['time', { kind: 'time' }, [`'24:00:00'`, `'12:34:56.5'`]],
  ['timetz', { kind: 'timetz' }, [`'12:00:00.5+05:30'`]],
  ['int[]', arr(int), [`'{{1,2},{3,4}}'`, `'[0:1]={7,8}'`, `'{}'`, `ARRAY[1, NULL]`]],
  [
    'text[]',
    arr(text),
    [
      `ARRAY['a,b', 'q"x', E'back\\\\slash', 'NULL', NULL, '', '{}', ' sp ', E'nl\\n', E't\\tb', U&'\\2028']`,
      `ARRAY[ARRAY['x y', NULL], ARRAY['}', '"']]`,
    ],
  ],
  ['numeric[]', arr({ kind: 'numeric' }), [`ARRAY[1.50, 'NaN', 12345678901234567890.5]`]],
  ['jsonb[]', arr({ kind: 'json' }), [`ARRAY['{"a": "\\\\"}'::jsonb, NULL]`]],
  ['box[]', arr(text, ';'), [`ARRAY[box '((0,0),(1,1))']`]],
  [
    'timestamptz[]',
    arr({ kind: 'timestamptz' }),
    [`ARRAY['2020-01-02 03:04:05.5+00'::timestamptz, 'infinity']`],
  ],
]

let database: string
let client: pg.Client

beforeAll(async () => {
  database = await createTestDatabase('copyrender')
  client = new pg.Client({ ...adminConfig(database), types: { getTypeParser: () => (v: string) => v } })
  await client.connect()
  await client.query(`CREATE EXTENSION IF NOT EXISTS hstore`)
  await client.query(SESSION)
})

afterAll(async () => {
  await client?.end()
  if (database) await dropTestDatabase(database)
})

/** Each row rendered from the COPY output, and the same rows rendered from the query's text. */
async function bothWays(
  sql: string,
  columns: Array<{ name: string; type: PgValueType }>,
): Promise<[string[], string[]]> {
  const expected = (await client.query({ text: sql, rowMode: 'array' })).rows.map((r) =>
    compileRecordRenderer(columns)(r as string[]),
  )
  const renderer = new CopyRecordRenderer(columns)
  const got: string[] = []
  for await (const chunk of copyOut(client, `COPY (${sql}) TO STDOUT`).rows()) {
    for (let r = 0; r < chunk.count; r++) {
      const sink = new ByteSink(64)
      renderer.renderRow(chunk.buf, chunk.starts[r], chunk.ends[r], sink)
      got.push(sink.buf.toString('utf8', 0, sink.pos))
    }
  }
  return [got, expected]
}

describe('COPY rows rendered byte to byte', () => {
  it('every type, from the server, matches the string renderer', async () => {
    const columns = COLUMNS.map(([sqlType, type], i) => ({ name: `c${i}`, type, sqlType }))
    await client.query(`CREATE TABLE t (id int, ${columns.map((c) => `${c.name} ${c.sqlType}`).join(', ')})`)
    const rows = Math.max(...COLUMNS.map(([, , v]) => v.length))
    for (let r = 0; r <= rows; r++) {
      // Row `rows` is all NULL.
      const values = COLUMNS.map(([sqlType, , v]) => (r < rows ? `(${v[r % v.length]})::${sqlType}` : 'NULL'))
      await client.query(`INSERT INTO t VALUES (${r}, ${values.join(', ')})`)
    }
    const [got, expected] = await bothWays(
      `SELECT ${columns.map((c) => c.name).join(', ')} FROM t ORDER BY id`,
      columns,
    )
    expect(got).toEqual(expected)
    expect(got).toHaveLength(rows + 1)
  })

  it('random text with every control character and some non-ASCII, as text, in a text[] and in jsonb', async () => {
    await client.query(`CREATE TABLE r (id int, t text, a text[], j jsonb)`)
    const chars = [
      ...Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)),
      ' ',
      '"',
      '\\',
      ',',
      '{',
      '}',
      'x',
      'é',
      '😀',
      '\u2028',
      '\u2029',
      '\x7f',
    ]
    let seed = 11
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const str = (): string => Array.from({ length: rnd(16) }, () => chars[rnd(chars.length)]).join('')
    for (let k = 0; k < 500; k++) {
      const s = [str(), str(), str()]
      await client.query('INSERT INTO r VALUES ($1, $2, $3, $4)', [
        k,
        s[0],
        `{${s.map((x) => `"${x.replace(/[\\"]/g, (c) => '\\' + c)}"`).join(',')}}`,
        JSON.stringify({ [s[1]]: s[2] }),
      ])
    }
    const columns = [
      { name: 't', type: text },
      { name: 'a', type: arr(text) },
      { name: 'j', type: { kind: 'json' } as PgValueType },
    ]
    const [got, expected] = await bothWays('SELECT t, a, j FROM r ORDER BY id', columns)
    expect(got).toEqual(expected)
  })
})
