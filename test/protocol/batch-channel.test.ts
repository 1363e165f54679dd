/**
 * The batch channel as the replication worker and the LOG_BASED run use it (BatchSender of
 * ReplicationBatch + ReplicationEnd on the worker side, BatchReceiver on the main side), over fake
 * ports that deliver asynchronously as a MessagePort does: credits, order, stop and failure.
 */
import { describe, expect, it } from 'vitest'
import {
  BatchReceiver,
  BatchSender,
  ChannelAborted,
  type ChannelPort,
} from '../../src/protocol/batch-channel.js'
import type { ChannelControl, ReplicationBatch, ReplicationEnd } from '../../src/protocol/messages.js'

/** Two connected fake ports; `log` has every message posted, with what it transferred. */
function fakePorts() {
  const log: Array<{ from: 'worker' | 'main'; message: unknown; transfer: readonly ArrayBuffer[] }> = []
  const make = (name: 'worker' | 'main') => {
    const listeners: Array<(m: unknown) => void> = []
    const port = {
      peer: undefined as unknown as { listeners: Array<(m: unknown) => void>; closed: boolean },
      listeners,
      closed: false,
      postMessage(message: unknown, transfer: readonly ArrayBuffer[] = []) {
        if (port.closed) return
        log.push({ from: name, message, transfer })
        const peer = port.peer
        setImmediate(() => {
          if (!peer.closed) for (const l of peer.listeners) l(message)
        })
      },
      on(_event: 'message', listener: (m: unknown) => void) {
        listeners.push(listener)
      },
      close() {
        port.closed = true
      },
    }
    return port
  }
  const worker = make('worker')
  const main = make('main')
  worker.peer = main
  main.peer = worker
  return { worker: worker as ChannelPort, main: main as ChannelPort, log }
}

let position = 0n
function batch(text: string): ReplicationBatch {
  const lines = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
  lines.write(text)
  position += 10n
  return { type: 'batch', lines, records: 1, messages: 1, counts: [['s', 1]], position, versions: [] }
}
const end = (): ReplicationEnd => ({ type: 'end', position, reports: [] })
const turn = () => new Promise((r) => setTimeout(r, 5))
const pending = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false
  p.then(
    () => (done = true),
    () => (done = true),
  )
  await turn()
  return !done
}

/** A main side whose writes wait until the test releases them (a slow stdout). */
function slowMain(port: ChannelPort) {
  const handled: string[] = []
  const releases: Array<() => void> = []
  let ended: ReplicationEnd | undefined
  const receiver = new BatchReceiver<ReplicationBatch, ReplicationEnd>(port, {
    batch: async (b, written) => {
      await new Promise<void>((r) => releases.push(r))
      handled.push(Buffer.from(b.lines).toString('utf8'))
      written()
    },
    other: (m) => {
      ended = m
    },
  })
  const releaseOne = async () => {
    while (releases.length === 0) await turn()
    releases.shift()?.()
    await turn()
  }
  return { receiver, handled, releaseOne, ended: () => ended }
}

describe('batch channel, replication side', () => {
  it('credits: with 2 in flight a third batch waits for the main thread to write one; one ack per batch', async () => {
    const { worker, main, log } = fakePorts()
    const sender = new BatchSender<ReplicationBatch, ReplicationEnd>(worker, 2)
    const m = slowMain(main)
    await sender.send(batch('a\n'))
    await sender.send(batch('b\n'))
    const third = sender.send(batch('c\n'))
    expect(await pending(third)).toBe(true)
    await m.releaseOne()
    await third
    await m.releaseOne()
    await m.releaseOne()
    await sender.drain()
    expect(m.handled).toEqual(['a\n', 'b\n', 'c\n'])
    const acks = log.filter((e) => e.from === 'main').map((e) => e.message as ChannelControl)
    expect(acks.map((a) => a.type)).toEqual(['ack', 'ack', 'ack'])
    // Each batch's bytes were moved, not copied.
    for (const e of log.filter((x) => x.from === 'worker'))
      expect(e.transfer).toEqual([(e.message as ReplicationBatch).lines.buffer])
  })

  it('order: the end message is handled after every batch sent before it, and needs no credit', async () => {
    const { worker, main } = fakePorts()
    const sender = new BatchSender<ReplicationBatch, ReplicationEnd>(worker, 1)
    const m = slowMain(main)
    await sender.send(batch('a\n'))
    const second = sender.send(batch('b\n'))
    await m.releaseOne()
    await second
    sender.post(end())
    await turn()
    expect(m.ended()).toBeUndefined()
    await m.releaseOne()
    await m.receiver.idle()
    expect(m.handled).toEqual(['a\n', 'b\n'])
    expect(m.ended()).toMatchObject({ type: 'end', position })
  })

  it('buffers stdout is done with go back with the next ack and are filled again', async () => {
    const { worker, main, log } = fakePorts()
    const sender = new BatchSender<ReplicationBatch, ReplicationEnd>(worker, 2)
    const m = slowMain(main)
    const first = batch('x'.repeat(100))
    await sender.send(first)
    await m.releaseOne()
    await sender.send(batch('y\n'))
    await m.releaseOne()
    const acks = log.filter((e) => e.from === 'main').map((e) => e.message as ChannelControl)
    expect(acks[0]).toEqual({ type: 'ack', buffers: [first.lines.buffer] })
    const again = sender.encode('z'.repeat(50))
    expect(again.buffer).toBe(first.lines.buffer)
  })

  it('stop: the worker sees it (onStop once) and still sends what it has; abort rejects a send waiting for credit', async () => {
    const { worker, main } = fakePorts()
    const sender = new BatchSender<ReplicationBatch, ReplicationEnd>(worker, 1)
    const m = slowMain(main)
    let stops = 0
    sender.onStop = () => stops++
    m.receiver.stop()
    await turn()
    expect(sender.stopRequested).toBe(true)
    expect(stops).toBe(1)
    await sender.send(batch('last\n'))
    const waiting = sender.send(batch('more\n'))
    m.receiver.abort()
    await expect(waiting).rejects.toBeInstanceOf(ChannelAborted)
    expect(stops).toBe(1)
  })

  it('failure: a batch that cannot be written is kept as the error, later batches are acknowledged unwritten, the worker never waits forever', async () => {
    const { worker, main } = fakePorts()
    const sender = new BatchSender<ReplicationBatch, ReplicationEnd>(worker, 1)
    const written: string[] = []
    const receiver = new BatchReceiver<ReplicationBatch, ReplicationEnd>(main, {
      batch: async (b) => {
        const text = Buffer.from(b.lines).toString('utf8')
        if (text === 'bad\n') throw new Error('stdout was closed by its reader')
        written.push(text)
      },
    })
    await sender.send(batch('ok\n'))
    await sender.send(batch('bad\n'))
    await sender.send(batch('after\n'))
    await sender.drain()
    await receiver.idle()
    expect(written).toEqual(['ok\n'])
    expect((receiver.error as Error).message).toBe('stdout was closed by its reader')
  })
})
