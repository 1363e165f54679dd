import type { Writable } from 'node:stream'
import { TapError } from '../errors.js'

/**
 * The only writer of stdout. Singer messages (or the catalog) are handed over as finished text; a
 * write waits for 'drain' when the reader is slow, so a slow target slows the producers
 * (backpressure) instead of growing memory. EPIPE (the reader went away) becomes OUTPUT_CLOSED.
 */
export class SingerOutput {
  readonly #stream: Writable
  #closed: TapError | undefined
  #waiters: Array<() => void> = []

  constructor(stream: Writable = process.stdout) {
    this.#stream = stream
    stream.on('error', (e: NodeJS.ErrnoException) => {
      this.#closed = new TapError(
        'OUTPUT_CLOSED',
        e.code === 'EPIPE' ? 'stdout was closed by its reader' : `cannot write to stdout: ${e.message}`,
      )
      this.#release()
    })
    stream.on('drain', () => this.#release())
  }

  /**
   * Writes text or UTF-8 bytes (whole lines, each ending in '\n'); resolves once the stream can take
   * more. `onWritten` is called once the stream is done with the bytes (they may then be reused).
   */
  async write(text: string | Uint8Array, onWritten?: () => void): Promise<void> {
    if (this.#closed) throw this.#closed
    if (
      this.#stream.write(
        text,
        onWritten &&
          ((err) => {
            if (!err) onWritten()
          }),
      )
    )
      return
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
    if (this.#closed) throw this.#closed
  }

  /** Resolves when everything written so far has been handed to the OS. */
  async flush(): Promise<void> {
    if (this.#closed) throw this.#closed
    await new Promise<void>((resolve, reject) => {
      this.#stream.write('', (err) => (err ? reject(err) : resolve()))
    }).catch(() => undefined)
    if (this.#closed) throw this.#closed
  }

  #release(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}
