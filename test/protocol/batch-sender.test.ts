/**
 * The worker side of a task's port, over a real MessageChannel (the main thread's side played by the
 * test): credits bound what is in flight, stop and abort arrive while a send waits, buffers come back.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { BatchSender, ChannelAborted } from '../../src/protocol/batch-channel.js'
import type { BatchMessage, ChannelControl } from '../../src/protocol/messages.js'

const ports: MessagePort[] = []
afterEach(() => {
  for (const p of ports.splice(0)) p.close()
})

/** A sender with `credits`, and the main thread's end: what arrived, and a way to answer. */
function channel(credits: number) {
  const { port1, port2 } = new MessageChannel()
  ports.push(port1, port2)
  const received: BatchMessage[] = []
  port2.on('message', (m: BatchMessage) => received.push(m))
  const send = (m: ChannelControl, transfer?: ArrayBuffer[]) => port2.postMessage(m, transfer)
  return { sender: new BatchSender<BatchMessage>(port1, credits), received, send }
}

const batch = (rows: number): BatchMessage => {
  const text = '{"type":"RECORD"}\n'.repeat(rows)
  const lines = Buffer.allocUnsafeSlow(text.length)
  lines.write(text)
  return { type: 'batch', lines, rows }
}
const ack = (buffers: ArrayBuffer[] = []): ChannelControl => ({ type: 'ack', buffers })
const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false
  p.then(
    () => (done = true),
    () => (done = true),
  )
  await new Promise((r) => setTimeout(r, 20))
  return done
}

describe('BatchSender', () => {
  it('sends at most `credits` batches before an ack, then one more per ack', async () => {
    const { sender, received, send } = channel(2)
    await sender.send(batch(1))
    await sender.send(batch(2))
    const third = sender.send(batch(3))
    expect(await settled(third)).toBe(false)
    expect(received.map((b) => b.rows)).toEqual([1, 2])
    send(ack())
    await third
    await new Promise((r) => setTimeout(r, 20))
    expect(received.map((b) => b.rows)).toEqual([1, 2, 3])
  })

  it('drain waits until every batch sent was acknowledged', async () => {
    const { sender, send } = channel(3)
    await sender.send(batch(1))
    await sender.send(batch(1))
    const drained = sender.drain()
    send(ack())
    expect(await settled(drained)).toBe(false)
    send(ack())
    await drained
  })

  it('a stop is seen by stopRequested and calls onStop once; sending goes on', async () => {
    const { sender, send } = channel(1)
    let stops = 0
    sender.onStop = () => stops++
    send({ type: 'stop' })
    await new Promise((r) => setTimeout(r, 20))
    expect(sender.stopRequested).toBe(true)
    expect(sender.aborted).toBe(false)
    send({ type: 'abort' })
    await new Promise((r) => setTimeout(r, 20))
    expect(stops).toBe(1)
    await expect(sender.send(batch(1))).rejects.toBeInstanceOf(ChannelAborted)
  })

  it('an abort wakes a send waiting for credit with ChannelAborted', async () => {
    const { sender, send } = channel(1)
    await sender.send(batch(1))
    const waiting = sender.send(batch(2))
    send({ type: 'abort' })
    await expect(waiting).rejects.toBeInstanceOf(ChannelAborted)
    await expect(sender.drain()).rejects.toBeInstanceOf(ChannelAborted)
  })

  it('buffers moved back with the acks are reused, last first; at most credits + 1 are kept; one too small is dropped', async () => {
    const { sender, send } = channel(1)
    for (let i = 0; i < 3; i++) await sender.send(batch(1)).then(() => i < 2 && send(ack()))
    const buffers = [16, 64, 32].map((size) => new ArrayBuffer(size))
    send(ack(buffers), buffers)
    await new Promise((r) => setTimeout(r, 20))
    expect(sender.reuse(10)?.byteLength).toBe(64)
    expect(sender.reuse(10)?.byteLength).toBe(16)
    expect(sender.reuse(1)).toBeUndefined()
    await sender.send(batch(1))
    const small = new ArrayBuffer(8)
    send(ack([small]), [small])
    await new Promise((r) => setTimeout(r, 20))
    expect(sender.reuse(100)).toBeUndefined()
    expect(sender.reuse(1)).toBeUndefined()
  })

  it('a batch moves its buffer to the main thread (detached here), and encode fills a buffer given back', async () => {
    const { sender, received, send } = channel(2)
    const b = batch(2)
    await sender.send(b)
    expect(b.lines.buffer.byteLength).toBe(0)
    await new Promise((r) => setTimeout(r, 20))
    const back = received[0].lines.buffer as ArrayBuffer
    const size = back.byteLength
    expect(size).toBeGreaterThan(0)
    send(ack([back]), [back])
    await new Promise((r) => setTimeout(r, 20))
    const bytes = sender.encode('{"a":"é"}\n')
    expect(Buffer.from(bytes).toString('utf8')).toBe('{"a":"é"}\n')
    expect(bytes.buffer.byteLength).toBe(size)
  })

  it('encode: text that does not fit a buffer given back (multi-byte characters) is still whole', async () => {
    const { sender, send } = channel(1)
    const text = `${'é'.repeat(40)}😀\n`
    for (const size of [text.length + 4, 200]) {
      await sender.send(batch(1))
      const b = new ArrayBuffer(size)
      send(ack([b]), [b])
      await new Promise((r) => setTimeout(r, 20))
      expect(Buffer.from(sender.encode(text)).toString('utf8')).toBe(text)
    }
  })
})
