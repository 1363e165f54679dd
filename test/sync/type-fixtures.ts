/**
 * A table with every type of docs/types.md, and its rows: the fixture of the FULL_TABLE round trip
 * (types-roundtrip.pg.test.ts) and of the LOG_BASED comparison (test/replication/types-log-based.pg.test.ts).
 */
import type pg from 'pg'

/** column, SQL type, then the value of rows 1 and 2 as SQL and as the expected JSON text. Row 3 is all NULL. */
export const COLUMNS: Array<[string, string, [string, string], [string, string]]> = [
  ['i2', 'smallint', ['32767', '32767'], ['-32768', '-32768']],
  ['i4', 'integer', ['2147483647', '2147483647'], ['-2147483648', '-2147483648']],
  [
    'i8',
    'bigint',
    ['9223372036854775807', '9223372036854775807'],
    ['-9223372036854775808', '-9223372036854775808'],
  ],
  [
    'n',
    'numeric(38,10)',
    ['1234567890123456789012345678.1234567891', '1234567890123456789012345678.1234567891'],
    ['-0.0000000001', '-0.0000000001'],
  ],
  [
    'nu',
    'numeric',
    ['12345678901234567890.1234567890', '12345678901234567890.1234567890'],
    [`'NaN'`, 'null'],
  ],
  ['f4', 'real', ['0.1', '0.1'], [`'-Infinity'`, 'null']],
  ['f8', 'double precision', ['1.7976931348623157e308', '1.7976931348623157e+308'], ['1.5e-7', '1.5e-07']],
  ['m', 'money', ['12.34', '"$12.34"'], ['-1', '"-$1.00"']],
  ['b', 'boolean', ['true', 'true'], ['false', 'false']],
  ['b1', 'bit(1)', [`B'1'`, 'true'], [`B'0'`, 'false']],
  ['b3', 'bit(3)', [`B'101'`, '"101"'], [`B'000'`, '"000"']],
  ['vb', 'bit varying', [`B'1101'`, '"1101"'], [`B''`, '""']],
  [
    't',
    'text',
    [
      `E'q"uote \\\\ back\\ttab\\nnl\\r\\x01\\x1f' || U&'\\2028\\2029' || '😀 é'`,
      '"q\\"uote \\\\ back\\ttab\\nnl\\r\\u0001\\u001f\\u2028\\u2029😀 é"',
    ],
    [`''`, '""'],
  ],
  ['vc', 'character varying(10)', [`'NULL'`, '"NULL"'], [`'{}'`, '"{}"']],
  ['c', 'character(5)', [`'ab'`, '"ab   "'], [`'abcde'`, '"abcde"']],
  ['ci', 'citext', [`'MiXed'`, '"MiXed"'], [`'x'`, '"x"']],
  [
    'u',
    'uuid',
    [`'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'`, '"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"'],
    [`'00000000-0000-0000-0000-000000000000'`, '"00000000-0000-0000-0000-000000000000"'],
  ],
  ['ip', 'inet', [`'192.168.0.1/24'`, '"192.168.0.1/24"'], [`'::1'`, '"::1"']],
  ['iv', 'interval', [`'1 year 2 months 3 days 04:05:06.5'`, '"P1Y2M3DT4H5M6.5S"'], [`'-1 day'`, '"P-1D"']],
  ['r', 'int4range', [`'[1,5)'`, '"[1,5)"'], [`'empty'`, '"empty"']],
  ['bx', 'box', [`'((0,0),(1,1))'`, '"(1,1),(0,0)"'], [`'((2,2),(3,3))'`, '"(3,3),(2,2)"']],
  ['en', 'mood', [`'happy'`, '"happy"'], [`'sad'`, '"sad"']],
  ['dm', 'posint', ['42', '42'], ['1', '1']],
  [
    'j',
    'json',
    [`E'{"a": 1,\\n "b": [1.50, 2],\\n\\t"c": "x\\\\ny"}'`, '{"a":1,"b":[1.50,2],"c":"x\\ny"}'],
    [`'[]'`, '[]'],
  ],
  [
    'jb',
    'jsonb',
    [`'{"n": 12345678901234567890.000000000000000001}'`, '{"n":12345678901234567890.000000000000000001}'],
    [`'{"s": "\\u2028"}'`, '{"s":"\\u2028"}'],
  ],
  [
    'h',
    'hstore',
    [`'a=>1, b=>NULL, "c d"=>"NULL", "q\\"x"=>"\\\\"'`, '{"a":"1","b":null,"c d":"NULL","q\\"x":"\\\\"}'],
    [`''`, '{}'],
  ],
  ['by', 'bytea', [`'\\x0a0bff'`, '"0a0bff"'], [`''`, '""']],
  [
    'd',
    'date',
    [`'2020-01-02'`, '"2020-01-02T00:00:00+00:00"'],
    [`'0044-03-15 BC'`, '"0001-01-01T00:00:00+00:00"'],
  ],
  [
    'ts',
    'timestamp',
    [`'2020-01-02 03:04:05.123456'`, '"2020-01-02T03:04:05.123456+00:00"'],
    [`'infinity'`, '"9999-12-31T23:59:59.999000+00:00"'],
  ],
  // Written in an Asia/Kolkata session (insertAllTypesRows): the instant is what counts.
  [
    'tz',
    'timestamp with time zone',
    [`'2020-01-02 03:04:05.000001'`, '"2020-01-01T21:34:05.000001+00:00"'],
    [`'-infinity'`, '"0001-01-01T00:00:00+00:00"'],
  ],
  ['tm', 'time', [`'24:00:00'`, '"00:00:00"'], [`'12:34:56.5'`, '"12:34:56.500000"']],
  [
    'ttz',
    'time with time zone',
    [`'12:00:00.5+05:30'`, '"06:30:00.500000"'],
    [`'12:00:00-08'`, '"20:00:00"'],
  ],
  ['ai', 'integer[]', [`ARRAY[1, NULL, 3]`, '[1,null,3]'], [`'{}'`, '[]']],
  ['a2', 'integer[]', [`'{{1,2},{3,4}}'`, '[[1,2],[3,4]]'], [`'{{NULL}}'`, '[[null]]']],
  [
    'at',
    'text[]',
    [
      `ARRAY['a,b', 'q"x', E'back\\\\slash', 'NULL', NULL, '', '{}', '}{', ' sp ', E'nl\\n']`,
      '["a,b","q\\"x","back\\\\slash","NULL",null,"","{}","}{"," sp ","nl\\n"]',
    ],
    [`'{}'`, '[]'],
  ],
  [
    'an',
    'numeric[]',
    [`ARRAY[1.50, 'NaN', 12345678901234567890.5]`, '[1.50,null,12345678901234567890.5]'],
    [`ARRAY[NULL]::numeric[]`, '[null]'],
  ],
  [
    'atz',
    'timestamp with time zone[]',
    [
      `ARRAY['2020-01-02 03:04:05.5+00'::timestamptz, 'infinity']`,
      '["2020-01-02T03:04:05.500000+00:00","9999-12-31T23:59:59.999000+00:00"]',
    ],
    [`'{}'`, '[]'],
  ],
  ['ah', 'hstore[]', [`ARRAY['a=>1, b=>NULL'::hstore, '']`, '[{"a":"1","b":null},{}]'], [`'{}'`, '[]']],
  [
    'ab',
    'box[]',
    [`ARRAY[box '((0,0),(1,1))', box '((2,2),(3,3))']`, '["(1,1),(0,0)","(3,3),(2,2)"]'],
    [`'{}'`, '[]'],
  ],
]

