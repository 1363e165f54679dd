/**
 * The one data channel between a worker and the main thread, used by the table-sync workers and by
 * the replication worker alike (message types: messages.ts):
 *
 *   worker: BatchSender.send(batch)  ──batch (lines moved, not copied)──▶  main: BatchReceiver
 *   worker: credit back, buffers to refill  ◀──────────── ack ─────────────  main: batch written
 *
 * A MessagePort queues without limit, so without credits a fast reader would pile batches up in the
 * main thread while stdout is slow. With them at most `maxInFlight` batches are in flight, and a
 * slow stdout slows the worker, which slows its reads from the server: memory stays bounded.
 *
 * One message back per batch: the `ack` (the batch was handled: written, its bookmark committed,
 * its STATE written if one was due) also carries the buffers stdout has finished with since the
 * last ack, so the worker fills them again instead of allocating (no allocation per batch).
 */
import type { ChannelBatch, ChannelControl } from './messages.js'

/** The part of a MessagePort the channel uses (a test plays either end with a fake). */
export interface ChannelPort {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  close(): void
}

/** Thrown out of `send`/`drain` once the main thread aborted the work. */
export class ChannelAborted extends Error {
  constructor() {
    super('aborted by the main thread')
  }
}

/** `encode` allocates at least this much, so that a buffer given back fits the next batches too. */
const MIN_BUFFER = 64 << 10

/** The worker's end: `B` its batches, `N` the other messages it posts (outside the credits). */
export class BatchSender<B extends ChannelBatch, N = never> {
  readonly #port: ChannelPort
  readonly #maxInFlight: number
  #inFlight = 0
  #stopRequested = false
  #aborted = false
  #wake: (() => void) | undefined
  /** Called once when a stop or an abort arrives (a COPY waiting for the server is cancelled at once). */
  onStop: (() => void) | undefined
  /** Batch buffers the main thread has written out and moved back. */
  readonly #free: ArrayBuffer[] = []

