/**
 * The byte renderer of COPY text rows against the string renderer (the reference): for every value,
 * the COPY form (escaped as the server escapes it) must render to exactly the same JSON text.
 */
import { describe, expect, it } from 'vitest'
import type { PgValueType } from '../../src/values/pg-type.js'
import { ByteSink, copyFieldText, CopyRecordRenderer, parseUnsigned } from '../../src/values/index.js'
import { ClampCounter, compileRecordRenderer } from '../../src/values/index.js'

/** A value as COPY TO writes it in text format. */
function copyEscape(text: string | null): string {
  if (text === null) return '\\N'
  return text.replace(
    /[\\\n\r\t\b\f\v]/g,
    (c) =>
      ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v' })[
        c
      ] as string,
  )
}

function viaCopy(
  columns: Array<{ name: string; type: PgValueType }>,
  row: Array<string | null>,
  clamps?: ClampCounter,
): string {
  const r = new CopyRecordRenderer(columns, clamps)
  const src = Buffer.from(row.map(copyEscape).join('\t'), 'utf8')
  const sink = new ByteSink(16)
  r.renderRow(src, 0, src.length, sink)
  return sink.buf.toString('utf8', 0, sink.pos)
}

function viaString(
  columns: Array<{ name: string; type: PgValueType }>,
  row: Array<string | null>,
  clamps?: ClampCounter,
): string {
  return compileRecordRenderer(columns, clamps)(row)
}

const int32: PgValueType = { kind: 'integer', bits: 32 }
const numeric: PgValueType = { kind: 'numeric' }
const float: PgValueType = { kind: 'float' }
const text: PgValueType = { kind: 'text' }
const json: PgValueType = { kind: 'json' }
const bool: PgValueType = { kind: 'boolean' }
const date: PgValueType = { kind: 'date' }
const timestamp: PgValueType = { kind: 'timestamp' }
const timestamptz: PgValueType = { kind: 'timestamptz' }
const arr = (element: PgValueType, delimiter = ','): PgValueType => ({ kind: 'array', element, delimiter })

const cases: Array<[PgValueType, string]> = [
  [int32, '0'],
  [int32, '-2147483648'],
  [{ kind: 'integer', bits: 64 }, '9223372036854775807'],
  [numeric, '12345678901234567890.1234567890'],
  [numeric, '-0.50'],
  [numeric, 'NaN'],
  [numeric, 'Infinity'],
  [numeric, '-Infinity'],
  [float, '1e+100'],
  [float, '-0'],
  [float, '1.5e-07'],
  [float, 'NaN'],
  [float, '-Infinity'],
  [bool, 't'],
  [bool, 'f'],
  [text, ''],
  [text, 'plain'],
  [text, 'q"uote \\ back\ttab\nnl\r\b\f\v end'],
  [text, '\x01\x1f\x7f'],
  [text, 'a\u2028b\u2029c'],
  [text, '😀 é ü \u00a0 \u2027 \u202a'],
  [text, '\\N'],
  [text, 'N'],
  [text, '\\'],
  [text, '"'],
  [text, ' '],
  [text, '!#'],
  [json, '{"a": 1,\n "b": [1.50, 2],\n\t"c": "x\\ny"}'],
  [json, '{"n": 12345678901234567890.000000000000000001}'],
  [json, '{"s": "\u2028", "t": "a\\"b\\\\", "u": "\\u0000 \\t"}'],
  [json, '"scalar"'],
  [json, '3'],
  [json, 'null'],
  [json, '[]'],
  [json, ' [ 1 , 2 ] '],
  [{ kind: 'hstore' }, 'a=>1, b=>NULL, "c d"=>"NULL", "q\\"x"=>"\\\\"'],
  [{ kind: 'bytea' }, '\\x0a0bff'],
  [date, '2020-01-02'],
  [date, 'infinity'],
  [date, '-infinity'],
  [date, '0044-03-15 BC'],
  [date, '10000-01-01'],
  [timestamp, '2020-01-02 03:04:05'],
  [timestamp, '2020-01-02 03:04:05.5'],
  [timestamp, '2020-01-02 03:04:05.123456'],
  [timestamp, 'infinity'],
  [timestamp, '0044-03-15 12:00:00.25 BC'],
  [timestamp, '10000-01-01 00:00:00'],
  [timestamptz, '2020-01-02 03:04:05+00'],
  [timestamptz, '2020-01-02 03:04:05.000001+00'],
  [timestamptz, '2020-01-02 03:04:05.12+05:30'],
  [timestamptz, '0044-03-15 12:00:00+00 BC'],
  [timestamptz, '-infinity'],
  [timestamptz, '10000-01-01 00:00:00+00'],
  [timestamptz, '1850-01-01 00:00:00+05:53:28'],
  [{ kind: 'time' }, '24:00:00'],
  [{ kind: 'timetz' }, '12:00:00.5+05:30'],
  [{ kind: 'bit1' }, '1'],
  [arr(int32), '{1,NULL,3}'],
  [arr(int32), '{{1,2},{3,4}}'],
  [arr(int32), '[0:1]={7,8}'],
  [arr(int32), '[0:1][1:2]={{7,8},{1,2}}'],
  [arr(int32), '{}'],
  [arr(int32), '{{NULL}}'],
  [arr(text), '{"a,b","q\\"x","back\\\\slash","NULL",NULL,"","{}","}{"," sp ","nl\n"}'],
  [arr(text), '{{"x y",NULL},{"}","\\""}}'],
  [arr(text), '{a\x01b,"\u2028",😀,NULL,null,Null}'],
  [arr(text), '{"tab\there","cr\r"}'],
  [arr(numeric), '{1.50,NaN,12345678901234567890.5,-Infinity}'],
  [arr(float), '{1e+100,Infinity,-0}'],
  [arr(json), '{"{\\"a\\": 1}","[1, 2.50]",NULL}'],
  [arr(text, ';'), '{"(1,1),(0,0)";"(3,3),(2,2)"}'],
  [arr(timestamptz), '{"2020-01-02 03:04:05.5+00",infinity}'],
  [arr(date), '{2020-01-02,infinity}'],
]

