import { describe, expect, it } from 'vitest'
import { parse as losslessParse } from 'lossless-json'
import { addTablesOption, decodeWal2Json, parseJsonKeepingNumbers, quoteNumbers, Wal2JsonError } from '../../src/replication/wal2json.js'

// Payloads as wal2json 2.5 on PostgreSQL 15 printed them (format-version 2, include-timestamp, include-types off).
const INSERT = String.raw`{"action":"I","timestamp":"2026-11-25 13:42:46.82744+00","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"n","value":12345678901234567890.1234567890},{"name":"f","value":null},{"name":"b","value":true},{"name":"ia","value":"{1,NULL,3}"},{"name":"ta","value":"{\"a,b\",\"x\\\"y\"}"},{"name":"h","value":"\"a\"=>\"1\", \"b\"=>NULL"},{"name":"j","value":"{\"x\": 1.000000000000000000001}"},{"name":"we ird","value":"w"},{"name":"i8","value":9223372036854775807},{"name":"r","value":1.5e-07},{"name":"ok","value":false}]}`
const UPDATE_TOAST = `{"action":"U","timestamp":"2026-11-25 13:42:46.828357+00","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"n","value":1}]}`
const UPDATE_KEY = `{"action":"U","timestamp":"2026-11-25 13:42:46.828357+00","schema":"public","table":"t","columns":[{"name":"id","value":2}],"identity":[{"name":"id","value":1}]}`
const DELETE = `{"action":"D","timestamp":"2026-11-25 13:42:46.828956+00","schema":"public","table":"t","identity":[{"name":"id","value":-7}]}`
const BEGIN = `{"action":"B","timestamp":"2026-11-25 13:42:46.82744+00"}`
const COMMIT = `{"action":"C","timestamp":"2026-11-25 13:42:46.82744+00","lsn":"0/19D7038","nextlsn":"0/19D7068"}`

describe('decodeWal2Json', () => {
  it('keeps every digit of numbers and turns booleans into PostgreSQL text', () => {
    const e = decodeWal2Json(INSERT)
    expect(e.action).toBe('I')
    if (e.action !== 'I') return
    expect(e.schema).toBe('public')
    expect(e.table).toBe('t')
    expect(e.timestamp).toBe('2026-11-25 13:42:46.82744+00')
    expect(e.identity).toBeUndefined()
    expect(e.columns.names).toEqual(['id', 'n', 'f', 'b', 'ia', 'ta', 'h', 'j', 'we ird', 'i8', 'r', 'ok'])
    expect(e.columns.values).toEqual([
      '1', '12345678901234567890.1234567890', null, 't', '{1,NULL,3}', '{"a,b","x\\"y"}', '"a"=>"1", "b"=>NULL',
      '{"x": 1.000000000000000000001}', 'w', '9223372036854775807', '1.5e-07', 'f',
    ])
  })

  it('leaves unchanged TOAST columns out of an update (absent, not null)', () => {
    const e = decodeWal2Json(UPDATE_TOAST)
    if (e.action !== 'U') throw new Error('not an update')
    expect(e.columns.names).toEqual(['id', 'n'])
    expect(e.identity).toBeUndefined()
  })

  it('gives the old key of an update that changed it', () => {
    const e = decodeWal2Json(UPDATE_KEY)
    if (e.action !== 'U') throw new Error('not an update')
    expect(e.identity).toEqual({ names: ['id'], values: ['1'] })
  })

  it('gives the identity of a delete', () => {
    expect(decodeWal2Json(DELETE)).toEqual({ action: 'D', schema: 'public', table: 't', timestamp: '2026-11-25 13:42:46.828956+00', identity: { names: ['id'], values: ['-7'] } })
  })

  it('decodes begin and commit with their commit timestamp', () => {
    expect(decodeWal2Json(BEGIN)).toEqual({ action: 'B', timestamp: '2026-11-25 13:42:46.82744+00', nextLsn: undefined })
    expect(decodeWal2Json(COMMIT)).toEqual({ action: 'C', timestamp: '2026-11-25 13:42:46.82744+00', nextLsn: '0/19D7068' })
    expect(decodeWal2Json('{"action":"C"}')).toEqual({ action: 'C', timestamp: undefined, nextLsn: undefined })
  })

  it('passes other actions on without interpreting them', () => {
    expect(decodeWal2Json('{"action":"T","schema":"public","table":"t"}')).toEqual({ action: 'other', kind: 'T' })
    expect(decodeWal2Json('{"action":"M","transactional":false,"prefix":"hb","content":""}')).toEqual({ action: 'other', kind: 'M' })
  })

  it.each([
    ['not an object', '[1]'],
    ['no action', '{"x":1}'],
    ['columns not an array', '{"action":"I","schema":"s","table":"t","columns":{}}'],
    ['value not a scalar', '{"action":"I","schema":"s","table":"t","columns":[{"name":"a","value":[1]}]}'],
    ['no identity on delete', '{"action":"D","schema":"s","table":"t"}'],
    ['name not a string', '{"action":"I","schema":"s","table":"t","columns":[{"name":true,"value":1}]}'],
  ])('rejects a message with %s', (_why, text) => {
    expect(() => decodeWal2Json(text)).toThrow(Wal2JsonError)
  })

  it('rejects every truncation of a real payload (never a silent partial row)', () => {
    for (const payload of [INSERT, UPDATE_KEY, DELETE, COMMIT]) {
      for (let cut = 0; cut < payload.length; cut++) {
        expect(() => decodeWal2Json(payload.slice(0, cut)), `cut at ${cut}`).toThrow(Wal2JsonError)
      }
    }
  })
})

