/**
 * The COPY text field parser (src/values/copy-text.ts) on its own, and the byte renderer fed the
 * way the socket feeds it: the same protocol bytes cut into chunks at every byte give the same
 * records, and a row gives the same record wherever it sits in a buffer and whatever the bytes
 * around it (nothing is read outside the row).
 */
import { describe, expect, it } from 'vitest'
import { CopyOut } from '../../src/pg/copy-out.js'
import type { PgValueType } from '../../src/values/pg-type.js'
import { copyPlainField, CopyFieldReader, unescapeInto } from '../../src/values/copy-text.js'
import { ByteSink, compileRecordRenderer, copyFieldText, CopyRecordRenderer } from '../../src/values/index.js'

function fields(row: string): Array<string | null> {
  const src = Buffer.from(row, 'latin1')
  const reader = new CopyFieldReader()
  const out: Array<string | null> = []
  let i = 0
  for (;;) {
    const end = reader.next(src, i, src.length)
    out.push(reader.isNull ? null : reader.buf.toString('latin1', reader.start, reader.end))
    if (end === src.length) return out
    i = end + 1
  }
}

describe('CopyFieldReader', () => {
  it('splits at tabs, reads \\N as NULL and undoes every escape', () => {
    expect(fields('1\t\\N\t\tx')).toEqual(['1', null, '', 'x'])
    expect(fields('a\\tb\\\\c\\nd\\re\\bf\\fg\\vh')).toEqual(['a\tb\\c\nd\re\bf\fg\vh'])
    expect(fields('\\101\\x42\\x4\\7\\q\\x\\xg')).toEqual(['AB\x04\x07qxxg'])
    expect(fields('\\\\N\t\\N\\N')).toEqual(['\\N', 'NN'])
    expect(fields('\\400')).toEqual(['\x00'])
  })

  it('reads the same fields from the same row wherever the row sits', () => {
    const row = Buffer.from('1\tr\u00e9sum\u00e9\\t\\\\\t\\N\t{"a":\\x20"b"}', 'utf8')
    const want = fields(row.toString('latin1'))
    for (let at = 0; at < 40; at++) {
      // Around the row: bytes that would change a field if they were read (tab, backslash, N).
      const src = Buffer.concat([
        Buffer.from('\\N\t\\'.repeat(at)).subarray(0, at),
        row,
        Buffer.from('\\N\t'),
      ])
      const reader = new CopyFieldReader()
      const got: Array<string | null> = []
      for (let i = at; ; ) {
        const end = reader.next(src, i, at + row.length)
        got.push(reader.isNull ? null : reader.buf.toString('latin1', reader.start, reader.end))
        if (end === at + row.length) break
        i = end + 1
      }
      expect(got, `row at ${at}`).toEqual(want)
    }
  })

  it('copyPlainField copies up to the tab, and stops at a backslash', () => {
    const out = Buffer.alloc(16)
    expect(copyPlainField(Buffer.from('123\t4'), 0, 5, out, 0)).toBe(3)
    expect(out.toString('latin1', 0, 3)).toBe('123')
    expect(copyPlainField(Buffer.from('123'), 0, 3, out, 0)).toBe(3)
    expect(copyPlainField(Buffer.from('\\N\t4'), 0, 4, out, 0)).toBe(-1)
  })

  it('unescapeInto and copyFieldText agree with the reader', () => {
    const src = Buffer.from('x\\ty\\\\z\\101', 'latin1')
    const out = Buffer.alloc(src.length)
    expect(out.toString('latin1', 0, unescapeInto(src, 0, src.length, out, 0))).toBe('x\ty\\zA')
    expect(copyFieldText(src, 0, src.length)).toBe('x\ty\\zA')
    expect(copyFieldText(Buffer.from('plain'), 1, 4)).toBe('lai')
  })
})

// A COPY stream as the server sends it: CopyOutResponse, one CopyData per row, CopyDone.
function message(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head[0] = code.charCodeAt(0)
  head.writeUInt32BE(4 + body.length, 1)
  return Buffer.concat([head, body])
}

