import { describe, expect, it } from 'vitest'
import { jsonSchemaForType, pow10, stringifyJson } from '../../src/catalog/json-schema.js'
import type { PgValueType } from '../../src/values/pg-type.js'

const arr = (element: PgValueType, delimiter = ','): PgValueType => ({ kind: 'array', element, delimiter })

// [type, expected text nullable, expected text for a key column] — compared as text so the exact
// digits of bounds and multipleOf are checked, not what JSON.parse makes of them.
const cases: Array<[string, PgValueType, string, string]> = [
  [
    'smallint',
    { kind: 'integer', bits: 16 },
    '{"type":["null","integer"],"minimum":-32768,"maximum":32767}',
    '{"type":["integer"],"minimum":-32768,"maximum":32767}',
  ],
  [
    'integer',
    { kind: 'integer', bits: 32 },
    '{"type":["null","integer"],"minimum":-2147483648,"maximum":2147483647}',
    '{"type":["integer"],"minimum":-2147483648,"maximum":2147483647}',
  ],
  [
    'bigint',
    { kind: 'integer', bits: 64 },
    '{"type":["null","integer"],"minimum":-9223372036854775808,"maximum":9223372036854775807}',
    '{"type":["integer"],"minimum":-9223372036854775808,"maximum":9223372036854775807}',
  ],
  ['numeric', { kind: 'numeric' }, '{"type":["null","number"]}', '{"type":["number"]}'],
  [
    'numeric(12,2)',
    { kind: 'numeric', precision: 12, scale: 2 },
    '{"type":["null","number"],"exclusiveMaximum":true,"maximum":10000000000,"multipleOf":0.01,"exclusiveMinimum":true,"minimum":-10000000000}',
    '{"type":["number"],"exclusiveMaximum":true,"maximum":10000000000,"multipleOf":0.01,"exclusiveMinimum":true,"minimum":-10000000000}',
  ],
  [
    'numeric(5)',
    { kind: 'numeric', precision: 5 },
    '{"type":["null","number"],"exclusiveMaximum":true,"maximum":100000,"multipleOf":1,"exclusiveMinimum":true,"minimum":-100000}',
    '{"type":["number"],"exclusiveMaximum":true,"maximum":100000,"multipleOf":1,"exclusiveMinimum":true,"minimum":-100000}',
  ],
  [
    'numeric(5,5)',
    { kind: 'numeric', precision: 5, scale: 5 },
    '{"type":["null","number"],"exclusiveMaximum":true,"maximum":1,"multipleOf":0.00001,"exclusiveMinimum":true,"minimum":-1}',
    '{"type":["number"],"exclusiveMaximum":true,"maximum":1,"multipleOf":0.00001,"exclusiveMinimum":true,"minimum":-1}',
  ],
  [
    'numeric(38,10)',
    { kind: 'numeric', precision: 38, scale: 10 },
    '{"type":["null","number"],"exclusiveMaximum":true,"maximum":10000000000000000000000000000,"multipleOf":1e-10,"exclusiveMinimum":true,"minimum":-10000000000000000000000000000}',
    '{"type":["number"],"exclusiveMaximum":true,"maximum":10000000000000000000000000000,"multipleOf":1e-10,"exclusiveMinimum":true,"minimum":-10000000000000000000000000000}',
  ],
  [
    'numeric(3,-2) (PG15 negative scale)',
    { kind: 'numeric', precision: 3, scale: -2 },
    '{"type":["null","number"],"exclusiveMaximum":true,"maximum":100000,"multipleOf":100,"exclusiveMinimum":true,"minimum":-100000}',
    '{"type":["number"],"exclusiveMaximum":true,"maximum":100000,"multipleOf":100,"exclusiveMinimum":true,"minimum":-100000}',
  ],
  [
    'numeric(2,5) (PG15 scale > precision)',
    { kind: 'numeric', precision: 2, scale: 5 },
    '{"type":["null","number"],"exclusiveMaximum":true,"maximum":0.001,"multipleOf":0.00001,"exclusiveMinimum":true,"minimum":-0.001}',
    '{"type":["number"],"exclusiveMaximum":true,"maximum":0.001,"multipleOf":0.00001,"exclusiveMinimum":true,"minimum":-0.001}',
  ],
  ['real/double', { kind: 'float' }, '{"type":["null","number"]}', '{"type":["number"]}'],
  ['boolean', { kind: 'boolean' }, '{"type":["null","boolean"]}', '{"type":["boolean"]}'],
  ['bit(1)', { kind: 'bit1' }, '{"type":["null","boolean"]}', '{"type":["boolean"]}'],
  ['text', { kind: 'text' }, '{"type":["null","string"]}', '{"type":["string"]}'],
  [
    'varchar(32)',
    { kind: 'text', maxLength: 32 },
    '{"type":["null","string"],"maxLength":32}',
    '{"type":["string"],"maxLength":32}',
  ],
  ['json', { kind: 'json' }, '{"type":["null","object","array"]}', '{"type":["object","array"]}'],
  [
    'hstore',
    { kind: 'hstore' },
    '{"type":["null","object"],"properties":{},"additionalProperties":{"type":["null","string"]}}',
    '{"type":["object"],"properties":{},"additionalProperties":{"type":["null","string"]}}',
  ],
  ['bytea', { kind: 'bytea' }, '{"type":["null","string"]}', '{"type":["string"]}'],
  [
    'date',
    { kind: 'date' },
    '{"type":["null","string"],"format":"date-time"}',
    '{"type":["string"],"format":"date-time"}',
  ],
  [
    'timestamp',
    { kind: 'timestamp' },
    '{"type":["null","string"],"format":"date-time"}',
    '{"type":["string"],"format":"date-time"}',
  ],
  [
    'timestamptz',
    { kind: 'timestamptz' },
    '{"type":["null","string"],"format":"date-time"}',
    '{"type":["string"],"format":"date-time"}',
  ],
  [
    'time',
    { kind: 'time' },
    '{"type":["null","string"],"format":"time"}',
    '{"type":["string"],"format":"time"}',
  ],
  [
    'timetz',
    { kind: 'timetz' },
    '{"type":["null","string"],"format":"time"}',
    '{"type":["string"],"format":"time"}',
  ],
  [
    'integer[]',
    arr({ kind: 'integer', bits: 32 }),
    '{"type":["null","array"],"items":{"type":["null","integer","array"],"minimum":-2147483648,"maximum":2147483647}}',
    '{"type":["array"],"items":{"type":["null","integer","array"],"minimum":-2147483648,"maximum":2147483647}}',
  ],
  [
    'bigint[]',
    arr({ kind: 'integer', bits: 64 }),
    '{"type":["null","array"],"items":{"type":["null","integer","array"],"minimum":-9223372036854775808,"maximum":9223372036854775807}}',
    '{"type":["array"],"items":{"type":["null","integer","array"],"minimum":-9223372036854775808,"maximum":9223372036854775807}}',
  ],
  [
    'text[]',
    arr({ kind: 'text' }),
    '{"type":["null","array"],"items":{"type":["null","string","array"]}}',
    '{"type":["array"],"items":{"type":["null","string","array"]}}',
  ],
  [
    'jsonb[] (already allows array)',
    arr({ kind: 'json' }),
    '{"type":["null","array"],"items":{"type":["null","object","array"]}}',
    '{"type":["array"],"items":{"type":["null","object","array"]}}',
  ],
  [
    'timestamptz[]',
    arr({ kind: 'timestamptz' }),
    '{"type":["null","array"],"items":{"type":["null","string","array"],"format":"date-time"}}',
    '{"type":["array"],"items":{"type":["null","string","array"],"format":"date-time"}}',
  ],
  [
    'box[]',
    arr({ kind: 'text' }, ';'),
    '{"type":["null","array"],"items":{"type":["null","string","array"]}}',
    '{"type":["array"],"items":{"type":["null","string","array"]}}',
  ],
]