/** The oracle: lossless-json with numbers kept as their text. */
function oracle(text: string): unknown {
  return losslessParse(text, undefined, (digits: string) => digits)
}

describe('parseJsonKeepingNumbers', () => {
  it.each([
    '0', '-0', '12', '-12.50', '1e5', '1E+05', '2.5e-07', '123456789012345678901234567890', '12345678901234567890.1234567890',
  ])('keeps number %s as its text', (text) => {
    expect(parseJsonKeepingNumbers(text)).toBe(text)
    expect(parseJsonKeepingNumbers(`[${text},${text}]`)).toEqual([text, text])
    expect(parseJsonKeepingNumbers(`{"v":${text}}`)).toEqual({ v: text })
  })

  it.each(['01', '1.', '.5', '-', '1e', '1e+', '+1', '- 1', 'NaN', 'Infinity', '0x10', '1-2', '[1.2.3]'])('rejects number %s', (text) => {
    expect(() => parseJsonKeepingNumbers(text)).toThrow(Wal2JsonError)
  })

  it('never touches digits inside strings, whatever the escapes before a quote', () => {
    const docs = [
      String.raw`"123"`, String.raw`"a\"1\""`, String.raw`["\\",1]`, String.raw`["\\\\",2,"\\\"3"]`, String.raw`{"k\"1":"v\\","n":-4.5e+3}`,
      String.raw`["\u00e9 12 \u2028",true,false,null,0]`, '"é 😀 \u2028 9"', '{"a":[1,{"b":[2,[3]]}],"c":"4"}', ' { "a" : 1 , "b" : [ 2 , 3 ] } ',
      INSERT, UPDATE_TOAST, UPDATE_KEY, DELETE, BEGIN, COMMIT,
    ]
    for (const d of docs) expect(parseJsonKeepingNumbers(d), d).toEqual(oracle(d))
  })

  it('agrees with the oracle on generated documents', () => {
    let seed = 42
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
    const pieces = ['\\"', '\\\\', '"', '1', '-2.5', 'a', '\\n', '\\u0041', ' ', ',', ':', '{', '[']
    const str = () => JSON.stringify(Array.from({ length: rnd(6) }, () => pieces[rnd(pieces.length)]).join(''))
    const num = () => ['0', '-0', '7', '-12.50', '1e5', '3.25E-7', '98765432109876543210'][rnd(7)]
    const gen = (depth: number): string => {
      const k = rnd(depth > 3 ? 3 : 6)
      if (k === 0) return str()
      if (k === 1) return num()
      if (k === 2) return ['true', 'false', 'null'][rnd(3)]
      if (k === 3) return `[${Array.from({ length: rnd(4) }, () => gen(depth + 1)).join(',')}]`
      return `{${Array.from({ length: rnd(4) }, () => `${str()}:${gen(depth + 1)}`).join(',')}}`
    }
    for (let n = 0; n < 2000; n++) {
      const d = gen(0)
      expect(parseJsonKeepingNumbers(d), d).toEqual(oracle(d))
    }
  })

  it('finds the same numbers wherever a payload is cut (every split point of the scanner)', () => {
    // quoteNumbers keeps no state across calls, so any prefix must quote exactly the numbers that
    // are complete in it, and the same text the whole payload gets for that prefix's strings.
    for (const payload of [INSERT, DELETE]) {
      const whole = quoteNumbers(payload)
      for (let cut = 0; cut <= payload.length; cut++) {
        const prefix = payload.slice(0, cut)
        let quoted: string
        try { quoted = quoteNumbers(prefix) } catch { continue } // a number cut after '-', '.', 'e'
        // Every quote added to the prefix is one the whole payload got too (possibly further on).
        expect(whole.startsWith(quoted) || whole.startsWith(quoted.slice(0, -1)), `cut at ${cut}`).toBe(true)
      }
    }
  })

  it('rejects what JSON.parse rejects', () => {
    const bad = ['', ' ', '{', '}', '[1,]', '{"a":1,}', '{"a" 1}', '{a:1}', "'x'", '"\\x"', '"\\u12"', '"a\nb"', '"\t"', 'tru', 'nul', '[1 2]', '{"a":1}x', '"unterminated', '"\\']
    for (const d of bad) {
      expect(() => JSON.parse(d), d).toThrow()
      expect(() => parseJsonKeepingNumbers(d), d).toThrow(Wal2JsonError)
    }
  })

  it('keeps a __proto__ key as data', () => {
    const v = parseJsonKeepingNumbers('{"__proto__":{"polluted":"yes"}}') as Record<string, unknown>
    expect(Object.keys(v)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('addTablesOption', () => {
  it('escapes what wal2json splits on, then doubles quotes for the command literal', () => {
    expect(addTablesOption([{ schemaName: 'public', tableName: 'orders' }, { schemaName: 'Sales', tableName: 'Line Items' }])).toBe('public.orders,Sales.Line\\ Items')
    expect(addTablesOption([{ schemaName: 'a.b', tableName: "it's,*\\" }])).toBe("a\\.b.it\\''s\\,\\*\\\\")
  })
})
