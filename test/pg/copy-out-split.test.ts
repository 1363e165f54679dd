/**
 * The COPY parser (src/pg/copy-out.ts) fed by hand: the same protocol bytes cut into socket chunks
 * at every split point and in chunks of every small size give the same rows, and the bytes after
 * CopyDone (or from an ErrorResponse on) go back to the driver whole and in order.
 */
import { describe, expect, it } from 'vitest'
import { CopyOut } from '../../src/pg/copy-out.js'

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

/** Feeds `chunks` to a CopyOut as its socket would; returns the rows and what the driver got back. */
async function feed(chunks: Buffer[]): Promise<{ rows: string[]; driver: Buffer; error?: unknown }> {
  const given: Buffer[] = []
  let copy: CopyOut | undefined
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
  copy = new CopyOut('COPY t TO STDOUT')
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
