/**
 * One statement's rows read straight off a pg.Client's socket, as COPY text rows: the socket's
 * chunks are parsed in place and handed over as the row ranges they hold, without a JS string per
 * value or per row. Two statements use it: `COPY ... TO STDOUT` (copy-out.ts: one CopyData message
 * per row, handed over in place) and a cursor's `FETCH` (fetch-out.ts: DataRow messages, written
 * as COPY text rows), so that one renderer reads both. A message cut across chunks is the only
 * one copied, once, into a buffer of its size.
 *
 * While the statement runs the reader takes the socket's data from the driver; at the statement's
 * last message of its own or an ErrorResponse it gives the rest back, and the driver reads
 * CommandComplete / the error and ReadyForQuery as for any query (so `client.query('ROLLBACK')`
 * after a failure just works). Backpressure: the socket is paused while two parsed chunks wait for
 * the consumer.
 */

const ERROR_RESPONSE = 0x45 // E
const MAX_QUEUED = 2

/** The complete rows of one chunk, as COPY text: row i is `buf[starts[i], ends[i])`, without a '\n'. */
export interface RowRanges {
  readonly buf: Buffer
  readonly count: number
  readonly starts: number[]
  readonly ends: number[]
}

export interface Socket {
  on(event: 'data', fn: (chunk: Buffer) => void): void
  listeners(event: 'data'): Array<(chunk: Buffer) => void>
  removeListener(event: 'data', fn: (chunk: Buffer) => void): void
  pause(): void
  resume(): void
}

export interface Connection {
  stream: Socket
  query(text: string): void
}

/** Which messages of the statement's reply carry rows, and which one ends them. */
export interface Framing {
  /** The message code of a row (CopyData `d`, DataRow `D`). */
  readonly row: number
  /** The message code after the last row (CopyDone `c`, CommandComplete `C`). */
  readonly end: number
  /** Whether the end message is the driver's to read (CommandComplete ends the query for pg). */
  readonly endToDriver: boolean
}

/**
 * A pg "submittable" (`client.query(reader)`): `submit` sends the statement as a simple query and
 * takes the socket; `rows()` yields the rows chunk by chunk.
 */
export abstract class SocketRows {
  readonly text: string
  readonly #framing: Framing
  #socket: Socket | undefined
  #driverOnData: ((chunk: Buffer) => void) | undefined
  readonly #onData = (chunk: Buffer): void => this.#parse(chunk)
  readonly #queue: RowRanges[] = []
  /** The start of a message cut before its length: fewer than 5 bytes. */
  #head: Buffer | undefined
  /** A message cut at a chunk's end, at its full size; its first `#filled` bytes have come. */
  #partial: Buffer | undefined
  #filled = 0
  #done = false
  #error: unknown
  #wake: (() => void) | undefined
  #paused = false
  #rowCount = 0

  constructor(text: string, framing: Framing) {
    this.text = text
    this.#framing = framing
  }

  /** Rows parsed so far (all of the statement's once `rows()` has ended). */
  get rowCount(): number {
    return this.#rowCount
  }

  /**
   * The rows of one chunk as COPY text: `starts`/`ends` bound the payloads of its row messages in
   * `buf` (after the 5-byte header).
   */
  protected abstract rowsOf(buf: Buffer, starts: number[], ends: number[]): RowRanges

