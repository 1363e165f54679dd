/**
 * A growable buffer of UTF-8 output, written byte by byte by the COPY record writers. `buf` and
 * `pos` are public for the writers' tight loops: a writer calls `ensure` for what it may write, then
 * writes into `buf` from `pos` and moves `pos` on.
 */
export class ByteSink {
  buf: Buffer
  pos = 0

  constructor(capacity: number) {
    // allocUnsafeSlow: an ArrayBuffer of its own (never the shared pool), so it can be transferred.
    this.buf = Buffer.allocUnsafeSlow(capacity)
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.#grow(n)
  }

  #grow(n: number): void {
    // Doubling: a row of any size costs its size in copies, not its size times its pieces.
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  /** The bytes written so far, in a buffer of their own; the sink starts over in `next` (or a new one). */
  take(nextCapacity: number, next?: Buffer): Buffer {
    const out = this.buf.subarray(0, this.pos)
    this.buf = next ?? Buffer.allocUnsafeSlow(nextCapacity)
    this.pos = 0
    return out
  }

  /** Appends `bytes` (making room). */
  writeBytes(bytes: Uint8Array): void {
    const n = bytes.length
    this.ensure(n)
    // A whole array: set() costs the same for 10 bytes or 100, a loop about 2 ns a byte (the
    // RECORD prefix and suffix of every line are 50 to 100 bytes).
    if (n > 16) this.buf.set(bytes, this.pos)
    else for (let j = 0; j < n; j++) this.buf[this.pos + j] = bytes[j]
    this.pos += n
  }

  /** Appends `s` as UTF-8 (making room). */
  writeString(s: string): void {
    this.ensure(s.length * 3)
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }
}

/** Copies `src[from, to)` to `out` at `p`; returns the new end. Short ranges: a loop beats a native call. */
export function copyBytes(src: Uint8Array, from: number, to: number, out: Uint8Array, p: number): number {
  if (to - from > 64) {
    out.set(src.subarray(from, to), p)
    return p + to - from
  }
  for (let j = from; j < to; j++) out[p++] = src[j]
  return p
}
