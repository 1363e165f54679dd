import { describe, expect, it } from 'vitest'
import { parse as losslessParse } from 'lossless-json'
import { addTablesOption, byteaText, decodeWal2Json, Wal2JsonError } from '../../src/replication/wal2json.js'

// Payloads as wal2json 2.5 on PostgreSQL 15 printed them (format-version 2, include-timestamp, include-types off).
const INSERT = String.raw`{"action":"I","timestamp":"2026-11-25 13:42:46.82744+00","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"n","value":12345678901234567890.1234567890},{"name":"f","value":null},{"name":"b","value":true},{"name":"ia","value":"{1,NULL,3}"},{"name":"ta","value":"{\"a,b\",\"x\\\"y\"}"},{"name":"h","value":"\"a\"=>\"1\", \"b\"=>NULL"},{"name":"j","value":"{\"x\": 1.000000000000000000001}"},{"name":"we ird","value":"w"},{"name":"i8","value":9223372036854775807},{"name":"r","value":1.5e-07},{"name":"ok","value":false}]}`
const UPDATE_TOAST = `{"action":"U","timestamp":"2026-11-25 13:42:46.828357+00","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"n","value":1}]}`
const UPDATE_KEY = `{"action":"U","timestamp":"2026-11-25 13:42:46.828357+00","schema":"public","table":"t","columns":[{"name":"id","value":2}],"identity":[{"name":"id","value":1}]}`
const DELETE = `{"action":"D","timestamp":"2026-11-25 13:42:46.828956+00","schema":"public","table":"t","identity":[{"name":"id","value":-7}]}`
const BEGIN = `{"action":"B","timestamp":"2026-11-25 13:42:46.82744+00"}`
const COMMIT = `{"action":"C","timestamp":"2026-11-25 13:42:46.82744+00","lsn":"0/19D7038","nextlsn":"0/19D7068"}`
// include-lsn on: every message has its lsn. `TRUNCATE a, b` (and what a CASCADE reaches) sends one T per table.
const TRUNCATE = `{"action":"T","timestamp":"2026-12-06 05:17:01.785674+00","lsn":"0/15469C0","schema":"public","table":"t1"}`

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
      '1',
      '12345678901234567890.1234567890',
      null,
      't',
      '{1,NULL,3}',
      '{"a,b","x\\"y"}',
      '"a"=>"1", "b"=>NULL',
      '{"x": 1.000000000000000000001}',
      'w',
      '9223372036854775807',
      '1.5e-07',
      'f',
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
    expect(decodeWal2Json(DELETE)).toEqual({
      action: 'D',
      schema: 'public',
      table: 't',
      timestamp: '2026-11-25 13:42:46.828956+00',
      identity: { names: ['id'], values: ['-7'] },
    })
  })

  it('decodes begin and commit with their commit timestamp', () => {
    expect(decodeWal2Json(BEGIN)).toEqual({
      action: 'B',
      timestamp: '2026-11-25 13:42:46.82744+00',
      nextLsn: undefined,
    })
    expect(decodeWal2Json(COMMIT)).toEqual({
      action: 'C',
      timestamp: '2026-11-25 13:42:46.82744+00',
      nextLsn: '0/19D7068',
    })
    expect(decodeWal2Json('{"action":"C"}')).toEqual({
      action: 'C',
      timestamp: undefined,
      nextLsn: undefined,
    })
  })

  it('decodes a truncate: the one table it names', () => {
    expect(decodeWal2Json(TRUNCATE)).toEqual({
      action: 'T',
      schema: 'public',
      table: 't1',
      timestamp: '2026-12-06 05:17:01.785674+00',
    })
    expect(decodeWal2Json('{"action":"T","schema":"S p","table":"t\\"x"}')).toEqual({
      action: 'T',
      schema: 'S p',
      table: 't"x',
      timestamp: undefined,
    })
  })

  it('passes other actions on without interpreting them', () => {
    expect(decodeWal2Json('{"action":"M","transactional":false,"prefix":"hb","content":""}')).toEqual({
      action: 'other',
      kind: 'M',
    })
  })

  it.each([
    ['not an object', '[1]'],
    ['no action', '{"x":1}'],
    ['columns not an array', '{"action":"I","schema":"s","table":"t","columns":{}}'],
    ['value not a scalar', '{"action":"I","schema":"s","table":"t","columns":[{"name":"a","value":[1]}]}'],
    ['no identity on delete', '{"action":"D","schema":"s","table":"t"}'],
    ['no table on truncate', '{"action":"T","schema":"s"}'],
    ['no schema on truncate', '{"action":"T","table":"t"}'],
    ['name not a string', '{"action":"I","schema":"s","table":"t","columns":[{"name":true,"value":1}]}'],
  ])('rejects a message with %s', (_why, text) => {
    expect(() => decodeWal2Json(text)).toThrow(Wal2JsonError)
  })

  it('rejects every truncation of a real payload (never a silent partial row)', () => {
    for (const payload of [INSERT, UPDATE_KEY, DELETE, COMMIT, TRUNCATE]) {
      for (let cut = 0; cut < payload.length; cut++) {
        expect(() => decodeWal2Json(payload.slice(0, cut)), `cut at ${cut}`).toThrow(Wal2JsonError)
      }
    }
  })
})