  /** Called by pg when the query's turn comes. */
  submit(connection: Connection): void {
    const socket = connection.stream
    const listeners = socket.listeners('data')
    if (listeners.length !== 1)
      throw new Error(
        `reading rows: expected the driver's one data listener on the socket, found ${listeners.length}`,
      )
    this.#socket = socket
    this.#driverOnData = listeners[0]
    socket.removeListener('data', this.#driverOnData)
    socket.on('data', this.#onData)
    connection.query(this.text)
  }

  // The driver's callbacks once it reads messages again (after the end or an error).
  handleError(err: unknown): void {
    this.#error ??= err
    this.#giveBack(undefined)
    this.#notify()
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {}

  /** The chunks' rows, in order, until the statement ends; throws the statement's error. */
  async *rows(): AsyncGenerator<RowRanges> {
    for (;;) {
      const next = this.#queue.shift()
      if (next !== undefined) {
        if (this.#paused && this.#queue.length < MAX_QUEUED) {
          this.#paused = false
          this.#socket?.resume()
        }
        yield next
        continue
      }
      if (this.#error !== undefined) throw this.#error
      if (this.#done) return
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /** Hands the socket back to the driver, with the bytes it has still to read. */
  #giveBack(rest: Buffer | undefined): void {
    const socket = this.#socket
    const driver = this.#driverOnData
    if (socket === undefined || driver === undefined) return
    this.#socket = undefined
    this.#driverOnData = undefined
    socket.removeListener('data', this.#onData)
    socket.on('data', driver)
    if (this.#paused) {
      this.#paused = false
      socket.resume()
    }
    if (rest !== undefined && rest.length > 0) driver(rest)
  }

  #parse(chunk: Buffer): void {
    let from = 0
    if (this.#head !== undefined) {
      // Fewer than 5 bytes of the cut message came: its length is not known yet.
      const take = Math.min(5 - this.#head.length, chunk.length)
      const head = Buffer.concat([this.#head, chunk.subarray(0, take)])
      from = take
      this.#head = undefined
      if (head.length < 5) {
        this.#head = head
        return
      }
      this.#startPartial(head, 0)
    }
    const message = this.#partial
    if (message !== undefined) {
      // Fill the cut message, allocated whole once its length was known: each chunk's bytes are
      // copied once, so a row of many chunks costs its size, not its size times its chunks.
      const take = Math.min(message.length - this.#filled, chunk.length - from)
      chunk.copy(message, this.#filled, from, from + take)
      this.#filled += take
      from += take
      if (this.#filled < message.length) return
      this.#partial = undefined
      if (message[0] === this.#framing.end || message[0] === ERROR_RESPONSE) {
        // What follows is the driver's (a short message: the concat is cheap).
        this.#messages(Buffer.concat([message, chunk.subarray(from)]), 0)
        return
      }
      this.#messages(message, 0)
    }
    this.#messages(chunk, from)
  }

  /** Keeps the message cut at `buf[p..]` (the end of a chunk) until the next chunks complete it. */
  #startPartial(buf: Buffer, p: number): void {
    if (buf.length - p < 5) {
      this.#head = Buffer.from(buf.subarray(p))
      return
    }
    const message = Buffer.allocUnsafe(1 + buf.readUInt32BE(p + 1))
    this.#filled = buf.copy(message, 0, p)
    this.#partial = message
  }

  /** Parses the messages of `buf` from `p`; false once the statement is over (the rest is the driver's). */
  #messages(buf: Buffer, p: number): boolean {
    const { row, end: endCode, endToDriver } = this.#framing
    const n = buf.length
    const starts: number[] = []
    const ends: number[] = []
    while (p + 5 <= n) {
      const code = buf[p]
      if (code === ERROR_RESPONSE) {
        this.#push(buf, starts, ends)
        this.#giveBack(buf.subarray(p))
        return false
      }
      const end = p + 1 + buf.readUInt32BE(p + 1)
      if (end > n) break
      if (code === row) {
        starts.push(p + 5)
        ends.push(end)
      } else if (code === endCode) {
        this.#push(buf, starts, ends)
        this.#done = true
        this.#giveBack(buf.subarray(endToDriver ? p : end))
        this.#notify()
        return false
      }
      // CopyOutResponse, RowDescription, and NoticeResponse/ParameterStatus/NotificationResponse
      // in between: skipped.
      p = end
    }
    if (p < n) this.#startPartial(buf, p)
    this.#push(buf, starts, ends)
    return true
  }

  #push(buf: Buffer, starts: number[], ends: number[]): void {
    if (starts.length === 0) return
    this.#rowCount += starts.length
    this.#queue.push(this.rowsOf(buf, starts, ends))
    if (!this.#paused && this.#queue.length >= MAX_QUEUED && this.#socket !== undefined) {
      this.#paused = true
      this.#socket.pause()
    }
    this.#notify()
  }
}
