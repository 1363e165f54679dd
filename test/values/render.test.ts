import { describe, expect, it } from 'vitest'
import { LosslessNumber, parse as losslessParse } from 'lossless-json'
import type { PgValueType } from '../../src/values/pg-type.js'
import {
  ClampCounter,
  compileRecordRenderer,
  jsonString,
  renderValue,
  type RecordColumn,
} from '../../src/values/index.js'

const T = {
  int16: { kind: 'integer', bits: 16 },
  int32: { kind: 'integer', bits: 32 },
  int64: { kind: 'integer', bits: 64 },
  numeric: { kind: 'numeric', precision: 30, scale: 10 },
  float: { kind: 'float' },
  boolean: { kind: 'boolean' },
  bit1: { kind: 'bit1' },
  text: { kind: 'text' },
  json: { kind: 'json' },
  hstore: { kind: 'hstore' },
  bytea: { kind: 'bytea' },
  date: { kind: 'date' },
  timestamp: { kind: 'timestamp' },
  timestamptz: { kind: 'timestamptz' },
  time: { kind: 'time' },
  timetz: { kind: 'timetz' },
  intArray: { kind: 'array', element: { kind: 'integer', bits: 32 }, delimiter: ',' },
} satisfies Record<string, PgValueType>

describe('renderValue: one rule per kind', () => {
  const cases: Array<[keyof typeof T, string, string]> = [
    ['int16', '-32768', '-32768'],
    ['int32', '2147483647', '2147483647'],
    ['int64', '9223372036854775807', '9223372036854775807'],
    ['numeric', '12345678901234567890.1234567890', '12345678901234567890.1234567890'],
    ['numeric', 'NaN', 'null'],
    ['float', '1.5e-07', '1.5e-07'],
    ['float', '-Infinity', 'null'],
    ['boolean', 't', 'true'],
    ['bit1', '0', 'false'],
    ['text', 'x"y', '"x\\"y"'],
    ['json', '{"a": 1}', '{"a":1}'],
    ['hstore', '"a"=>NULL', '{"a":null}'],
    ['bytea', '\\x00ff', '"00ff"'],
    ['date', '2020-01-02', '"2020-01-02T00:00:00+00:00"'],
    ['timestamp', '2020-01-02 03:04:05.5', '"2020-01-02T03:04:05.500000+00:00"'],
    ['timestamptz', '2020-01-02 03:04:05.123456+00', '"2020-01-02T03:04:05.123456+00:00"'],
    ['time', '24:00:00', '"00:00:00"'],
    ['timetz', '12:00:00-08', '"20:00:00"'],
    ['intArray', '{1,NULL}', '[1,null]'],
  ]
  it.each(cases)('%s %j → %s', (kind, text, json) => {
    expect(renderValue(T[kind], text)).toBe(json)
  })
  it.each(Object.keys(T) as Array<keyof typeof T>)('NULL %s → null', (kind) => {
    expect(renderValue(T[kind], null)).toBe('null')
  })
})