describe('COPY row renderer', () => {
  it.each(cases)('%j %j', (type, value) => {
    const columns = [{ name: 'v', type }]
    const a = new ClampCounter()
    const b = new ClampCounter()
    expect(viaCopy(columns, [value], a)).toBe(viaString(columns, [value], b))
    expect(a.entries()).toEqual(b.entries())
  })

  it('a whole row: every type at once, NULLs, odd column names', () => {
    const columns = cases.map(([type], i) => ({ name: i % 3 === 0 ? `c"${i}\\` : `c${i}`, type }))
    const row = cases.map(([, v], i) => (i % 5 === 4 ? null : v))
    expect(viaCopy(columns, row)).toBe(viaString(columns, row))
    expect(
      viaCopy(
        columns,
        row.map(() => null),
      ),
    ).toBe(
      viaString(
        columns,
        row.map(() => null),
      ),
    )
  })

  it('random text, json strings and text arrays', () => {
    const alphabet = [
      'a',
      'Z',
      ' ',
      '"',
      '\\',
      '\t',
      '\n',
      '\r',
      '\b',
      '\f',
      '\v',
      '\x01',
      '\x1f',
      '\x7f',
      ',',
      '{',
      '}',
      'é',
      '😀',
      '\u2028',
      '\u2029',
      '\u00e2',
      'N',
      'U',
      'L',
    ]
    let seed = 7
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const str = (): string => Array.from({ length: rnd(12) }, () => alphabet[rnd(alphabet.length)]).join('')
    const quoteElement = (s: string): string =>
      /^[^"\\{},\s]+$/.test(s) && s.toUpperCase() !== 'NULL' ? s : `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`
    for (let k = 0; k < 3000; k++) {
      const s = str()
      expect(viaCopy([{ name: 't', type: text }], [s])).toBe(viaString([{ name: 't', type: text }], [s]))
      const j = JSON.stringify({ k: s, [s]: [1, s] }, null, rnd(2) === 0 ? undefined : 2)
      expect(viaCopy([{ name: 'j', type: json }], [j])).toBe(viaString([{ name: 'j', type: json }], [j]))
      const a = `{${Array.from({ length: rnd(4) }, () => (rnd(6) === 0 ? 'NULL' : quoteElement(str()))).join(',')}}`
      expect(viaCopy([{ name: 'a', type: arr(text) }], [a])).toBe(
        viaString([{ name: 'a', type: arr(text) }], [a]),
      )
    }
  })

  it('undoes every COPY escape, octal and hex included', () => {
    const r = new CopyRecordRenderer([
      { name: 't', type: text },
      { name: 'j', type: json },
    ])
    const src = Buffer.from('\\101\\x42\\x4\\7\\q\\\\\t{"a":\\x20"\\303\\251"}', 'latin1')
    const sink = new ByteSink(4)
    r.renderRow(src, 0, src.length, sink)
    expect(sink.buf.toString('utf8', 0, sink.pos)).toBe('{"t":"AB\\u0004\\u0007q\\\\","j":{"a":"é"}}')
    expect(copyFieldText(Buffer.from('a\\tb\\\\'), 0, 6)).toBe('a\tb\\')
  })

  it('returns where the fields after the columns start, and where the mark column is', () => {
    const r = new CopyRecordRenderer(
      [
        { name: 'id', type: int32 },
        { name: 'k', type: text },
      ],
      undefined,
      1,
    )
    const src = Buffer.from('1\tkey\\tx\t4294967295', 'utf8')
    const sink = new ByteSink(64)
    const after = r.renderRow(src, 0, src.length, sink)
    expect(parseUnsigned(src, after, src.length)).toBe(4294967295)
    expect(copyFieldText(src, r.markStart, r.markEnd)).toBe('key\tx')
    const nullKey = Buffer.from('2\t\\N', 'utf8')
    r.renderRow(nullKey, 0, nullKey.length, sink)
    expect(r.markStart).toBe(-1)
    expect(() => r.renderRow(Buffer.from('3'), 0, 1, sink)).toThrow(/fewer fields/)
  })

  it('grows its buffer for long values', () => {
    const long = '\x01'.repeat(100_000) + 'x'.repeat(100_000)
    expect(viaCopy([{ name: 't', type: text }], [long])).toBe(viaString([{ name: 't', type: text }], [long]))
  })
})
