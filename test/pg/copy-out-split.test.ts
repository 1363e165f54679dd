/**
 * The socket readers (src/pg/socket-rows.ts) fed by hand: the same protocol bytes cut into socket
 * chunks at every split point and in chunks of every small size give the same rows, and the bytes
 * after CopyDone (COPY), from CommandComplete on (a cursor's FETCH), or from an ErrorResponse on go
 * back to the driver whole and in order. A FETCH's DataRow messages come out as the COPY text rows
 * the server would have sent for the same values.
 */
import { describe, expect, it } from 'vitest'
import { CopyOut } from '../../src/pg/copy-out.js'
import { dataRowsAsCopyText, FetchOut } from '../../src/pg/fetch-out.js'
import type { SocketRows } from '../../src/pg/socket-rows.js'

function message(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head[0] = code.charCodeAt(0)
  head.writeUInt32BE(4 + body.length, 1)
  return Buffer.concat([head, body])
}

const copyOutResponse = message('H', Buffer.from([0, 0, 2, 0, 0, 0, 0]))
const notice = message('N', Buffer.from('SNOTICE\0Mhello\0\0'))
const driverTail = Buffer.concat([message('C', Buffer.from('COPY 4\0')), message('Z', Buffer.from('I'))])

const ROWS = ['1\tone', '', `2\t${'x'.repeat(3000)}\t\\N`, '3\tr\u00e9sum\u00e9 \u2028']

/** Feeds `chunks` to a reader as its socket would; returns the rows and what the driver got back. */
async function feed(
  chunks: Buffer[],
  reader: () => SocketRows = () => new CopyOut('COPY t TO STDOUT'),
): Promise<{ rows: string[]; driver: Buffer; error?: unknown }> {
  const given: Buffer[] = []
  let copy: SocketRows | undefined
  const driverOnData = (b: Buffer): void => {
    given.push(b)
    if (b[0] === 0x45) copy?.handleError(new Error('server error'))
  }
  let listeners: Array<(b: Buffer) => void> = [driverOnData]
  const socket = {
    on: (_e: 'data', fn: (b: Buffer) => void) => void listeners.push(fn),
    listeners: () => [...listeners],
    removeListener: (_e: 'data', fn: (b: Buffer) => void) =>
      void (listeners = listeners.filter((l) => l !== fn)),
    pause: () => undefined,
    resume: () => undefined,
  }
  copy = reader()
  copy.submit({ stream: socket, query: () => undefined })
  // Each chunk goes to whoever listens at the time (after CopyDone: the driver).
  for (const c of chunks) for (const l of [...listeners]) l(c)
  const rows: string[] = []
  let error: unknown
  try {
    for await (const r of copy.rows())
      for (let i = 0; i < r.count; i++) rows.push(r.buf.toString('utf8', r.starts[i], r.ends[i]))
  } catch (e) {
    error = e
  }
  return { rows, driver: Buffer.concat(given), error }
}

function cut(bytes: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = []
  let from = 0
  for (const p of [...at, bytes.length]) {
    out.push(bytes.subarray(from, p))
    from = p
  }
  return out
}

function inSizes(bytes: Buffer, size: number): number[] {
  const at: number[] = []
  for (let p = size; p < bytes.length; p += size) at.push(p)
  return at
}

describe('CopyOut parsing socket chunks', () => {
  const rowMessages = ROWS.map((r) => message('d', Buffer.from(r + '\n', 'utf8'))).flatMap((m, i) =>
    i === 1 ? [notice, m] : [m],
  )
  const stream = Buffer.concat([copyOutResponse, ...rowMessages, message('c', Buffer.alloc(0)), driverTail])

  it('gives the same rows and driver bytes for a cut at every byte', async () => {
    for (let at = 0; at <= stream.length; at++) {
      const got = await feed(cut(stream, [at]))
      expect(got.rows, `cut at ${at}`).toEqual(ROWS)
      expect(got.driver.equals(driverTail), `cut at ${at}`).toBe(true)
    }
  })

  it('gives the same rows for chunks of every size from 1 to 64 bytes, and with two cuts inside the long row', async () => {
    for (let size = 1; size <= 64; size++) {
      const got = await feed(cut(stream, inSizes(stream, size)))
      expect(got.rows, `chunks of ${size}`).toEqual(ROWS)
      expect(got.driver.equals(driverTail), `chunks of ${size}`).toBe(true)
    }
    const long = stream.indexOf('xxxx')
    for (let a = long - 6; a < long + 3000; a += 97) {
      const got = await feed(cut(stream, [a, a + 1, a + 1500]))
      expect(got.rows, `cuts at ${a}`).toEqual(ROWS)
    }
  })

  it('hands an ErrorResponse cut anywhere, and what follows it, to the driver', async () => {
    const error = message('E', Buffer.from('SERROR\0C57014\0Mcanceled\0\0'))
    const tail = Buffer.concat([error, message('Z', Buffer.from('I'))])
    const failing = Buffer.concat([copyOutResponse, message('d', Buffer.from('1\tone\n')), tail])
    for (let at = 0; at <= failing.length; at++) {
      const got = await feed(cut(failing, [at]))
      expect(got.error, `cut at ${at}`).toBeInstanceOf(Error)
      expect(got.driver.equals(tail), `cut at ${at}`).toBe(true)
    }
  })
})