describe('jsonSchemaForType', () => {
  it.each(cases)('%s', (_name, type, nullable, key) => {
    expect(stringifyJson(jsonSchemaForType(type, true))).toBe(nullable)
    expect(stringifyJson(jsonSchemaForType(type, false))).toBe(key)
  })

  it('matches the example catalog entry text', () => {
    expect(stringifyJson(jsonSchemaForType({ kind: 'integer', bits: 64 }, false))).toBe(
      '{"type":["integer"],"minimum":-9223372036854775808,"maximum":9223372036854775807}',
    )
    const schema = jsonSchemaForType({ kind: 'numeric', precision: 12, scale: 2 }, true)
    expect(schema).toEqual(
      JSON.parse(
        '{"type": ["null", "number"], "exclusiveMaximum": true, "maximum": 10000000000, "multipleOf": 0.01, "exclusiveMinimum": true, "minimum": -10000000000}',
      ),
    )
  })

  it('covers numeric bounds up to numeric(1000) exactly', () => {
    const s = stringifyJson(jsonSchemaForType({ kind: 'numeric', precision: 1000, scale: 0 }, true))
    expect(s).toContain(`"maximum":1${'0'.repeat(1000)},`)
    expect(s).toContain(`"minimum":-1${'0'.repeat(1000)}}`)
  })
})

describe('pow10', () => {
  it.each([
    [0, '1'],
    [1, '10'],
    [15, '1000000000000000'],
    [16, '10000000000000000'],
    [21, '1000000000000000000000'],
    [-1, '0.1'],
    [-2, '0.01'],
    [-5, '0.00001'],
    [-6, '0.000001'],
    [-7, '1e-7'],
    [-10, '1e-10'],
    [-38, '1e-38'],
  ])('10^%i', (e, text) => {
    expect(stringifyJson(pow10(e))).toBe(text)
  })
})

describe('stringifyJson', () => {
  const samples: unknown[] = [
    null,
    true,
    false,
    0,
    -1.5,
    1e21,
    'x',
    '',
    [],
    {},
    [1, [2, []], {}],
    { a: 1, b: undefined, c: () => 1, d: [undefined, null] },
    { nested: { deeper: { list: [1, 'two', { three: 3 }] } }, empty: [], none: {} },
    { date: new Date(0) },
    NaN,
    Infinity,
    'quote " backslash \\ newline \n tab \t nul \u0000 emoji 😀',
  ]
  it.each(samples.map((s) => [s]))('matches JSON.stringify for %j', (value) => {
    expect(stringifyJson(value)).toBe(JSON.stringify(value))
    expect(stringifyJson(value, 2)).toBe(JSON.stringify(value, null, 2))
    expect(stringifyJson(value, 4)).toBe(JSON.stringify(value, null, 4))
  })

  it('writes BigInt as raw digits, top level and nested', () => {
    expect(stringifyJson(9223372036854775807n)).toBe('9223372036854775807')
    expect(stringifyJson({ a: [-9223372036854775808n] })).toBe('{"a":[-9223372036854775808]}')
    expect(stringifyJson({ a: 1n }, 2)).toBe('{\n  "a": 1\n}')
  })

  it('escapes U+2028/U+2029 in values and keys', () => {
    expect(stringifyJson({ 'k\u2028': 'v\u2029' })).toBe('{"k\\u2028":"v\\u2029"}')
  })

  it('undefined at the top level gives null text', () => {
    expect(stringifyJson(undefined)).toBe('null')
  })
})
