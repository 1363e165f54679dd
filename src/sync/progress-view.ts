/**
 * The live progress view: progress-model.ts's lines, redrawn in place on stderr (a terminal) by
 * log-update, at most every FRAME_MS from an unref'd timer; the sync's events only update the model,
 * so the data path never waits for the terminal.
 *
 * Everything else written to stderr while the view is up (the logger's warnings and errors, the
 * lines worker threads write, which Node pipes into the main thread's process.stderr, a Node
 * warning) goes above the view: stderr's `write` is wrapped to erase the frame first and redraw it
 * after, on the next turn (one redraw for a burst of lines). A partial line holds the frame back
 * until its newline. close() leaves the final summary on the screen, shows the cursor again and
 * unwraps stderr; it also runs on process exit (a second SIGINT/SIGTERM exits at once).
 */
import { createLogUpdate } from 'log-update'
import type { ReplicationMethod } from '../config/schema.js'
import type { StreamStatus } from '../log/metrics.js'
import type { ProgressSink } from './progress.js'
import { ProgressModel, type Clock, type RunEnd } from './progress-model.js'

/** At most ten frames a second. */
export const FRAME_MS = 100
const HIDE_CURSOR = '\u001B[?25l'
const SHOW_CURSOR = '\u001B[?25h'

type Write = NodeJS.WriteStream['write']

export class LiveView implements ProgressSink {
  readonly live = true
  readonly #model: ProgressModel
  readonly #stream: NodeJS.WriteStream
  readonly #write: (text: string) => void
  readonly #update: ReturnType<typeof createLogUpdate>
  readonly #timer: NodeJS.Timeout
  readonly #unwrap: () => void
  readonly #onExit = (): void => this.close('stopped')
  #shown = false
  #midLine = false
  #redraw: NodeJS.Immediate | undefined
  #closed = false

  constructor(stream: NodeJS.WriteStream, clock: Clock = Date.now) {
    this.#stream = stream
    this.#model = new ProgressModel(clock)
    const original = stream.write
    const hadOwn = Object.hasOwn(stream, 'write')
    this.#write = (text) => {
      original.call(stream, text)
    }
    // log-update writes through this, not through the wrapped write below.
    const screen = {
      isTTY: true,
      get columns() {
        return screenSize(stream).width
      },
      get rows() {
        return screenSize(stream).height
      },
      write: (text: string) => original.call(stream, text),
    }
    // showCursor: the cursor is hidden and shown here, not by cli-cursor (which writes to
    // process.stderr, that is through the wrapper, from inside a redraw).
    this.#update = createLogUpdate(screen as unknown as NodeJS.WritableStream, { showCursor: true })
    const wrapped = ((...args: Parameters<Write>): boolean => {
      this.#eraseFrame()
      const ok = Reflect.apply(original, stream, args) as boolean
      const end = lastChar(args[0])
      if (end !== undefined) this.#midLine = end !== 0x0a
      if (!this.#midLine) this.#redrawSoon()
      return ok
    }) as Write
    stream.write = wrapped
    this.#unwrap = () => {
      if (stream.write !== wrapped) return
      if (hadOwn) stream.write = original
      else delete (stream as { write?: Write }).write
    }
    this.#write(HIDE_CURSOR)
    this.#timer = setInterval(() => this.#draw(), FRAME_MS)
    this.#timer.unref()
    process.on('exit', this.#onExit)
  }

  planned(streams: ReadonlyArray<{ readonly stream: string; readonly method: ReplicationMethod }>): void {
    this.#model.planned(streams)
  }
  started(
    stream: string,
    estimatedRows: number,
    chunks?: { readonly total: number; readonly done: number },
  ): void {
    this.#model.started(stream, estimatedRows, chunks)
  }
  advanced(stream: string, rows: number): void {
    this.#model.advanced(stream, rows)
  }
  chunkDone(stream: string): void {
    this.#model.chunkDone(stream)
  }
  ended(stream: string, status: StreamStatus): void {
    this.#model.ended(stream, status)
  }
  replicationStarted(streams: readonly string[]): void {
    this.#model.replicationStarted(streams)
  }
  replicated(stream: string, messages: number): void {
    this.#model.replicated(stream, messages)
  }
  walPosition(written: bigint, serverLsn?: bigint): void {
    this.#model.walPosition(written, serverLsn)
  }
  replicationEnded(status: StreamStatus): void {
    this.#model.replicationEnded(status)
  }

  close(end: RunEnd): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    if (this.#redraw !== undefined) clearImmediate(this.#redraw)
    process.off('exit', this.#onExit)
    this.#model.finish(end)
    this.#eraseFrame()
    this.#unwrap()
    const lines = this.#model.lines(screenSize(this.#stream))
    this.#write(`${this.#midLine ? '\n' : ''}${lines.join('\n')}\n${SHOW_CURSOR}`)
  }

  #draw(): void {
    if (this.#closed || this.#midLine) return
    this.#update(this.#model.lines(screenSize(this.#stream)).join('\n'))
    this.#shown = true
  }

  #eraseFrame(): void {
    if (!this.#shown) return
    this.#update.clear()
    this.#shown = false
  }

  #redrawSoon(): void {
    if (this.#redraw !== undefined || this.#closed) return
    this.#redraw = setImmediate(() => {
      this.#redraw = undefined
      this.#draw()
    })
  }
}

/** A terminal that does not know its size (0 × 0, as a pty nobody sized) counts as 80 × 24. */
function screenSize(stream: NodeJS.WriteStream): { width: number; height: number } {
  return { width: stream.columns > 0 ? stream.columns : 80, height: stream.rows > 0 ? stream.rows : 24 }
}

/** The chunk's last character code (byte), undefined for an empty chunk. */
function lastChar(chunk: unknown): number | undefined {
  if (typeof chunk === 'string') return chunk.length === 0 ? undefined : chunk.charCodeAt(chunk.length - 1)
  if (chunk instanceof Uint8Array) return chunk.length === 0 ? undefined : chunk[chunk.length - 1]
  return undefined
}
