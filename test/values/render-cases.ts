/**
 * Values of every type of docs/types.md as SQL expressions, with their type and the JSON text docs/types.md
 * gives them: the cases of render.pg.test.ts, and a row of the LOG_BASED comparison
 * (test/replication/types-log-based.pg.test.ts).
 */
import type { PgValueType } from '../../src/values/pg-type.js'

const int16: PgValueType = { kind: 'integer', bits: 16 }
const int32: PgValueType = { kind: 'integer', bits: 32 }
const int64: PgValueType = { kind: 'integer', bits: 64 }
const numeric: PgValueType = { kind: 'numeric' }
const float: PgValueType = { kind: 'float' }
const text: PgValueType = { kind: 'text' }
const json: PgValueType = { kind: 'json' }
const hstore: PgValueType = { kind: 'hstore' }
const bytea: PgValueType = { kind: 'bytea' }
const date: PgValueType = { kind: 'date' }
const timestamp: PgValueType = { kind: 'timestamp' }
const timestamptz: PgValueType = { kind: 'timestamptz' }
const time: PgValueType = { kind: 'time' }
const timetz: PgValueType = { kind: 'timetz' }
const arr = (element: PgValueType, delimiter = ','): PgValueType => ({ kind: 'array', element, delimiter })

const MAX_TS = '"9999-12-31T23:59:59.999000+00:00"'
const MIN_TS = '"0001-01-01T00:00:00+00:00"'