/** The oracle: lossless-json (numbers kept as their text), then wal2json's shape by hand. */
function oracle(text: string): unknown {
  const m = losslessParse(text, undefined, (digits: string) => digits) as Record<string, unknown>
  const tuple = (cols: unknown) => {
    const list = cols as Array<{ name: string; value: unknown }>
    return {
      names: list.map((c) => c.name),
      values: list.map((c) => (c.value === true ? 't' : c.value === false ? 'f' : c.value)),
    }
  }
  return {
    action: m.action,
    schema: m.schema,
    table: m.table,
    timestamp: m.timestamp,
    columns: tuple(m.columns),
    identity: m.identity === undefined ? undefined : tuple(m.identity),
  }
}

describe('the scanner', () => {
  const msg = (value: string, name = 'v') =>
    `{"action":"I","schema":"s","table":"t","columns":[{"name":${JSON.stringify(name)},"value":${value}}]}`
  const valueOf = (text: string) =>
    (decodeWal2Json(text) as unknown as { columns: { values: unknown[] } }).columns.values[0]

  it.each([
    '0',
    '-0',
    '12',
    '-12.50',
    '1e5',
    '1E+05',
    '2.5e-07',
    '123456789012345678901234567890',
    '12345678901234567890.1234567890',
  ])('keeps number %s as its text', (n) => {
    expect(valueOf(msg(n))).toBe(n)
  })

  it.each([
    '01',
    '1.',
    '.5',
    '-',
    '1e',
    '1e+',
    '+1',
    '- 1',
    'NaN',
    'Infinity',
    '0x10',
    '1-2',
    '1.2.3',
    'nul',
    'tru',
    "'x'",
    '{}',
    '[1]',
  ])('rejects value %s', (v) => {
    expect(() => decodeWal2Json(msg(v))).toThrow(Wal2JsonError)
  })

  it.each([
    ['plain', '"plain"', 'plain'],
    ['escapes', String.raw`"esc \" \\ \/ \b \f \n \r \t"`, 'esc " \\ / \b \f \n \r \t'],
    ['unicode escapes', String.raw`"\u00e9\u2028\ud83d\ude00"`, 'é\u2028😀'],
    ['raw unicode', '"é 😀 \u2028 9"', 'é 😀 \u2028 9'],
    ['a trailing escaped backslash', String.raw`"a\\"`, 'a\\'],
    ['only a backslash', String.raw`"\\"`, '\\'],
    ['quotes around digits', String.raw`"\"1\""`, '"1"'],
    ['empty', '""', ''],
  ])('unescapes a string value: %s', (_what, json, text) => {
    expect(valueOf(msg(json))).toBe(text)
    expect(valueOf(msg(json, 'n\\"ame'.replace('\\', '')))).toBe(text)
  })

  it.each([String.raw`"\x"`, String.raw`"\u12"`, String.raw`"\u12G4"`, '"unterminated', String.raw`"\"`])(
    'rejects the bad string %s',
    (json) => {
      expect(() => decodeWal2Json(msg(json))).toThrow(Wal2JsonError)
    },
  )

  it('skips members it does not use, nested ones too, and accepts whitespace', () => {
    const text = ` { "action" : "U" , "xid" : 12 , "origin" : null , "schema" : "s" , "table" : "t" ,
      "pk" : [ { "name" : "id" , "type" : "integer" } ] , "extra" : { "a" : [ 1 , { } , [ ] , "x" ] , "b" : true } ,
      "columns" : [ { "name" : "id" , "type" : "integer" , "value" : 1 } , { "value" : false , "name" : "ok" } ] , "identity" : [ ] } `
    expect(decodeWal2Json(text)).toEqual({
      action: 'U',
      schema: 's',
      table: 't',
      timestamp: undefined,
      columns: { names: ['id', 'ok'], values: ['1', 'f'] },
      identity: { names: [], values: [] },
    })
  })

  it('reads a column called __proto__ as a name like any other', () => {
    expect(decodeWal2Json(msg('1', '__proto__'))).toMatchObject({
      columns: { names: ['__proto__'], values: ['1'] },
    })
  })

  it('agrees with the oracle on the real payloads', () => {
    for (const d of [INSERT, UPDATE_TOAST, UPDATE_KEY]) expect(decodeWal2Json(d), d).toEqual(oracle(d))
  })

  it('agrees with the oracle on generated messages', () => {
    let seed = 42
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const pieces = [
      '\\"',
      '\\\\',
      '"',
      '1',
      '-2.5',
      'a',
      '\\n',
      '\\u0041',
      ' ',
      ',',
      ':',
      '{',
      '[',
      '}',
      'é',
      '😀',
    ]
    const str = () =>
      JSON.stringify(
        Array.from({ length: rnd(7) }, () => pieces[rnd(pieces.length)])
          .join('')
          .replace(/\\(?!["\\nu])/g, '\\\\'),
      )
    const val = () =>
      [
        str,
        () => ['0', '-0', '7', '-12.50', '1e5', '3.25E-7', '98765432109876543210'][rnd(7)],
        () => ['true', 'false', 'null'][rnd(3)],
      ][rnd(3)]()
    const cols = () =>
      `[${Array.from({ length: rnd(5) }, () => `{"name":${str()},"value":${val()}}`).join(',')}]`
    for (let n = 0; n < 3000; n++) {
      const d = `{"action":"${rnd(2) === 0 ? 'I' : 'U'}","timestamp":${str()},"schema":${str()},"table":${str()},"columns":${cols()}${rnd(2) === 0 ? `,"identity":${cols()}` : ''}}`
      expect(decodeWal2Json(d), d).toEqual(oracle(d))
    }
  })

  it('rejects malformed messages', () => {
    const bad = [
      '',
      ' ',
      '{',
      '}',
      '{}',
      '[]',
      '"x"',
      '{"action":"B",}',
      '{"action" "B"}',
      '{action:"B"}',
      '{"action":"B"}x',
      '{"action":"B"}}',
      '{"action":"I","schema":"s","table":"t","columns":[{"name":"a","value":1},]}',
      '{"action":"I","schema":"s","table":"t","columns":[{"name":"a"}]}',
      '{"action":"I","schema":"s","table":"t","columns":[{"name":"a","value":1} {"name":"b","value":2}]}',
      '{"action":"B","x":[1 2]}',
      '{"action":"B","x":{"a" 1}}',
    ]
    for (const d of bad) expect(() => decodeWal2Json(d), d).toThrow(Wal2JsonError)
  })
})

describe('byteaText', () => {
  it('puts back the \\x wal2json cuts off a bytea column, and keeps the full text of a domain over bytea', () => {
    expect(byteaText('0a0bff')).toBe('\\x0a0bff')
    expect(byteaText('')).toBe('\\x')
    expect(byteaText('\\x0c0d')).toBe('\\x0c0d')
    expect(byteaText('\\x')).toBe('\\x')
  })
})

describe('addTablesOption', () => {
  it('escapes what wal2json splits on, then doubles quotes for the command literal', () => {
    expect(
      addTablesOption([
        { schemaName: 'public', tableName: 'orders' },
        { schemaName: 'Sales', tableName: 'Line Items' },
      ]),
    ).toBe('public.orders,Sales.Line\\ Items')
    expect(addTablesOption([{ schemaName: 'a.b', tableName: "it's,*\\" }])).toBe("a\\.b.it\\''s\\,\\*\\\\")
  })
})