const int: PgValueType = { kind: 'integer', bits: 32 }
const text: PgValueType = { kind: 'text' }
const COLUMNS: Array<{ name: string; type: PgValueType }> = [
  { name: 'id', type: int },
  { name: 'n', type: { kind: 'numeric' } },
  { name: 't', type: text },
  { name: 'j', type: { kind: 'json' } },
  { name: 'a', type: { kind: 'array', element: text, delimiter: ',' } },
  { name: 'ts', type: { kind: 'timestamptz' } },
  { name: 'u', type: text },
]
const ROWS = [
  '1\t1.50\tplain\t{"a": 1}\t{x,"y z"}\t2020-01-02 03:04:05.5+00\tc4ca4238-a0b9',
  '\\N\tNaN\tq"uote\\\\ \\t tab \u2028\t{"s": "\u2029"}\t{"b,\\\\"c\\\\""}\t\\N\t\\N',
  '3\t\\N\t\\N\t\\N\t\\N\tinfinity\t' + 'long-'.repeat(400),
  '4\t-Infinity\tr\u00e9sum\u00e9 \\x01\t[1, 2.50]\t{}\t0044-03-15 12:00:00+00 BC\t',
  `5\t7\t\\N\t["${'\u2028'.repeat(50)}"]\t{"${'\u2029'.repeat(20)}"}\t2020-01-02 03:04:05+00\t${'\\n'.repeat(30)}`,
]

/** The records as the string renderer writes them (the reference). */
function reference(): string {
  const render = compileRecordRenderer(COLUMNS)
  return ROWS.map((row) => {
    const src = Buffer.from(row, 'utf8')
    const values: Array<string | null> = []
    for (let i = 0; ; ) {
      let end = src.indexOf(9, i)
      if (end < 0) end = src.length
      values.push(end === i + 2 && src[i] === 0x5c && src[i + 1] === 0x4e ? null : copyFieldText(src, i, end))
      if (end === src.length) break
      i = end + 1
    }
    return render(values) + '\n'
  }).join('')
}

/** Records of `chunks` (a COPY stream cut anywhere) as CopyOut hands the rows over. */
async function render(chunks: Buffer[], capacity = 8): Promise<string> {
  let onData: ((b: Buffer) => void) | undefined
  const socket = {
    on: (_e: 'data', fn: (b: Buffer) => void) => void (onData = fn),
    listeners: () => (onData === undefined ? [() => undefined] : [onData]),
    removeListener: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
  }
  const copy = new CopyOut('COPY t TO STDOUT')
  copy.submit({ stream: socket, query: () => undefined })
  for (const c of chunks) onData?.(c)
  const renderer = new CopyRecordRenderer(COLUMNS)
  let out = ''
  for await (const r of copy.rows()) {
    for (let i = 0; i < r.count; i++) {
      // A sink per row, so that every row starts with the room given.
      const sink = new ByteSink(capacity)
      renderer.renderRow(r.buf, r.starts[i], r.ends[i], sink)
      out += sink.buf.toString('utf8', 0, sink.pos) + '\n'
    }
  }
  return out
}

describe('COPY rows rendered from socket chunks', () => {
  const stream = Buffer.concat([
    message('H', Buffer.from([0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
    ...ROWS.map((r) => message('d', Buffer.from(r + '\n', 'utf8'))),
    message('c', Buffer.alloc(0)),
  ])

  it('gives the same records for a cut at every byte, and for every chunk size', async () => {
    const whole = await render([stream])
    expect(whole).toBe(reference())
    expect(whole).toContain('"t":"q\\"uote\\\\ \\t tab \\u2028"')
    for (let at = 1; at < stream.length; at++) {
      expect(await render([stream.subarray(0, at), stream.subarray(at)]), `cut at ${at}`).toBe(whole)
    }
    for (let size = 1; size <= 16; size++) {
      const chunks: Buffer[] = []
      for (let p = 0; p < stream.length; p += size) chunks.push(stream.subarray(p, p + size))
      expect(await render(chunks), `chunks of ${size}`).toBe(whole)
    }
  })

  it('gives the same records whatever room the sink starts with', async () => {
    const whole = await render([stream])
    for (let capacity = 1; capacity <= 600; capacity += 7)
      expect(await render([stream], capacity)).toBe(whole)
  })
})