/** [SQL expression, type, expected JSON text, clamped?] */
export const RENDER_CASES: Array<[string, PgValueType, string, boolean?]> = [
  // integers
  ['32767::smallint', int16, '32767'],
  ['(-32768)::smallint', int16, '-32768'],
  ['(-2147483648)::int', int32, '-2147483648'],
  ['9223372036854775807::bigint', int64, '9223372036854775807'],
  ['(-9223372036854775808)::bigint', int64, '-9223372036854775808'],
  // numeric
  ['12345678901234567890.1234567890::numeric', numeric, '12345678901234567890.1234567890'],
  ['1.5::numeric(10,2)', { kind: 'numeric', precision: 10, scale: 2 }, '1.50'],
  ['(-0.5)::numeric', numeric, '-0.5'],
  ['1e-20::numeric', numeric, '0.00000000000000000001'],
  ['1e30::numeric', numeric, '1000000000000000000000000000000'],
  ["'NaN'::numeric", numeric, 'null'],
  ["'Infinity'::numeric", numeric, 'null'],
  ["'-Infinity'::numeric", numeric, 'null'],
  // floats: shortest exact text
  ['0.1::float8', float, '0.1'],
  ['0.1::float4', float, '0.1'],
  ['100::float8', float, '100'],
  ['1e100::float8', float, '1e+100'],
  ['1.5e-7::float8', float, '1.5e-07'],
  ['123456789012345678::float8', float, '1.2345678901234568e+17'],
  ["'-0'::float8", float, '-0'],
  ['1.7976931348623157e308::float8', float, '1.7976931348623157e+308'],
  ["'4.9406564584124654e-324'::float8", float, '5e-324'],
  ['3.4028235e38::float4', float, '3.4028235e+38'],
  ["'NaN'::float8", float, 'null'],
  ["'Infinity'::float8", float, 'null'],
  ["'-Infinity'::float4", float, 'null'],
  // boolean, bits
  ['true', { kind: 'boolean' }, 'true'],
  ['false', { kind: 'boolean' }, 'false'],
  ["B'1'::bit(1)", { kind: 'bit1' }, 'true'],
  ["B'0'::bit", { kind: 'bit1' }, 'false'],
  ["B'101'::bit(3)", text, '"101"'],
  ["B'1101'::varbit", text, '"1101"'],
  // text and text-form types
  [`E'tab\\there "q" \\\\ back\\nnewline\\r'`, text, '"tab\\there \\"q\\" \\\\ back\\nnewline\\r"'],
  [`E'\\x01\\x1f\\x7f'`, text, '"\\u0001\\u001f\x7f"'],
  [`U&'a\\2028b\\2029c'`, text, '"a\\u2028b\\u2029c"'],
  [`'😀 émoji'`, text, '"😀 émoji"'],
  [`'ab'::char(5)`, text, '"ab   "'],
  [`'Ab'::citext`, text, '"Ab"'],
  [`12.34::money`, text, '"$12.34"'],
  [`'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid`, text, '"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"'],
  [`'192.168.0.1/24'::inet`, text, '"192.168.0.1/24"'],
  [`'1 year 2 months 3 days 04:05:06.5'::interval`, text, '"P1Y2M3DT4H5M6.5S"'],
  [`'-1 day'::interval`, text, '"P-1D"'],
  [`'[1,5)'::int4range`, text, '"[1,5)"'],
  [`box '((0,0),(1,1))'`, text, '"(1,1),(0,0)"'],
  // json / jsonb
  [`E'{"a": 1,\\n "b": [1.50, 2],\\n\\t"c": "x\\\\ny"}'::json`, json, '{"a":1,"b":[1.50,2],"c":"x\\ny"}'],
  [
    `'{"b": [1.50, 2], "a": 12345678901234567890.000000000000000001}'::jsonb`,
    json,
    '{"a":12345678901234567890.000000000000000001,"b":[1.50,2]}',
  ],
  [`U&'["\\2028"]'::jsonb`, json, '["\\u2028"]'],
  [`'"scalar"'::jsonb`, json, '"scalar"'],
  [`'3'::json`, json, '3'],
  [`'null'::jsonb`, json, 'null'],
  [`'[]'::jsonb`, json, '[]'],
  // hstore (stored sorted by key length, then bytes)
  [
    `'a=>1, b=>NULL, "c d"=>"NULL", "q\\"x"=>"\\\\"'::hstore`,
    hstore,
    '{"a":"1","b":null,"c d":"NULL","q\\"x":"\\\\"}',
  ],
  [`''::hstore`, hstore, '{}'],
  [`'"k"=>"a=>b, c"'::hstore`, hstore, '{"k":"a=>b, c"}'],
  // bytea
  [`'\\x0a0bff'::bytea`, bytea, '"0a0bff"'],
  [`''::bytea`, bytea, '""'],
  // dates and times
  [`'2020-01-02'::date`, date, '"2020-01-02T00:00:00+00:00"'],
  [`'infinity'::date`, date, '"9999-12-31T00:00:00+00:00"', true],
  [`'-infinity'::date`, date, MIN_TS, true],
  [`'0044-03-15 BC'::date`, date, MIN_TS, true],
  [`'10000-01-01'::date`, date, '"9999-12-31T00:00:00+00:00"', true],
  [`'2020-01-02 03:04:05.5'::timestamp`, timestamp, '"2020-01-02T03:04:05.500000+00:00"'],
  [`'2020-01-02 03:04:05'::timestamp`, timestamp, '"2020-01-02T03:04:05+00:00"'],
  [`'2020-01-02 03:04:05.123456'::timestamp`, timestamp, '"2020-01-02T03:04:05.123456+00:00"'],
  [`'infinity'::timestamp`, timestamp, MAX_TS, true],
  [`'0044-03-15 12:00:00.25 BC'::timestamp`, timestamp, MIN_TS, true],
  [`'10000-01-01 00:00:00'::timestamp`, timestamp, MAX_TS, true],
  [`'2020-01-02 03:04:05.123456+05:30'::timestamptz`, timestamptz, '"2020-01-01T21:34:05.123456+00:00"'],
  [`'2020-01-02 03:04:05'::timestamptz`, timestamptz, '"2020-01-02T03:04:05+00:00"'],
  [`'0044-03-15 12:00:00+00 BC'::timestamptz`, timestamptz, MIN_TS, true],
  [`'-infinity'::timestamptz`, timestamptz, MIN_TS, true],
  [`'10000-01-01 00:00:00+00'::timestamptz`, timestamptz, MAX_TS, true],
  [`'24:00:00'::time`, time, '"00:00:00"'],
  [`'12:34:56.5'::time`, time, '"12:34:56.500000"'],
  [`'12:00:00.5+05:30'::timetz`, timetz, '"06:30:00.500000"'],
  [`'12:00:00-08'::timetz`, timetz, '"20:00:00"'],
  [`'02:00:00+05:30:15'::timetz`, timetz, '"20:29:45"'],
  // arrays
  [`ARRAY[1, NULL, 3]`, arr(int32), '[1,null,3]'],
  [`'{{1,2},{3,4}}'::int[]`, arr(int32), '[[1,2],[3,4]]'],
  [`'[0:1]={7,8}'::int[]`, arr(int32), '[7,8]'],
  [`'{}'::int[]`, arr(int32), '[]'],
  [`NULL::int[]`, arr(int32), 'null'],
  [
    `ARRAY['a,b', 'q"x', E'back\\\\slash', 'NULL', NULL, '', '{}', ' sp ', E'nl\\n']`,
    arr(text),
    '["a,b","q\\"x","back\\\\slash","NULL",null,"","{}"," sp ","nl\\n"]',
  ],
  [`ARRAY[ARRAY['x y', NULL], ARRAY['}', '"']]`, arr(text), '[["x y",null],["}","\\""]]'],
  [`ARRAY['{"a": 1}'::jsonb, '[1, 2.50]', NULL, '"s"']`, arr(json), '[{"a":1},[1,2.50],null,"s"]'],
  [`ARRAY['a=>1, b=>NULL'::hstore, '']`, arr(hstore), '[{"a":"1","b":null},{}]'],
  [`ARRAY['\\x0a'::bytea, NULL]`, arr(bytea), '["0a",null]'],
  [
    `ARRAY['2020-01-02'::date, 'infinity']`,
    arr(date),
    '["2020-01-02T00:00:00+00:00","9999-12-31T00:00:00+00:00"]',
    true,
  ],
  [
    `ARRAY['2020-01-02 03:04:05.5+00'::timestamptz]`,
    arr(timestamptz),
    '["2020-01-02T03:04:05.500000+00:00"]',
  ],
  [`ARRAY['12:00:00+05:30'::timetz, '23:00:00-02']`, arr(timetz), '["06:30:00","01:00:00"]'],
  [
    `ARRAY[1.50, 'NaN', 12345678901234567890.5]::numeric[]`,
    arr(numeric),
    '[1.50,null,12345678901234567890.5]',
  ],
  [`ARRAY['P1D'::interval, '1 hour']`, arr(text), '["P1D","PT1H"]'],
  [`ARRAY[box '((0,0),(1,1))', box '((2,2),(3,3))']`, arr(text, ';'), '["(1,1),(0,0)","(3,3),(2,2)"]'],
  [`ARRAY[B'1'::bit(1), B'0']`, arr({ kind: 'bit1' }), '[true,false]'],
  [`ARRAY[U&'\\2028', '😀']`, arr(text), '["\\u2028","😀"]'],
]
