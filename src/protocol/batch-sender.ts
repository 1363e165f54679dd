/**
 * Worker side of a task's port: sends RECORD batches with credit-based flow control and receives
 * stop/abort requests. A MessagePort queues without limit, so without credits a fast table read
 * would pile batches up in the main thread while stdout is slow.
 */
import type { MessagePort } from 'node:worker_threads'
import type { BatchMessage, ControlMessage } from './worker-messages.js'

/** Thrown out of `send`/`drain` once the main thread aborted the task. */
export class TaskAborted extends Error {
  constructor() {
    super('task aborted by the main thread')
  }
}

export class BatchSender {
  readonly #port: MessagePort
  readonly #maxInFlight: number
  #inFlight = 0
  #stopRequested = false
  #aborted = false
  #wake: (() => void) | undefined
  /** Called once when a stop or an abort arrives (a COPY waiting for the server is cancelled at once). */
  onStop: (() => void) | undefined
  /** Batch buffers the main thread has written out and moved back. */
  readonly #free: ArrayBuffer[] = []

  constructor(port: MessagePort, maxInFlight: number) {
    this.#port = port
    this.#maxInFlight = Math.max(1, maxInFlight)
    port.on('message', (m: ControlMessage) => this.#onControl(m))
  }

  /** A stop was asked for: finish the batch at hand and end the task normally. */
  get stopRequested(): boolean {
    return this.#stopRequested || this.#aborted
  }

  get aborted(): boolean {
    return this.#aborted
  }

  /** `transfer`: buffers of the batch that move to the main thread (no copy; unusable here afterwards). */
  async send(batch: BatchMessage, transfer?: ArrayBuffer[]): Promise<void> {
    if (this.#aborted) throw new TaskAborted()
    while (this.#inFlight >= this.#maxInFlight) await this.#waitForChange()
    this.#port.postMessage(batch, transfer)
    this.#inFlight++
  }

  /** A buffer of at least `size` bytes that the main thread gave back, if any. */
  reuse(size: number): Buffer | undefined {
    while (this.#free.length > 0) {
      const b = this.#free.pop() as ArrayBuffer
      if (b.byteLength >= size) return Buffer.from(b)
    }
    return undefined
  }

  /** Resolves once the main thread has written every batch sent. */
  async drain(): Promise<void> {
    while (this.#inFlight > 0) await this.#waitForChange()
  }

  close(): void {
    this.#port.close()
  }

  #waitForChange(): Promise<void> {
    if (this.#aborted) return Promise.reject(new TaskAborted())
    return new Promise<void>((resolve, reject) => {
      this.#wake = () => (this.#aborted ? reject(new TaskAborted()) : resolve())
    })
  }

  #onControl(m: ControlMessage): void {
    if (m.type === 'buffer') {
      if (this.#free.length < this.#maxInFlight + 1) this.#free.push(m.buffer)
      return
    }
    if (m.type === 'ack') this.#inFlight--
    else if (m.type === 'stop') this.#stopRequested = true
    else if (m.type === 'abort') this.#aborted = true
    if (m.type !== 'ack' && this.onStop) {
      const onStop = this.onStop
      this.onStop = undefined
      onStop()
    }
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
