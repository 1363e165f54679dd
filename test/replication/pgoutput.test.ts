import { describe, expect, it } from 'vitest'
import { BinaryReader } from '../../src/replication/binary-reader.js'
import {
  PgoutputDecoder,
  PgoutputError,
  pgoutputStartOptions,
  pgTimestampText,
} from '../../src/replication/pgoutput.js'
import { thrownBy } from '../harness/thrown.js'

/**
 * Messages built byte by byte after the protocol's message formats
 * (https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html). The layouts were
 * checked against what PostgreSQL 15 sends (test/replication/pgoutput.pg.test.ts decodes the
 * server's own bytes).
 */
class Msg {
  readonly parts: Buffer[] = []
  byte(c: string | number): this {
    this.parts.push(Buffer.from([typeof c === 'string' ? c.charCodeAt(0) : c]))
    return this
  }
  int16(n: number): this {
    const b = Buffer.alloc(2)
    b.writeInt16BE(n)
    this.parts.push(b)
    return this
  }
  int32(n: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32BE(n)
    this.parts.push(b)
    return this
  }
  int64(n: bigint): this {
    const b = Buffer.alloc(8)
    b.writeBigInt64BE(n)
    this.parts.push(b)
    return this
  }
  str(s: string): this {
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]))
    return this
  }
  /** TupleData: null for 'n', undefined for 'u', text for 't'. */
  tuple(values: ReadonlyArray<string | null | undefined>): this {
    this.int16(values.length)
    for (const v of values) {
      if (v === null) this.byte('n')
      else if (v === undefined) this.byte('u')
      else {
        const b = Buffer.from(v, 'utf8')
        this.byte('t').int32(b.length)
        this.parts.push(b)
      }
    }
    return this
  }
  get buf(): Buffer {
    return Buffer.concat(this.parts)
  }
}

// 2026-11-25 13:42:46.82744 UTC in µs since 2000-01-01.
const COMMIT_US = BigInt(Date.UTC(2026, 10, 25, 13, 42, 46) - Date.UTC(2000, 0, 1)) * 1000n + 827440n
const TS = '2026-11-25 13:42:46.82744+00'

const begin = (finalLsn = 0x19d7038n) => new Msg().byte('B').int64(finalLsn).int64(COMMIT_US).int32(727).buf
const commit = () => new Msg().byte('C').byte(0).int64(0x19d7038n).int64(0x19d7068n).int64(COMMIT_US).buf

/** Relation 16384 public.t (id int4 key, n numeric, big text, "we ird" text[]). */
function relation(
  oid = 16384,
  columns: ReadonlyArray<[string, number, boolean]> = [
    ['id', 23, true],
    ['n', 1700, false],
    ['big', 25, false],
    ['we ird', 1009, false],
  ],
  schema = 'public',
  table = 't',
): Buffer {
  const m = new Msg().byte('R').int32(oid).str(schema).str(table).byte('d').int16(columns.length)
  for (const [name, type, key] of columns)
    m.byte(key ? 1 : 0)
      .str(name)
      .int32(type)
      .int32(-1)
  return m.buf
}

const insert = (values: ReadonlyArray<string | null | undefined>, oid = 16384) =>
  new Msg().byte('I').int32(oid).byte('N').tuple(values).buf

/** A decoder inside a transaction that knows relation 16384. */
function ready(): PgoutputDecoder {
  const d = new PgoutputDecoder()
  d.decode(begin())
  d.decode(relation())
  return d
}

