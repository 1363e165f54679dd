/**
 * A cursor over one binary protocol message (big-endian integers, NUL-terminated strings, counted
 * byte runs), as the logical replication message formats use them
 * (https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html). Every read checks
 * the bounds: a message cut short or a length that runs past its end is a `BinaryReadError` naming
 * the offset, never a value read from the bytes after it.
 */

export class BinaryReadError extends Error {
  override name = 'BinaryReadError'
}

export class BinaryReader {
  #at = 0

  constructor(readonly buf: Buffer) {}

  get offset(): number {
    return this.#at
  }

  get remaining(): number {
    return this.buf.length - this.#at
  }

  fail(why: string): never {
    throw new BinaryReadError(`${why} at offset ${this.#at} of ${this.buf.length}`)
  }

  #need(n: number, what: string): number {
    const at = this.#at
    if (at + n > this.buf.length) this.fail(`message ends inside ${what}`)
    this.#at = at + n
    return at
  }

  uint8(what = 'a byte'): number {
    return this.buf[this.#need(1, what)]
  }

  int16(what = 'an Int16'): number {
    return this.buf.readInt16BE(this.#need(2, what))
  }

  int32(what = 'an Int32'): number {
    return this.buf.readInt32BE(this.#need(4, what))
  }

  uint32(what = 'an Int32'): number {
    return this.buf.readUInt32BE(this.#need(4, what))
  }

  /** An Int64 read as unsigned (LSNs). */
  uint64(what = 'an Int64'): bigint {
    return this.buf.readBigUInt64BE(this.#need(8, what))
  }

  int64(what = 'an Int64'): bigint {
    return this.buf.readBigInt64BE(this.#need(8, what))
  }

  /** A NUL-terminated UTF-8 string (the walsender converted it to the client encoding, UTF8). */
  cstring(what = 'a string'): string {
    const start = this.#at
    const end = this.buf.indexOf(0, start)
    if (end < 0) this.fail(`unterminated ${what}`)
    this.#at = end + 1
    return this.buf.toString('utf8', start, end)
  }

  /** `n` bytes as UTF-8 text. */
  utf8(n: number, what = 'a value'): string {
    if (n < 0) this.fail(`negative length ${n} of ${what}`)
    const at = this.#need(n, what)
    return this.buf.toString('utf8', at, at + n)
  }

  skip(n: number, what = 'bytes'): void {
    if (n < 0) this.fail(`negative length ${n} of ${what}`)
    this.#need(n, what)
  }
}