/** Creates `table` with an `id` key and every column of COLUMNS (and the enum and domain they use, once per database). */
export async function createAllTypesTable(c: pg.Client, table = 'all_types'): Promise<void> {
  await c.query(
    `DO $$ BEGIN CREATE TYPE mood AS ENUM ('happy', 'sad'); EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  )
  await c.query(
    `DO $$ BEGIN CREATE DOMAIN posint AS integer CHECK (VALUE > 0); EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  )
  await c.query(
    `CREATE TABLE ${table} (id integer PRIMARY KEY, ${COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`,
  )
}

/** Rows 1 and 2 (each column's two values) and row 3 (all NULL), written in an Asia/Kolkata session. */
export async function insertAllTypesRows(c: pg.Client, table = 'all_types'): Promise<void> {
  await c.query(`SET TimeZone = 'Asia/Kolkata'`)
  for (const [id, pick] of [
    [1, 2],
    [2, 3],
  ] as const) {
    const values = COLUMNS.map((col) => (col[pick] as [string, string])[0])
    await c.query(
      `INSERT INTO ${table} (id, ${COLUMNS.map(([n]) => n).join(', ')}) VALUES (${id}, ${values.join(', ')})`,
    )
  }
  await c.query(`INSERT INTO ${table} (id) VALUES (3)`)
  await c.query('RESET TimeZone')
}
