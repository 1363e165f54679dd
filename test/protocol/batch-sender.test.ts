/**
 * The worker side of a task's port, over a real MessageChannel (the main thread's side played by the
 * test): credits bound what is in flight, stop and abort arrive while a send waits, buffers come back.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import type { BatchMessage, ControlMessage } from '../../src/protocol/worker-messages.js'
import { BatchSender, TaskAborted } from '../../src/protocol/batch-sender.js'

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
  const send = (m: ControlMessage, transfer?: ArrayBuffer[]) => port2.postMessage(m, transfer)
  return { sender: new BatchSender(port1, credits), received, send }
}

const batch = (rows: number): BatchMessage => ({
  type: 'batch',
  lines: `${'{"type":"RECORD"}\n'.repeat(rows)}`,
  rows,
})
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
    send({ type: 'ack' })
    await third
    await new Promise((r) => setTimeout(r, 20))
    expect(received.map((b) => b.rows)).toEqual([1, 2, 3])
  })

  it('drain waits until every batch sent was acknowledged', async () => {
    const { sender, send } = channel(3)
    await sender.send(batch(1))
    await sender.send(batch(1))
    const drained = sender.drain()
    send({ type: 'ack' })
    expect(await settled(drained)).toBe(false)
    send({ type: 'ack' })
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
    await expect(sender.send(batch(1))).rejects.toBeInstanceOf(TaskAborted)
  })

  it('an abort wakes a send waiting for credit with TaskAborted', async () => {
    const { sender, send } = channel(1)
    await sender.send(batch(1))
    const waiting = sender.send(batch(2))
    send({ type: 'abort' })
    await expect(waiting).rejects.toBeInstanceOf(TaskAborted)
    await expect(sender.drain()).rejects.toBeInstanceOf(TaskAborted)
  })

  it('buffers moved back are reused, last first; at most credits + 1 are kept; one too small is dropped', async () => {
    const { sender, send } = channel(1)
    for (const size of [16, 64, 32]) {
      const b = new ArrayBuffer(size)
      send({ type: 'buffer', buffer: b }, [b])
    }
    await new Promise((r) => setTimeout(r, 20))
    expect(sender.reuse(10)?.byteLength).toBe(64)
    expect(sender.reuse(10)?.byteLength).toBe(16)
    expect(sender.reuse(1)).toBeUndefined()
    const small = new ArrayBuffer(8)
    send({ type: 'buffer', buffer: small }, [small])
    await new Promise((r) => setTimeout(r, 20))
    expect(sender.reuse(100)).toBeUndefined()
    expect(sender.reuse(1)).toBeUndefined()
  })
})