  constructor(port: ChannelPort, maxInFlight: number) {
    this.#port = port
    this.#maxInFlight = Math.max(1, maxInFlight)
    port.on('message', (m) => this.#onControl(m as ChannelControl))
  }

  /** A stop was asked for: finish the batch at hand and end normally. */
  get stopRequested(): boolean {
    return this.#stopRequested || this.#aborted
  }

  get aborted(): boolean {
    return this.#aborted
  }

  /**
   * Posts a batch once a credit is free; `batch.lines.buffer` moves to the main thread (no copy;
   * unusable here afterwards), so it must be the batch's own (ByteSink, `reuse`, `encode`).
   */
  async send(batch: B): Promise<void> {
    if (this.#aborted) throw new ChannelAborted()
    while (this.#inFlight >= this.#maxInFlight) await this.#waitForChange()
    this.#port.postMessage(batch, [batch.lines.buffer as ArrayBuffer])
    this.#inFlight++
  }

  /** A message outside the credits (a notice, or the last message the main thread reads until). */
  post(message: N): void {
    this.#port.postMessage(message)
  }

  /** A buffer of at least `size` bytes that the main thread gave back, if any. */
  reuse(size: number): Buffer | undefined {
    while (this.#free.length > 0) {
      const b = this.#free.pop() as ArrayBuffer
      if (b.byteLength >= size) return Buffer.from(b)
    }
    return undefined
  }

  /** `text` as UTF-8 in a buffer of its own (given back or new), ready to `send`. */
  encode(text: string): Uint8Array {
    // A batch that only moves the position: nothing for stdout, so no buffer to lend out.
    if (text.length === 0) return new Uint8Array(new ArrayBuffer(0))
    // One pass in the common case: a buffer given back with room for the text at one byte per
    // UTF-16 unit and 4 to spare; a write that stops short of its end wrote everything (a
    // character that did not fit would have left fewer than 4 bytes).
    const reused = this.reuse(text.length + 4)
    if (reused !== undefined) {
      const n = reused.write(text)
      if (reused.length - n >= 4) return reused.subarray(0, n)
      this.#free.push(reused.buffer as ArrayBuffer)
    }
    const size = Buffer.byteLength(text)
    // allocUnsafeSlow: never a slice of Node's shared pool, which must not be transferred.
    const buf = this.reuse(size) ?? Buffer.allocUnsafeSlow(Math.max(MIN_BUFFER, size + (size >> 3)))
    return buf.subarray(0, buf.write(text))
  }

  /** Resolves once the main thread has handled every batch sent. */
  async drain(): Promise<void> {
    while (this.#inFlight > 0) await this.#waitForChange()
  }

  close(): void {
    this.#port.close()
  }

  #waitForChange(): Promise<void> {
    if (this.#aborted) return Promise.reject(new ChannelAborted())
    return new Promise<void>((resolve, reject) => {
      this.#wake = () => (this.#aborted ? reject(new ChannelAborted()) : resolve())
    })
  }

  #onControl(m: ChannelControl): void {
    if (m.type === 'ack') {
      this.#inFlight--
      for (const b of m.buffers) if (this.#free.length <= this.#maxInFlight) this.#free.push(b)
    } else {
      if (m.type === 'stop') this.#stopRequested = true
      else this.#aborted = true
      const onStop = this.onStop
      this.onStop = undefined
      onStop?.()
    }
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}

/**
 * What the main thread does with each batch, one after another in arrival order. `written` is
 * handed to the stdout write (SingerOutput.write's `onWritten`): once called, the batch's buffer
 * goes back with the next ack.
 */
export interface BatchHandler<B extends ChannelBatch, N> {
  batch(batch: B, written: () => void): Promise<void>
  /** Any other message (a notice, the worker's last message), in order with the batches. */
  other?(message: N): void | Promise<void>
}

/** Buffers kept on the main side for the next ack: more than a few are never needed. */
const MAX_FREE = 8

/** The main thread's end. */
export class BatchReceiver<B extends ChannelBatch, N = never> {
  readonly #port: ChannelPort
  readonly #handler: BatchHandler<B, N>
  /** Messages are handled one at a time: a port delivers the next while an async handler waits. */
  #chain: Promise<void> = Promise.resolve()
  #freed: ArrayBuffer[] = []
  #closed = false
  #error: unknown

  /** The first error a handler threw (later batches are acknowledged without being handled). */
  get error(): unknown {
    return this.#error
  }

  constructor(port: ChannelPort, handler: BatchHandler<B, N>) {
    this.#port = port
    this.#handler = handler
    port.on('message', (m) => {
      this.#chain = this.#chain
        .then(() => this.#handle(m as B | N))
        .catch((e: unknown) => {
          this.#error ??= e
        })
    })
  }

  /** Ask the worker to stop after what it has read. */
  stop(): void {
    if (!this.#closed) this.#port.postMessage({ type: 'stop' } satisfies ChannelControl)
  }

  /** Ask the worker to drop everything at once. */
  abort(): void {
    if (!this.#closed) this.#port.postMessage({ type: 'abort' } satisfies ChannelControl)
  }

  /** Resolves once every message received so far has been handled. */
  async idle(): Promise<void> {
    let seen: Promise<void>
    do {
      seen = this.#chain
      await seen
    } while (seen !== this.#chain)
  }

  close(): void {
    this.#closed = true
    this.#port.close()
  }

  async #handle(m: B | N): Promise<void> {
    if (!isBatch<B>(m)) {
      await this.#handler.other?.(m as N)
      return
    }
    const buffer = m.lines.buffer as ArrayBuffer
    const written = () => {
      if (this.#freed.length < MAX_FREE && buffer.byteLength > 0) this.#freed.push(buffer)
    }
    try {
      if (this.#error === undefined) await this.#handler.batch(m, written)
    } finally {
      // The credit goes back even when handling failed: the worker must not wait for one that
      // never comes (the caller stops or aborts it).
      if (!this.#closed) {
        const buffers = this.#freed
        this.#freed = []
        this.#port.postMessage({ type: 'ack', buffers } satisfies ChannelControl, buffers)
      }
    }
  }
}

function isBatch<B extends ChannelBatch>(m: unknown): m is B {
  return (m as { type?: unknown }).type === 'batch'
}