describe('PgoutputDecoder', () => {
  it('decodes begin and commit: the commit record start and the commit time as timestamptz text', () => {
    const d = new PgoutputDecoder()
    expect(d.decode(begin())).toEqual({
      action: 'B',
      timestamp: TS,
      nextLsn: undefined,
      commitLsn: 0x19d7038n,
    })
    expect(d.decode(commit())).toEqual({ action: 'C', timestamp: TS, nextLsn: undefined })
  })

  it('keeps a Relation message and names the columns of later changes with it', () => {
    const d = new PgoutputDecoder()
    d.decode(begin())
    expect(d.decode(relation())).toEqual({ action: 'other', kind: 'R' })
    expect(d.relation(16384)).toMatchObject({
      schema: 'public',
      table: 't',
      replicaIdentity: 'd',
      names: ['id', 'n', 'big', 'we ird'],
      keyNames: ['id'],
    })
    expect(d.relation(16384)?.columns[1]).toEqual({ name: 'n', typeOid: 1700, typeMod: -1, key: false })
  })

  it('decodes an insert: every value as the text sent, NULL as null, numbers with all their digits', () => {
    const d = ready()
    const ev = d.decode(insert(['1', '12345678901234567890.1234567890', null, '{"a,b","x\\"y"}']))
    expect(ev).toEqual({
      action: 'I',
      schema: 'public',
      table: 't',
      timestamp: TS,
      identity: undefined,
      columns: {
        names: ['id', 'n', 'big', 'we ird'],
        values: ['1', '12345678901234567890.1234567890', null, '{"a,b","x\\"y"}'],
      },
    })
  })

  it('keeps text with non-ASCII, NUL-free control characters and U+2028 exactly', () => {
    const d = ready()
    const v = 'é 😀 \u2028 \t\n\\x00'
    const ev = d.decode(insert(['1', null, v, null]))
    expect(ev).toMatchObject({ columns: { values: ['1', null, v, null] } })
  })

  it('leaves an unchanged TOAST value out of an update (absent, not null)', () => {
    const d = ready()
    const ev = d.decode(new Msg().byte('U').int32(16384).byte('N').tuple(['1', '2', undefined, null]).buf)
    expect(ev).toEqual({
      action: 'U',
      schema: 'public',
      table: 't',
      timestamp: TS,
      identity: undefined,
      columns: { names: ['id', 'n', 'we ird'], values: ['1', '2', null] },
    })
  })

  it('gives the old key of an update that changed it: the key columns only', () => {
    const d = ready()
    const ev = d.decode(
      new Msg()
        .byte('U')
        .int32(16384)
        .byte('K')
        .tuple(['1', null, null, null])
        .byte('N')
        .tuple(['2', '5', 'x', null]).buf,
    )
    expect(ev).toMatchObject({
      action: 'U',
      identity: { names: ['id'], values: ['1'] },
      columns: { names: ['id', 'n', 'big', 'we ird'], values: ['2', '5', 'x', null] },
    })
  })

  it('gives the whole old row of an update under REPLICA IDENTITY FULL', () => {
    const d = ready()
    const ev = d.decode(
      new Msg()
        .byte('U')
        .int32(16384)
        .byte('O')
        .tuple(['1', '4', 'x', null])
        .byte('N')
        .tuple(['1', '5', 'x', null]).buf,
    )
    expect(ev).toMatchObject({
      action: 'U',
      identity: { names: ['id', 'n', 'big', 'we ird'], values: ['1', '4', 'x', null] },
    })
  })

  it('decodes a delete: the key (K) or the whole row (O)', () => {
    const d = ready()
    expect(d.decode(new Msg().byte('D').int32(16384).byte('K').tuple(['-7', null, null, null]).buf)).toEqual({
      action: 'D',
      schema: 'public',
      table: 't',
      timestamp: TS,
      identity: { names: ['id'], values: ['-7'] },
    })
    expect(d.decode(new Msg().byte('D').int32(16384).byte('O').tuple(['-7', '1.5', 'x', '{}']).buf)).toEqual({
      action: 'D',
      schema: 'public',
      table: 't',
      timestamp: TS,
      identity: { names: ['id', 'n', 'big', 'we ird'], values: ['-7', '1.5', 'x', '{}'] },
    })
  })

  it('decodes a truncate of several tables: one event per table, in order', () => {
    const d = ready()
    d.decode(relation(16390, [['k', 20, true]], 'S p', 't"x'))
    expect(d.decode(new Msg().byte('T').int32(2).byte(1).int32(16390).int32(16384).buf)).toEqual({
      action: 'truncate',
      tables: [
        { action: 'T', schema: 'S p', table: 't"x', timestamp: TS },
        { action: 'T', schema: 'public', table: 't', timestamp: TS },
      ],
    })
  })

  it('follows a Relation message sent again after a column was added', () => {
    const d = ready()
    d.decode(
      relation(16384, [
        ['id', 23, true],
        ['n', 1700, false],
        ['big', 25, false],
        ['we ird', 1009, false],
        ['added', 16, false],
      ]),
    )
    expect(d.decode(insert(['1', null, null, null, 't']))).toMatchObject({
      columns: { names: ['id', 'n', 'big', 'we ird', 'added'], values: ['1', null, null, null, 't'] },
    })
  })

  it('names pg_catalog for an empty namespace', () => {
    const d = ready()
    d.decode(relation(99, [['a', 25, true]], '', 'cat'))
    expect(d.relation(99)?.schema).toBe('pg_catalog')
  })

  it('ignores type, origin and logical decoding messages', () => {
    const d = ready()
    expect(d.decode(new Msg().byte('Y').int32(16500).str('public').str('mood').buf)).toEqual({
      action: 'other',
      kind: 'Y',
    })
    expect(d.decode(new Msg().byte('O').int64(0x1000n).str('elsewhere').buf)).toEqual({
      action: 'other',
      kind: 'O',
    })
    expect(
      d.decode(new Msg().byte('M').byte(1).int64(0x1000n).str('hb').int32(3).byte(1).byte(2).byte(3).buf),
    ).toEqual({ action: 'other', kind: 'M' })
  })

  it.each([
    ['an empty payload', Buffer.alloc(0), /message ends inside the message type/],
    ['an unknown message type', Buffer.from('Z'), /unknown type 'Z'/],
    ['a streaming message (proto_version 2)', Buffer.from('S'), /unknown type 'S'/],
    ['a change of a relation never described', insert(['1'], 7), /relation 7 was never described/],
    [
      'a tuple with fewer columns than its relation',
      insert(['1', null]),
      /tuple of 2 columns for public\.t, described with 4/,
    ],
    [
      'a binary value',
      new Msg().byte('I').int32(16384).byte('N').int16(4).byte('b').int32(1).byte(0).buf,
      /binary value/,
    ],
    [
      'an unknown column kind',
      new Msg().byte('I').int32(16384).byte('N').int16(4).byte('x').buf,
      /unknown column kind 'x'/,
    ],
    [
      'an insert without its N',
      new Msg().byte('I').int32(16384).byte('K').tuple(['1', null, null, null]).buf,
      /Insert without its 'N' tuple/,
    ],
    [
      'a delete without K or O',
      new Msg().byte('D').int32(16384).byte('N').tuple(['1', null, null, null]).buf,
      /Delete without its 'K' or 'O' tuple/,
    ],
    [
      'a value longer than the message',
      new Msg().byte('I').int32(16384).byte('N').int16(4).byte('t').int32(100).byte('x').buf,
      /ends inside a value/,
    ],
    [
      'a negative value length',
      new Msg().byte('I').int32(16384).byte('N').int16(4).byte('t').int32(-2).buf,
      /negative length -2/,
    ],
    [
      'bytes after the message',
      Buffer.concat([insert(['1', null, null, null]), Buffer.from([0])]),
      /1 bytes after the message/,
    ],
    ['an unterminated name', Buffer.from('R\0\0\0\x09pub', 'latin1'), /unterminated the schema name/],
    [
      'a truncate of an unknown relation',
      new Msg().byte('T').int32(1).byte(0).int32(5).buf,
      /relation 5 was never described/,
    ],
  ])('refuses %s with a PgoutputError', (_what, buf, message) => {
    const e = thrownBy(PgoutputError, () => ready().decode(buf))
    expect(e.message).toMatch(message)
  })

  it('refuses a change outside a transaction', () => {
    const d = ready()
    d.decode(commit())
    expect(thrownBy(PgoutputError, () => d.decode(insert(['1', null, null, null]))).message).toMatch(
      /change outside a transaction/,
    )
  })

  it('refuses every truncation of every message kind (never a partial row)', () => {
    const messages = [
      begin(),
      relation(),
      insert(['1', '2.5', 'é', null]),
      new Msg()
        .byte('U')
        .int32(16384)
        .byte('K')
        .tuple(['1', null, null, null])
        .byte('N')
        .tuple(['2', null, undefined, 'x']).buf,
      new Msg().byte('D').int32(16384).byte('O').tuple(['1', '2', '3', '4']).buf,
      new Msg().byte('T').int32(1).byte(0).int32(16384).buf,
      new Msg().byte('M').byte(1).int64(1n).str('p').int32(2).byte(1).byte(2).buf,
      new Msg().byte('Y').int32(1).str('s').str('t').buf,
      new Msg().byte('O').int64(1n).str('o').buf,
      commit(),
    ]
    for (const m of messages) {
      for (let cut = 0; cut < m.length; cut++) {
        const e = thrownBy(PgoutputError, () => ready().decode(m.subarray(0, cut)))
        expect(e.message, `'${String.fromCharCode(m[0])}' cut at ${cut}`).toMatch(
          /malformed pgoutput message/,
        )
      }
      expect(() => ready().decode(m)).not.toThrow()
    }
  })
})