/** A DataRow message: `null` for a NULL field. */
function dataRow(fields: Array<string | null>): Buffer {
  const parts: Buffer[] = [Buffer.from([fields.length >> 8, fields.length & 0xff])]
  for (const f of fields) {
    const len = Buffer.alloc(4)
    if (f === null) len.writeInt32BE(-1)
    else len.writeInt32BE(Buffer.byteLength(f))
    parts.push(len)
    if (f !== null) parts.push(Buffer.from(f, 'utf8'))
  }
  return message('D', Buffer.concat(parts))
}

describe('FetchOut parsing socket chunks', () => {
  const rowDescription = message('T', Buffer.from([0, 0]))
  const fields: Array<Array<string | null>> = [
    ['1', 'one'],
    [],
    ['2', 'x'.repeat(3000), null],
    ['3', 'tab\there\\ nl\n cr\r bs\b ff\f vt\v bell\u0007 r\u00e9sum\u00e9 \u2028', ''],
  ]
  const want = [
    '1\tone',
    '',
    `2\t${'x'.repeat(3000)}\t\\N`,
    '3\ttab\\there\\\\ nl\\n cr\\r bs\\b ff\\f vt\\v bell\u0007 r\u00e9sum\u00e9 \u2028\t',
  ]
  const tail = Buffer.concat([message('C', Buffer.from('FETCH 4\0')), message('Z', Buffer.from('T'))])
  const rows = fields.map(dataRow).flatMap((m, i) => (i === 1 ? [notice, m] : [m]))
  const stream = Buffer.concat([rowDescription, ...rows, tail])
  const fetch = () => new FetchOut('FETCH FORWARD 4 FROM c')

  it('writes DataRow values as COPY text: tabs between fields, \\N for NULL, control characters escaped as COPY escapes them', () => {
    const payloads = fields.map(dataRow)
    const buf = Buffer.concat(payloads)
    const starts: number[] = []
    const ends: number[] = []
    let p = 0
    for (const m of payloads) {
      starts.push(p + 5)
      ends.push(p + m.length)
      p += m.length
    }
    const r = dataRowsAsCopyText(buf, starts, ends)
    expect(r.count).toBe(4)
    expect(Array.from({ length: r.count }, (_, i) => r.buf.toString('utf8', r.starts[i], r.ends[i]))).toEqual(
      want,
    )
  })

  it('gives the same rows for a cut at every byte and chunks of every size; CommandComplete and what follows go to the driver', async () => {
    for (let at = 0; at <= stream.length; at++) {
      const got = await feed(cut(stream, [at]), fetch)
      expect(got.rows, `cut at ${at}`).toEqual(want)
      expect(got.driver.equals(tail), `cut at ${at}`).toBe(true)
    }
    for (let size = 1; size <= 64; size++) {
      const got = await feed(cut(stream, inSizes(stream, size)), fetch)
      expect(got.rows, `chunks of ${size}`).toEqual(want)
      expect(got.driver.equals(tail), `chunks of ${size}`).toBe(true)
    }
  })

  it('counts the rows of the page (a short page is the last)', async () => {
    const reader = fetch()
    await feed([stream], () => reader)
    expect(reader.rowCount).toBe(4)
  })

  it('hands an ErrorResponse cut anywhere, and what follows it, to the driver', async () => {
    const error = message('E', Buffer.from('SERROR\0C57014\0Mcanceled\0\0'))
    const errorTail = Buffer.concat([error, message('Z', Buffer.from('E'))])
    const failing = Buffer.concat([rowDescription, dataRow(['1', 'one']), errorTail])
    for (let at = 0; at <= failing.length; at++) {
      const got = await feed(cut(failing, [at]), fetch)
      expect(got.error, `cut at ${at}`).toBeInstanceOf(Error)
      expect(got.driver.equals(errorTail), `cut at ${at}`).toBe(true)
    }
  })
})