describe('compileRecordRenderer', () => {
  const columns: RecordColumn[] = [
    { name: 'id', type: T.int64 },
    { name: 'amount', type: T.numeric },
    { name: 'ratio', type: T.float },
    { name: 'ok', type: T.boolean },
    { name: 'name', type: T.text },
    { name: 'doc', type: T.json },
    { name: 'tags', type: T.hstore },
    { name: 'raw', type: T.bytea },
    { name: 'day', type: T.date },
    { name: 'at', type: T.timestamptz },
    { name: 'ids', type: T.intArray },
  ]

  it('writes the object in column order with every value rendered', () => {
    const render = compileRecordRenderer(columns)
    const out = render([
      '1',
      '1.5000000000',
      '0.1',
      'f',
      'Ann',
      '{"k": [1]}',
      '"a"=>"b"',
      '\\x0a',
      '2020-01-02',
      '2020-01-02 03:04:05+00',
      '{1,2}',
    ])
    expect(out).toBe(
      '{"id":1,"amount":1.5000000000,"ratio":0.1,"ok":false,"name":"Ann","doc":{"k":[1]},"tags":{"a":"b"},"raw":"0a",' +
        '"day":"2020-01-02T00:00:00+00:00","at":"2020-01-02T03:04:05+00:00","ids":[1,2]}',
    )
  })

  it('writes null for NULL (and for values missing at the end of a short row)', () => {
    const render = compileRecordRenderer(columns.slice(0, 3))
    expect(render([null, null, null])).toBe('{"id":null,"amount":null,"ratio":null}')
    expect(render(['5'])).toBe('{"id":5,"amount":null,"ratio":null}')
  })

  it('no columns gives {}', () => {
    expect(compileRecordRenderer([])([])).toBe('{}')
  })

  it('escapes column names once, including quotes, backslashes, U+2028 and emoji', () => {
    const names = ['we"ird', 'back\\slash', 'line\nbreak', 'ls\u2028', 'émoji 😀', '']
    const render = compileRecordRenderer(names.map((name) => ({ name, type: T.int32 })))
    const out = render(names.map((_, i) => String(i)))
    expect(out).toBe(`{${names.map((n, i) => `${jsonString(n)}:${i}`).join(',')}}`)
    expect(out).not.toMatch(/[\n\u2028]/)
    expect(Object.keys(JSON.parse(out))).toEqual(names)
  })

  it('every record parses, and big numbers keep their exact text', () => {
    const render = compileRecordRenderer([
      { name: 'big', type: T.int64 },
      { name: 'num', type: { kind: 'numeric' } },
      { name: 'f', type: T.float },
      { name: 'arr', type: { kind: 'array', element: { kind: 'numeric' }, delimiter: ',' } },
      { name: 'doc', type: T.json },
    ])
    const rows: string[][] = [
      [
        '9223372036854775807',
        '12345678901234567890.1234567890',
        '1.7976931348623157e+308',
        '{0.1000000000000000000001,-99999999999999999999999}',
        '{"n": 123456789012345678901234567890.5}',
      ],
      ['-9223372036854775808', '-0.000000000000000000000000000001', '-0', '{}', '[1e400, -1E-400]'],
      [
        '9007199254740993',
        '100000000000000000000000000000000000000000000',
        '5e-324',
        '{1}',
        '9007199254740993',
      ],
    ]
    for (const row of rows) {
      const out = render(row)
      expect(() => JSON.parse(out)).not.toThrow()
      const parsed = losslessParse(out) as Record<string, unknown>
      const raw = (v: unknown) => (v as LosslessNumber).value
      expect(parsed.big).toBeInstanceOf(LosslessNumber)
      expect(raw(parsed.big)).toBe(row[0])
      expect(raw(parsed.num)).toBe(row[1])
      expect(raw(parsed.f)).toBe(row[2])
      expect((parsed.arr as unknown[]).map(raw)).toEqual(row[3].slice(1, -1).split(',').filter(Boolean))
      // The JSON document's numbers are copied, never re-printed.
      expect(out).toContain(`"doc":${row[4].replace(/ /g, '')}`)
    }
  })

  it('counts clamped values per column', () => {
    const clamps = new ClampCounter()
    const render = compileRecordRenderer(
      [
        { name: 'd', type: T.date },
        { name: 'ts', type: T.timestamp },
        { name: 'tsa', type: { kind: 'array', element: T.timestamptz, delimiter: ',' } },
        { name: 'n', type: T.int32 },
      ],
      clamps,
    )
    render(['infinity', '2020-01-01 00:00:00', '{infinity,-infinity,"2020-01-01 00:00:00+00"}', '1'])
    render(['0044-03-15 BC', '10000-01-01 00:00:00', null, '2'])
    render(['2020-01-01', '2020-01-01 00:00:00', '{}', '3'])
    expect(clamps.entries()).toEqual([
      ['d', 2],
      ['tsa', 2],
      ['ts', 1],
    ])
  })

  it('renderValue passes onClamp through', () => {
    let n = 0
    expect(renderValue(T.timestamptz, 'infinity', () => n++)).toBe('"9999-12-31T23:59:59.999000+00:00"')
    expect(n).toBe(1)
  })
})