describe('pgTimestampText', () => {
  it.each([
    [0n, '2000-01-01 00:00:00+00'],
    [1n, '2000-01-01 00:00:00.000001+00'],
    [COMMIT_US, TS],
    [-1n, '1999-12-31 23:59:59.999999+00'],
    [500_000n, '2000-01-01 00:00:00.5+00'],
    [
      BigInt(Date.UTC(2038, 0, 19, 3, 14, 8) - Date.UTC(2000, 0, 1)) * 1000n + 120n,
      '2038-01-19 03:14:08.00012+00',
    ],
  ])('prints %s µs as the server prints a timestamptz in UTC', (us, text) => {
    expect(pgTimestampText(us)).toBe(text)
  })
})

describe('pgoutputStartOptions', () => {
  it('asks for protocol version 1 and quotes the publication as an identifier inside the command literal', () => {
    expect(pgoutputStartOptions('tap_pub')).toBe(`proto_version '1', publication_names '"tap_pub"'`)
    expect(pgoutputStartOptions(`My "odd", it's`)).toBe(
      `proto_version '1', publication_names '"My ""odd"", it''s"'`,
    )
  })
})

describe('BinaryReader', () => {
  it('reads big-endian integers, LSNs above 2^53 and strings', () => {
    const r = new BinaryReader(new Msg().int16(-2).int32(-3).int64(-1n).str('ab').buf)
    expect(r.int16()).toBe(-2)
    expect(r.int32()).toBe(-3)
    expect(r.remaining).toBe(11)
    const at = r.offset
    expect(r.uint64()).toBe(0xffff_ffff_ffff_ffffn)
    expect(r.offset).toBe(at + 8)
    expect(r.cstring()).toBe('ab')
    expect(r.remaining).toBe(0)
  })
})
