import { describe, expect, it } from 'vitest'
import { parse } from 'postgres-array'
import type { PgValueType } from '../../src/values/pg-type.js'
import { parseDelimited, renderArray } from '../../src/values/arrays.js'
import { renderValue } from '../../src/values/render.js'

const arr = (element: PgValueType, delimiter = ','): PgValueType => ({ kind: 'array', element, delimiter })
const int: PgValueType = { kind: 'integer', bits: 32 }
const text: PgValueType = { kind: 'text' }

/** array_out's quoting: empty, braces, delimiter, quotes, backslashes, white space, or NULL. */
function element(v: string | null, delimiter: string): string {
  if (v === null) return 'NULL'
  const needs = v === '' || /^null$/i.test(v) || /[{}"\\\s]/.test(v) || v.includes(delimiter)
  return needs ? `"${v.replace(/[\\"]/g, '\\$&')}"` : v
}
type Tree = Array<string | null | Tree>
function arrayText(items: Tree, delimiter = ','): string {
  return `{${items.map((x) => (Array.isArray(x) ? arrayText(x, delimiter) : element(x, delimiter))).join(delimiter)}}`
}

describe('array rendering', () => {
  const cases: Array<[string, PgValueType, string, string]> = [
    ['empty', arr(int), '{}', '[]'],
    ['integers', arr(int), '{1,-2,3}', '[1,-2,3]'],
    ['NULL elements', arr(int), '{NULL,1,NULL}', '[null,1,null]'],
    ['2-D', arr(int), '{{1,2},{3,4}}', '[[1,2],[3,4]]'],
    ['3-D with NULL', arr(int), '{{{1,NULL}},{{3,4}}}', '[[[1,null]],[[3,4]]]'],
    ['lower bound decoration', arr(int), '[0:2]={7,8,9}', '[7,8,9]'],
    ['2-D decoration', arr(int), '[0:1][-1:0]={{1,2},{3,4}}', '[[1,2],[3,4]]'],
    [
      'bigint exact',
      arr({ kind: 'integer', bits: 64 }),
      '{9223372036854775807,-9223372036854775808}',
      '[9223372036854775807,-9223372036854775808]',
    ],
    [
      'numeric with NaN',
      arr({ kind: 'numeric' }),
      '{1.50,NaN,Infinity,-Infinity,12345678901234567890.123}',
      '[1.50,null,null,null,12345678901234567890.123]',
    ],
    ['float', arr({ kind: 'float' }), '{1e+100,-0,NaN}', '[1e+100,-0,null]'],
    ['boolean', arr({ kind: 'boolean' }), '{t,f,NULL}', '[true,false,null]'],
    [
      'text quoting',
      arr(text),
      '{plain,"with space","a,b","q\\"uote","back\\\\slash","{brace}","NULL",NULL,""}',
      '["plain","with space","a,b","q\\"uote","back\\\\slash","{brace}","NULL",null,""]',
    ],
    ['text null word lower case', arr(text), '{"null",nUlL}', '["null","nUlL"]'],
    ['text newline and U+2028', arr(text), '{"a\nb","c\u2028"}', '["a\\nb","c\\u2028"]'],
    ['text 2-D', arr(text), '{{a,"b c"},{NULL,"}"}}', '[["a","b c"],[null,"}"]]'],
    [
      'json',
      arr({ kind: 'json' }),
      '{"{\\"a\\": [1, 2.50]}","[]",NULL,"\\"s\\"",3}',
      '[{"a":[1,2.50]},[],null,"s",3]',
    ],
    ['hstore', arr({ kind: 'hstore' }), '{"\\"a\\"=>\\"1\\", \\"b\\"=>NULL",""}', '[{"a":"1","b":null},{}]'],
    ['bytea', arr({ kind: 'bytea' }), '{"\\\\x0a0b","\\\\x",NULL}', '["0a0b","",null]'],
    ['dates', arr({ kind: 'date' }), '{2020-01-02,NULL}', '["2020-01-02T00:00:00+00:00",null]'],
    [
      'timestamptz',
      arr({ kind: 'timestamptz' }),
      '{"2020-01-02 03:04:05.5+00","2020-01-02 03:04:05+05:30"}',
      '["2020-01-02T03:04:05.500000+00:00","2020-01-01T21:34:05+00:00"]',
    ],
    ['timetz', arr({ kind: 'timetz' }), '{12:00:00-08,12:00:00.5+05:30}', '["20:00:00","06:30:00.500000"]'],
    ['time', arr({ kind: 'time' }), '{24:00:00,01:02:03.5}', '["00:00:00","01:02:03.500000"]'],
    ['bit(1)', arr({ kind: 'bit1' }), '{1,0}', '[true,false]'],
    ['interval (text)', arr(text), '{P1Y2M3DT4H5M6.5S,PT0S}', '["P1Y2M3DT4H5M6.5S","PT0S"]'],
    ['box[] uses ;', arr(text, ';'), '{(1,1),(0,0);(3,3),(2,2)}', '["(1,1),(0,0)","(3,3),(2,2)"]'],
    ['box[] 2-D and NULL', arr(text, ';'), '{{(1,1),(0,0);NULL}}', '[["(1,1),(0,0)",null]]'],
    [
      '; delimiter quoting',
      arr(text, ';'),
      '{"a;b";c;"";NULL;"NULL";"x,y"}',
      '["a;b","c","",null,"NULL","x,y"]',
    ],
  ]
  it.each(cases)('%s', (_name, type, input, output) => {
    expect(renderValue(type, input)).toBe(output)
    expect(() => JSON.parse(output)).not.toThrow()
  })

  it('NULL array is null', () => {
    expect(renderValue(arr(int), null)).toBe('null')
  })

  it('clamps elements and reports each', () => {
    let n = 0
    expect(
      renderValue(
        arr({ kind: 'timestamp' }),
        '{infinity,-infinity,"2020-01-01 00:00:00","0044-03-15 00:00:00 BC"}',
        () => n++,
      ),
    ).toBe(
      '["9999-12-31T23:59:59.999000+00:00","0001-01-01T00:00:00+00:00","2020-01-01T00:00:00+00:00","0001-01-01T00:00:00+00:00"]',
    )
    expect(n).toBe(3)
  })

  it('a bad element is reported as the element type, not the array', () => {
    expect(() => renderValue(arr({ kind: 'boolean' }), '{x}')).toThrow(/boolean/)
  })

  it('malformed array text is an error', () => {
    expect(() => renderArray('1,2', ',', (t) => t)).toThrow(/array/)
    expect(() => renderArray('{1,2', ';', (t) => t)).toThrow(/array/)
    expect(() => renderArray('{"1}', ';', (t) => t)).toThrow(/array/)
    expect(() => renderArray('{1}}', ';', (t) => t)).toThrow(/array/)
    expect(() => renderArray('{"a",b}', ';', (t) => t)).toThrow(/array/)
  })
})

describe('parseDelimited agrees with postgres-array', () => {
  const pieces = [
    'a',
    '',
    'NULL',
    'null',
    ' ',
    'x y',
    '"',
    '\\',
    '\\"',
    ',',
    ';',
    '{',
    '}',
    '{}',
    'é😀',
    '\n',
    'P1D',
    '(1,2)',
  ]
  let seed = 42
  const r = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  function randomTree(depth: number, width: number): Tree {
    return Array.from({ length: width }, () => {
      if (depth > 0) return randomTree(depth - 1, width)
      if (r() < 0.15) return null
      let s = ''
      for (let i = Math.floor(r() * 3); i >= 0; i--) s += pieces[Math.floor(r() * pieces.length)]
      return s
    })
  }
  it('on random arrays of 1 to 3 dimensions (comma delimiter)', () => {
    for (let i = 0; i < 2000; i++) {
      const tree = randomTree(Math.floor(r() * 3), 1 + Math.floor(r() * 3))
      const t = arrayText(tree)
      const mine = parseDelimited(t, ',', (s) => `<${s}>`)
      expect(mine).toEqual(parse(t, (s) => `<${s}>`))
      expect(mine).toEqual(
        JSON.parse(JSON.stringify(tree), (_k, v) => (typeof v === 'string' ? `<${v}>` : v)),
      )
    }
  })
  it('and round-trips the same arrays written with ;', () => {
    for (let i = 0; i < 2000; i++) {
      const tree = randomTree(Math.floor(r() * 3), 1 + Math.floor(r() * 3))
      expect(parseDelimited(arrayText(tree, ';'), ';', (s) => s)).toEqual(tree)
    }
  })
})
