/**
 * The fields of one COPY text row (docs/types.md), parsed from bytes with no I/O and no rendering:
 * where each field ends, whether it is NULL, and its bytes with the COPY escapes undone.
 *
 * `COPY ... TO STDOUT` in text format sends a row as the columns' text output, tab-separated, with
 * `\N` for NULL and backslash escapes for backslash, newline, CR, tab, backspace, form feed and
 * vertical tab (COPY FROM also knows octal `\ddd` and hex `\xHH`; they are undone too). A data
 * backslash is always escaped, so a raw tab always ends a field and a bare `\N` is always NULL. The
 * bytes are the client encoding, UTF-8. A row arrives whole (one CopyData message: src/pg/copy-out.ts)
 * as a range of a larger buffer: nothing here reads outside `[start, rowEnd)`.
 */

const TAB = 0x09
const LF = 0x0a
const BACKSLASH = 0x5c

const EMPTY = Buffer.alloc(0)

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

/**
 * Writes `src[i, end)` with its COPY escapes undone into `out` from `p`; returns the new end in
 * `out`. `out` needs room for `end - i` bytes (an escape is never shorter than what it stands for).
 */
export function unescapeInto(src: Uint8Array, i: number, end: number, out: Uint8Array, p: number): number {
  while (i < end) {
    const c = src[i++]
    if (c !== BACKSLASH) {
      out[p++] = c
      continue
    }
    // A backslash at the very end stands for itself (the server never sends one).
    const d = i < end ? src[i++] : BACKSLASH
    switch (d) {
      case 0x6e: // n
        out[p++] = LF
        break
      case 0x74: // t
        out[p++] = TAB
        break
      case 0x72: // r
        out[p++] = 0x0d
        break
      case 0x62: // b
        out[p++] = 0x08
        break
      case 0x66: // f
        out[p++] = 0x0c
        break
      case 0x76: // v
        out[p++] = 0x0b
        break
      case 0x78: {
        // x: one or two hex digits; without any, a plain 'x'
        const h1 = i < end ? hexValue(src[i]) : -1
        if (h1 < 0) {
          out[p++] = 0x78
          break
        }
        i++
        const h2 = i < end ? hexValue(src[i]) : -1
        if (h2 < 0) {
          out[p++] = h1
          break
        }
        i++
        out[p++] = h1 * 16 + h2
        break
      }
      default:
        if (d >= 0x30 && d <= 0x37) {
          // octal, one to three digits
          let v = d - 0x30
          for (let k = 0; k < 2 && i < end && src[i] >= 0x30 && src[i] <= 0x37; k++)
            v = v * 8 + (src[i++] - 0x30)
          out[p++] = v & 0xff
        } else {
          // Any other character stands for itself (the backslash itself included).
          out[p++] = d
        }
    }
  }
  return p
}

/**
 * Reads the fields of COPY text rows one after the other. After `next`, the field's value is
 * `buf[start, end)` with its escapes undone: a range of the row itself when it has no backslash (the
 * common case: no copy), else of a scratch buffer that the next call may overwrite.
 */
export class CopyFieldReader {
  buf: Buffer = EMPTY
  start = 0
  end = 0
  /** Whether the field read last is `\N`; then `buf[start, end)` is empty. */
  isNull = false
  #scratch: Buffer = EMPTY

  /**
   * Reads the field that starts at `i` in a row that ends at `rowEnd` (exclusive, without its '\n');
   * returns the index of the field's end in `src` (its tab, or `rowEnd`).
   */
  next(src: Buffer, i: number, rowEnd: number): number {
    let j = i
    let escaped = false
    while (j < rowEnd) {
      const c = src[j]
      if (c === TAB) break
      if (c === BACKSLASH) escaped = true
      j++
    }
    if (!escaped) {
      this.isNull = false
      this.buf = src
      this.start = i
      this.end = j
      return j
    }
    if (j - i === 2 && src[i] === BACKSLASH && src[i + 1] === 0x4e) {
      // `\N`, and only NULL: a data backslash would be `\\`.
      this.isNull = true
      this.buf = EMPTY
      this.start = this.end = 0
      return j
    }
    this.isNull = false
    if (this.#scratch.length < j - i)
      this.#scratch = Buffer.allocUnsafe(Math.max(j - i, 2 * this.#scratch.length, 256))
    this.buf = this.#scratch
    this.start = 0
    this.end = unescapeInto(src, i, j, this.#scratch, 0)
    return j
  }

  /** The field read last as a JS string (UTF-8 decoded). */
  text(): string {
    return this.buf.toString('utf8', this.start, this.end)
  }
}

/**
 * The hot path of fields that are copied as they are (integers, numerics): copies the field that
 * starts at `i` to `out[p]` and returns its end (its tab or `rowEnd`), or -1 if it has a backslash
 * (an escape or `\N`: read it with CopyFieldReader), having then copied part of it.
 */
export function copyPlainField(
  src: Uint8Array,
  i: number,
  rowEnd: number,
  out: Uint8Array,
  p: number,
): number {
  while (i < rowEnd) {
    const c = src[i]
    if (c === TAB) return i
    if (c === BACKSLASH) return -1
    out[p++] = c
    i++
  }
  return i
}

/** The field `src[i, end)` as a JS string, escapes undone (for one value now and then: it may allocate). */
export function copyFieldText(src: Buffer, i: number, end: number): string {
  let b = i
  while (b < end && src[b] !== BACKSLASH) b++
  if (b === end) return src.toString('utf8', i, end)
  const out = Buffer.allocUnsafe(end - i)
  return out.toString('utf8', 0, unescapeInto(src, i, end, out, 0))
}

/** The unsigned decimal at `src[i, end)` (an xmin), or NaN if it is not one. */
export function parseUnsigned(src: Uint8Array, i: number, end: number): number {
  if (i >= end) return Number.NaN
  let v = 0
  for (; i < end; i++) {
    const c = src[i]
    if (c < 0x30 || c > 0x39) return Number.NaN
    v = v * 10 + (c - 0x30)
  }
  return v
}
