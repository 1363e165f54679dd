import { describe, expect, it } from 'vitest'
import { jsonString, minifyJson } from '../../src/values/json-text.js'

/** What the record must contain: JSON.stringify's literal plus U+2028/U+2029 escaped. */
function reference(text: string): string {
  return JSON.stringify(text)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** Deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = [
  'a',
  'Z',
  ' ',
  '"',
  '\\',
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  'é',
  '€',
  '😀',
  '\u2028',
  '\u2029',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '=>',
  'NULL',
  '/',
  '\u00a0',
]

function randomText(r: () => number, max = 12): string {
  let s = ''
  const n = Math.floor(r() * max)
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)]
  return s
}

describe('jsonString', () => {
  it.each([
    ['', '""'],
    ['plain', '"plain"'],
    ['quote " and backslash \\', '"quote \\" and backslash \\\\"'],
    ['line\nbreak\r\ttab', '"line\\nbreak\\r\\ttab"'],
    ['\u0000\u0001\u001f', '"\\u0000\\u0001\\u001f"'],
    ['ls\u2028ps\u2029', '"ls\\u2028ps\\u2029"'],
    ['emoji 😀 and é', '"emoji 😀 and é"'],
    ['\u007f del stays raw', '"\u007f del stays raw"'],
  ])('%j', (text, expected) => {
    expect(jsonString(text)).toBe(expected)
    expect(JSON.parse(jsonString(text))).toBe(text)
  })

  it('agrees with JSON.stringify (+ U+2028/9) on random text, fast path or not', () => {
    const r = rng(1)
    for (let i = 0; i < 5000; i++) {
      const t = randomText(r)
      const out = jsonString(t)
      expect(out).toBe(reference(t))
      expect(out).not.toMatch(/[\n\r\u2028\u2029]/)
    }
  })
})

describe('minifyJson', () => {
  it.each([
    ['3', '3'],
    ['"x"', '"x"'],
    ['true', 'true'],
    ['null', 'null'],
    ['{}', '{}'],
    ['{"a": 1, "b": [1, 2]}', '{"a":1,"b":[1,2]}'],
    ['{\n  "a" : 1 ,\r\n\t"b":[ ]\n}\n', '{"a":1,"b":[]}'],
    ['  [1 ,\n 2]  ', '[1,2]'],
    [
      '{"big": 123456789012345678901234567890, "f": 1.000000000000000000001, "e": 1E+400}',
      '{"big":123456789012345678901234567890,"f":1.000000000000000000001,"e":1E+400}',
    ],
    [
      '{"s": "keeps  spaces\\n and \\"quotes\\" and \\\\ and \\u0041"}',
      '{"s":"keeps  spaces\\n and \\"quotes\\" and \\\\ and \\u0041"}',
    ],
    ['["ends with backslash \\\\", " x "]', '["ends with backslash \\\\"," x "]'],
    ['["\\\\\\"", 1]', '["\\\\\\"",1]'],
    ['{"ls": "a\u2028b\u2029c"}', '{"ls":"a\\u2028b\\u2029c"}'],
    ['"\u2028"', '"\\u2028"'],
    ['{"emoji": "😀", "k 😀": [ "😀" ]}', '{"emoji":"😀","k 😀":["😀"]}'],
    ['{"a": {"b": {"c": [[], {}, [{}]]}}}', '{"a":{"b":{"c":[[],{},[{}]]}}}'],
  ])('%j', (doc, expected) => {
    expect(minifyJson(doc)).toBe(expected)
  })

  it('returns the same string when nothing changes', () => {
    const s = '{"a":[1,2,"x y"]}'
    expect(minifyJson(s)).toBe(s)
  })

  // Each tricky string is cut at every position; the halves become a key and a value so every
  // escape, quote and separator meets the scanner's string boundaries at every offset.
  it('splits: every cut of tricky strings as key and value', () => {
    const tricky = [
      'a\\"b"\\\\c\n d\u2028e, f: [g] {h}\u2029 😀',
      '\\\\\\"',
      '" , : [ ] { }',
      '\\u2028 literal escape text',
    ]
    for (const t of tricky) {
      for (let i = 0; i <= t.length; i++) {
        const key = t.slice(0, i)
        const value = t.slice(i)
        const doc = `{ ${JSON.stringify(key)} :\n [ ${JSON.stringify(value)} , 1 , ${JSON.stringify(key)} ] }`
        const out = minifyJson(doc)
        expect(out).toBe(`{${reference(key)}:[${reference(value)},1,${reference(key)}]}`)
        expect(JSON.parse(out)).toEqual({ [key]: [value, 1, key] })
      }
    }
  })

  it('random documents with random whitespace between tokens minify to JSON.stringify form', () => {
    const r = rng(7)
    const ws = () => [' ', '\n', '\t', '\r\n', '  ', ''][Math.floor(r() * 6)]
    function value(depth: number): unknown {
      const k = Math.floor(r() * (depth > 3 ? 4 : 6))
      if (k === 0) return randomText(r)
      if (k === 1) return Math.floor(r() * 1e6) - 5e5
      if (k === 2) return [true, false, null][Math.floor(r() * 3)]
      if (k === 3) return r()
      if (k === 4) return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1))
      const o: Record<string, unknown> = {}
      for (let i = Math.floor(r() * 4); i > 0; i--) o[randomText(r, 5)] = value(depth + 1)
      return o
    }
    // Pretty-print by hand with random whitespace wherever JSON allows it.
    function write(v: unknown): string {
      if (Array.isArray(v)) return `[${ws()}${v.map((x) => write(x)).join(`${ws()},${ws()}`)}${ws()}]`
      if (v !== null && typeof v === 'object') {
        return `{${ws()}${Object.entries(v)
          .map(([k, x]) => `${JSON.stringify(k)}${ws()}:${ws()}${write(x)}`)
          .join(`${ws()},${ws()}`)}${ws()}}`
      }
      return JSON.stringify(v)
    }
    for (let i = 0; i < 2000; i++) {
      const v = value(0)
      const doc = ws() + write(v) + ws()
      expect(minifyJson(doc)).toBe(
        JSON.stringify(v)
          .replace(/\u2028/g, '\\u2028')
          .replace(/\u2029/g, '\\u2029'),
      )
    }
  })
})
