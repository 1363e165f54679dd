/**
 * SingerOutput over Writables the test controls: a write waits while the reader is slow
 * (backpressure), bytes are handed back only once written, writes keep their call order, and a
 * closed stdout (EPIPE) or another write error is OUTPUT_CLOSED for every waiting and later write.
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { TapError } from '../../src/errors.js'
import { SingerOutput } from '../../src/singer/output.js'

/** A stdout whose reader takes each chunk only when the test says so. */
function slowStdout(highWaterMark: number) {
  const chunks: string[] = []
  const pending: Array<() => void> = []
  const stream = new Writable({
    highWaterMark,
    write(c: Buffer, _e, done) {
      chunks.push(c.toString('utf8'))
      pending.push(done)
    },
  })
  /** The reader takes everything written so far (and what that lets through). */
  const drain = async () => {
    while (pending.length > 0) {
      pending.shift()?.()
      await tick()
    }
  }
  return { stream, chunks, pending, drain }
}

const tick = () => new Promise((r) => setImmediate(r))

/** Whether `p` has settled after the event loop turned once. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(
    () => {
      done = true
    },
    () => {
      done = true
    },
  )
  await tick()
  return done
}

describe('SingerOutput', () => {
  it('a write past the high-water mark waits until the reader has taken it, then resolves', async () => {
    const out = slowStdout(16)
    const output = new SingerOutput(out.stream)
    const small = output.write('{"a":1}\n')
    expect(await settled(small)).toBe(true)
    const big = output.write(`${'x'.repeat(64)}\n`)
    expect(await settled(big)).toBe(false)
    await tick()
    expect(await settled(big)).toBe(false)
    await out.drain()
    expect(await settled(big)).toBe(true)
    await big
  })

  it('bytes are handed back (onWritten) only once the stream is done with them', async () => {
    const out = slowStdout(1024)
    const output = new SingerOutput(out.stream)
    let handedBack = 0
    const bytes = new TextEncoder().encode('{"type":"RECORD"}\n')
    await output.write(bytes, () => handedBack++)
    expect(handedBack).toBe(0)
    await out.drain()
    expect(handedBack).toBe(1)
    expect(out.chunks).toEqual(['{"type":"RECORD"}\n'])
  })

  it('writes keep their call order, text and bytes mixed, even when none is awaited', async () => {
    const out = slowStdout(8)
    const output = new SingerOutput(out.stream)
    const enc = new TextEncoder()
    const writes = [
      output.write('1\n'),
      output.write(enc.encode('2\n')),
      output.write(`${'3'.repeat(20)}\n`),
      output.write(enc.encode('4\n')),
      output.write('5\n'),
    ]
    const flushed = output.flush()
    expect(await settled(flushed)).toBe(false)
    await out.drain()
    await Promise.all([...writes, flushed])
    expect(out.chunks.join('')).toBe(`1\n2\n${'3'.repeat(20)}\n4\n5\n`)
  })

  it('flush resolves only after everything written so far was taken by the reader', async () => {
    const out = slowStdout(1024)
    const output = new SingerOutput(out.stream)
    await output.write('a\n')
    const flushed = output.flush()
    expect(await settled(flushed)).toBe(false)
    await out.drain()
    expect(await settled(flushed)).toBe(true)
  })

  it('EPIPE (the reader went away): a waiting write, every later write and flush fail with OUTPUT_CLOSED', async () => {
    const out = slowStdout(4)
    const output = new SingerOutput(out.stream)
    let handedBack = 0
    const waiting = output.write(new TextEncoder().encode('{"type":"RECORD"}\n'), () => handedBack++)
    expect(await settled(waiting)).toBe(false)
    out.stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    const e = await waiting.then(
      () => undefined,
      (x: unknown) => x,
    )
    expect(e).toBeInstanceOf(TapError)
    expect(e).toMatchObject({ code: 'OUTPUT_CLOSED', message: 'stdout was closed by its reader' })
    await expect(output.write('more\n')).rejects.toMatchObject({ code: 'OUTPUT_CLOSED' })
    await expect(output.flush()).rejects.toMatchObject({ code: 'OUTPUT_CLOSED' })
    // Bytes the stream never wrote are not handed back as written.
    expect(handedBack).toBe(0)
  })

  it('another write error is OUTPUT_CLOSED too, with its cause', async () => {
    const stream = new Writable({
      write(_c, _e, done) {
        done(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))
      },
    })
    const output = new SingerOutput(stream)
    await output.write('a\n').catch(() => undefined)
    await tick()
    await expect(output.write('b\n')).rejects.toMatchObject({
      code: 'OUTPUT_CLOSED',
      message: 'cannot write to stdout: no space left on device',
    })
  })
})
