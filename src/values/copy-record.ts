/**
 * COPY text rows → RECORD lines, byte to byte (the table-read hot path).
 *
 * `COPY (SELECT ...) TO STDOUT` sends each row as the columns' text output, tab-separated, ending in
 * '\n', with `\N` for NULL and backslash escapes for backslash, newline, CR, tab, backspace, form feed
 * and vertical tab (COPY FROM also knows octal `\ddd` and hex `\xHH`; they are undone too). The bytes
 * are the client encoding, UTF-8.
 *
 * The common types are written straight from those bytes into the output as JSON text, with no JS
 * string or object per value: integers and numerics are copied, text is copied with COPY escapes
 * undone and JSON escapes applied in the same pass, and the common date/time forms are rearranged
 * in place. The result is byte for byte what the string renderers (render.ts) give for the same
 * value; every other form and type is decoded to a JS string and goes through those renderers.
 */
import type { PgValueType } from './pg-type.js'
import { jsonString } from './json-text.js'
import { canClamp, rendererFor, type ClampCounter, type RecordColumn } from './render.js'

const TAB = 0x09
const LF = 0x0a
const QUOTE = 0x22
const BACKSLASH = 0x5c
const DASH = 0x2d
const PLUS = 0x2b
const DOT = 0x2e
const SPACE = 0x20
const ZERO = 0x30

/** A growable buffer of UTF-8 output. `buf` and `pos` are public for the writers' tight loops. */
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

  writeBytes(bytes: Uint8Array): void {
    const n = bytes.length
    this.ensure(n)
    const out = this.buf
    let p = this.pos
    for (let j = 0; j < n; j++) out[p++] = bytes[j]
    this.pos = p
  }

  writeString(s: string): void {
    this.ensure(s.length * 3)
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }
}

/** Whether the field at `i` is `\N` (NULL): data backslashes are always escaped, so `\N` is only NULL. */
function isNull(src: Uint8Array, i: number, rowEnd: number): boolean {
  return src[i] === BACKSLASH && src[i + 1] === 0x4e && (i + 2 === rowEnd || src[i + 2] === TAB)
}

/** End of the field starting at `i`: its tab, or the row's end. */
function fieldEnd(src: Uint8Array, i: number, rowEnd: number): number {
  while (i < rowEnd && src[i] !== TAB) i++
  return i
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

/**
 * Undoes the escape starting at the backslash `src[i]`: writes the byte into `esc.byte` and returns
 * the index after the escape.
 */
function unescapeAt(src: Uint8Array, i: number, end: number, esc: { byte: number }): number {
  const d = i + 1 < end ? src[i + 1] : BACKSLASH
  switch (d) {
    case 0x6e:
      esc.byte = LF
      return i + 2 // n
    case 0x74:
      esc.byte = TAB
      return i + 2 // t
    case 0x72:
      esc.byte = 0x0d
      return i + 2 // r
    case 0x62:
      esc.byte = 0x08
      return i + 2 // b
    case 0x66:
      esc.byte = 0x0c
      return i + 2 // f
    case 0x76:
      esc.byte = 0x0b
      return i + 2 // v
    case 0x78: {
      // x: one or two hex digits; without any, a plain 'x'
      const h1 = i + 2 < end ? hexValue(src[i + 2]) : -1
      if (h1 < 0) {
        esc.byte = 0x78
        return i + 2
      }
      const h2 = i + 3 < end ? hexValue(src[i + 3]) : -1
      if (h2 < 0) {
        esc.byte = h1
        return i + 3
      }
      esc.byte = h1 * 16 + h2
      return i + 4
    }
    default:
      if (d >= 0x30 && d <= 0x37) {
        // octal, one to three digits
        let v = d - 0x30
        let j = i + 2
        for (let k = 0; k < 2 && j < end && src[j] >= 0x30 && src[j] <= 0x37; k++, j++)
          v = v * 8 + (src[j] - 0x30)
        esc.byte = v & 0xff
        return j
      }
      // Any other character stands for itself (the backslash itself included).
      esc.byte = d
      return i + 2
  }
}

const escaped = { byte: 0 }
let scratch = Buffer.allocUnsafeSlow(4096)

/** The field's value as a JS string (escapes undone, UTF-8 decoded), for the string renderers. */
export function copyFieldText(src: Buffer, i: number, end: number): string {
  let b = i
  while (b < end && src[b] !== BACKSLASH) b++
  if (b === end) return src.toString('utf8', i, end)
  if (scratch.length < end - i) scratch = Buffer.allocUnsafeSlow(Math.max(end - i, scratch.length * 2))
  const out = scratch
  let p = 0
  while (i < end) {
    const c = src[i]
    if (c === BACKSLASH) {
      i = unescapeAt(src, i, end, escaped)
      out[p++] = escaped.byte
    } else {
      out[p++] = c
      i++
    }
  }
  return out.toString('utf8', 0, p)
}

/**
 * The field's bytes with COPY escapes undone: `src` itself when it has no backslash, else a copy in
 * a scratch buffer (valid until the next call). Sets `unescaped.buf/start/end`.
 */
const unescaped: { buf: Buffer; start: number; end: number } = { buf: scratch, start: 0, end: 0 }
let scratch2 = Buffer.allocUnsafeSlow(4096)
function unescapeField(src: Buffer, i: number, end: number): void {
  let b = i
  while (b < end && src[b] !== BACKSLASH) b++
  if (b === end) {
    unescaped.buf = src
    unescaped.start = i
    unescaped.end = end
    return
  }
  if (scratch2.length < end - i) scratch2 = Buffer.allocUnsafeSlow(Math.max(end - i, scratch2.length * 2))
  const out = scratch2
  let p = 0
  while (i < end) {
    const c = src[i]
    if (c === BACKSLASH) {
      i = unescapeAt(src, i, end, escaped)
      out[p++] = escaped.byte
    } else {
      out[p++] = c
      i++
    }
  }
  unescaped.buf = out
  unescaped.start = 0
  unescaped.end = p
}

const HEX = Buffer.from('0123456789abcdef', 'latin1')

/**
 * One byte of a JSON string that needs an escape, as JSON.stringify writes it (the string renderer's
 * output): `\"`, `\\`, `\b \t \n \f \r`, other control characters as `\u00xx`. Returns the new pos.
 */
function writeEscapedByte(out: Buffer, p: number, b: number): number {
  out[p++] = BACKSLASH
  switch (b) {
    case QUOTE:
      out[p++] = QUOTE
      return p
    case BACKSLASH:
      out[p++] = BACKSLASH
      return p
    case 0x08:
      out[p++] = 0x62
      return p
    case TAB:
      out[p++] = 0x74
      return p
    case LF:
      out[p++] = 0x6e
      return p
    case 0x0c:
      out[p++] = 0x66
      return p
    case 0x0d:
      out[p++] = 0x72
      return p
    default:
      out[p++] = 0x75 // u00xx
      out[p++] = ZERO
      out[p++] = ZERO
      out[p++] = HEX[b >> 4]
      out[p++] = HEX[b & 15]
      return p
  }
}

/**
 * A text field as a JSON string literal: COPY escapes undone and JSON escapes applied in one pass,
 * U+2028/U+2029 escaped (as jsonString does). Returns the index of the field's end.
 */
function writeText(src: Buffer, i: number, rowEnd: number, sink: ByteSink): number {
  // Plain bytes map 1:1; each escape checks for its own extra room.
  sink.ensure(rowEnd - i + 2)
  let out = sink.buf
  let p = sink.pos
  out[p++] = QUOTE
  while (i < rowEnd) {
    const c = src[i]
    if (c > QUOTE && c !== BACKSLASH && c !== 0xe2) {
      out[p++] = c
      i++
      continue
    }
    if (c === TAB) break
    if (c === 0x20 || c === 0x21) {
      out[p++] = c
      i++
      continue
    }
    if (p + 6 + (rowEnd - i) + 1 > out.length) {
      sink.pos = p
      sink.ensure(6 + (rowEnd - i) + 1)
      out = sink.buf
    }
    if (c === BACKSLASH) {
      i = unescapeAt(src, i, rowEnd, escaped)
      const b = escaped.byte
      if (b < 0x20 || b === QUOTE || b === BACKSLASH) p = writeEscapedByte(out, p, b)
      else out[p++] = b
    } else if (c === 0xe2) {
      // U+2028 / U+2029 are E2 80 A8 / E2 80 A9 in UTF-8.
      const c2 = src[i + 2]
      if (src[i + 1] === 0x80 && (c2 === 0xa8 || c2 === 0xa9) && i + 2 < rowEnd) {
        out[p++] = BACKSLASH
        out[p++] = 0x75
        out[p++] = 0x32
        out[p++] = ZERO
        out[p++] = 0x32
        out[p++] = c2 === 0xa8 ? 0x38 : 0x39
        i += 3
      } else {
        out[p++] = c
        i++
      }
    } else {
      p = writeEscapedByte(out, p, c)
      i++
    }
  }
  out[p++] = QUOTE
  sink.pos = p
  return i
}

/** Integers: their text is the JSON number. */
function writeVerbatim(src: Buffer, i: number, rowEnd: number, sink: ByteSink): number {
  const out = sink.buf
  let p = sink.pos
  while (i < rowEnd && src[i] !== TAB) {
    out[p++] = src[i]
    i++
  }
  sink.pos = p
  return i
}

/** numeric / float: the text, except NaN and ±Infinity, which become null (as renderNumeric). */
function writeNumber(src: Buffer, i: number, rowEnd: number, sink: ByteSink): number {
  const c = src[i]
  if (c === 0x4e || c === 0x49 || (c === DASH && src[i + 1] === 0x49)) {
    writeNull(sink)
    return fieldEnd(src, i, rowEnd)
  }
  return writeVerbatim(src, i, rowEnd, sink)
}

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')

function writeNull(sink: ByteSink): void {
  const out = sink.buf
  const p = sink.pos
  out[p] = 0x6e
  out[p + 1] = 0x75
  out[p + 2] = 0x6c
  out[p + 3] = 0x6c
  sink.pos = p + 4
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

function copyRange(src: Buffer, from: number, to: number, out: Buffer, p: number): number {
  for (let j = from; j < to; j++) out[p++] = src[j]
  return p
}

function writeAscii(s: Uint8Array, out: Buffer, p: number): number {
  for (let j = 0; j < s.length; j++) out[p++] = s[j]
  return p
}

const T_MIDNIGHT_UTC = Buffer.from('T00:00:00+00:00"')
const UTC_SUFFIX = Buffer.from('+00:00"')

/** `YYYY-MM-DD` → `"YYYY-MM-DDT00:00:00+00:00"`; other forms return false (string renderer). */
function writeDate(src: Buffer, i: number, end: number, sink: ByteSink): boolean {
  if (end - i !== 10 || !isDigit(src[i]) || src[i + 4] !== DASH) return false
  const out = sink.buf
  let p = sink.pos
  out[p++] = QUOTE
  p = copyRange(src, i, end, out, p)
  sink.pos = writeAscii(T_MIDNIGHT_UTC, out, p)
  return true
}

/**
 * `YYYY-MM-DD HH:MM:SS[.f{1,6}]` (and, for timestamptz, the same followed by `+00`) →
 * `"YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00"`, the fraction padded to 6 digits (as renderTimestamp /
 * renderTimestamptz). Other forms (BC, years past 9999, infinity, other offsets) return false.
 */
function writeTimestamp(src: Buffer, i: number, end: number, sink: ByteSink, withZone: boolean): boolean {
  if (withZone) {
    // Sessions run in UTC: the offset is `+00`.
    if (src[end - 3] !== PLUS || src[end - 2] !== ZERO || src[end - 1] !== ZERO) return false
    end -= 3
  }
  const n = end - i
  if (n < 19 || !isDigit(src[i]) || src[i + 4] !== DASH || src[i + 10] !== SPACE) return false
  if (n > 19 && (src[i + 19] !== DOT || n > 26)) return false
  // A BC value ends in ' BC' (timestamptz: after the offset, so `+00` did not match above).
  if (src[end - 1] === 0x43) return false
  const out = sink.buf
  let p = sink.pos
  out[p++] = QUOTE
  p = copyRange(src, i, i + 10, out, p)
  out[p++] = 0x54 // T
  p = copyRange(src, i + 11, end, out, p)
  if (n > 19) for (let k = n; k < 26; k++) out[p++] = ZERO
  sink.pos = writeAscii(UTC_SUFFIX, out, p)
  return true
}

/**
 * `buf[i, end)` (escapes undone) as a JSON string literal, with the JSON escapes jsonString writes.
 * `backslashQuotes`: inside a quoted array element, where a backslash takes the next byte as it is.
 * The caller has made room for 6 bytes per input byte + 2.
 */
function writeJsonString(
  buf: Buffer,
  i: number,
  end: number,
  out: Buffer,
  p: number,
  backslashQuotes: boolean,
): number {
  out[p++] = QUOTE
  while (i < end) {
    let c = buf[i]
    if (c > QUOTE && c !== BACKSLASH && c !== 0xe2) {
      out[p++] = c
      i++
      continue
    }
    if (c === BACKSLASH && backslashQuotes) {
      i++
      c = buf[i]
    }
    if (c === 0xe2 && buf[i + 1] === 0x80 && (buf[i + 2] === 0xa8 || buf[i + 2] === 0xa9) && i + 2 < end) {
      out[p++] = BACKSLASH
      out[p++] = 0x75
      out[p++] = 0x32
      out[p++] = ZERO
      out[p++] = 0x32
      out[p++] = buf[i + 2] === 0xa8 ? 0x38 : 0x39
      i += 3
      continue
    }
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) p = writeEscapedByte(out, p, c)
    else out[p++] = c
    i++
  }
  out[p++] = QUOTE
  return p
}

const SP = 0x20
const CR = 0x0d

/**
 * json/jsonb text (valid JSON) on one line, as minifyJson: whitespace outside strings dropped,
 * U+2028/U+2029 inside strings escaped, everything else (numbers included) copied.
 */
function writeJson(src: Buffer, i: number, end: number, sink: ByteSink): void {
  unescapeField(src, i, end)
  const buf = unescaped.buf
  i = unescaped.start
  end = unescaped.end
  // At most 6 output bytes per 3 input bytes (U+2028 → \u2028).
  sink.ensure(2 * (end - i))
  const out = sink.buf
  let p = sink.pos
  while (i < end) {
    const c = buf[i]
    if (c === QUOTE) {
      out[p++] = c
      i++
      while (i < end) {
        const d = buf[i]
        if (d === BACKSLASH) {
          out[p++] = d
          if (i + 1 < end) out[p++] = buf[i + 1]
          i += 2
        } else if (d === QUOTE) {
          break
        } else if (
          d === 0xe2 &&
          buf[i + 1] === 0x80 &&
          (buf[i + 2] === 0xa8 || buf[i + 2] === 0xa9) &&
          i + 2 < end
        ) {
          out[p++] = BACKSLASH
          out[p++] = 0x75
          out[p++] = 0x32
          out[p++] = ZERO
          out[p++] = 0x32
          out[p++] = buf[i + 2] === 0xa8 ? 0x38 : 0x39
          i += 3
        } else {
          out[p++] = d
          i++
        }
      }
      if (i < end) out[p++] = buf[i++]
    } else if (c === SP || c === LF || c === CR || c === TAB) {
      i++
    } else {
      out[p++] = c
      i++
    }
  }
  sink.pos = p
}

const LBRACE = 0x7b
const RBRACE = 0x7d
const COMMA = 0x2c

// Element kinds of the arrays written byte to byte.
const E_VERBATIM = 0
const E_NUMBER = 1
const E_TEXT = 2

function elementCode(type: PgValueType): number {
  if (type.kind !== 'array' || type.delimiter !== ',') return -1
  switch (type.element.kind) {
    case 'integer':
      return E_VERBATIM
    case 'numeric':
    case 'float':
      return E_NUMBER
    case 'text':
      return E_TEXT
    default:
      return -1
  }
}

/** Whether `buf[i, end)` is `NULL` (an unquoted element). */
function isNullWord(buf: Buffer, i: number, end: number): boolean {
  return end - i === 4 && buf[i] === 0x4e && buf[i + 1] === 0x55 && buf[i + 2] === 0x4c && buf[i + 3] === 0x4c
}

/**
 * An array of integers, numerics, floats or text (any dimensions, `,` delimiter) as nested JSON
 * arrays, as renderArray writes it. Returns false, having written nothing, for anything it does
 * not expect; the string renderer then takes the value (and reports it if it is malformed).
 */
function writeArray(src: Buffer, i: number, end: number, sink: ByteSink, element: number): boolean {
  unescapeField(src, i, end)
  const buf = unescaped.buf
  i = unescaped.start
  end = unescaped.end
  // `[1:2]={...}`: bounds other than 1 carry no values.
  if (buf[i] === 0x5b) {
    while (i < end && buf[i] !== 0x3d) i++
    i++
  }
  if (i >= end || buf[i] !== LBRACE || buf[end - 1] !== RBRACE) return false
  sink.ensure(6 * (end - i) + 2)
  const out = sink.buf
  const start = sink.pos
  let p = start
  let depth = 0
  // After an element or '}' only ',' or '}' may follow; after '{' or ',' an element or '{'.
  let afterItem = false
  while (i < end) {
    const c = buf[i]
    if (c === LBRACE) {
      if (afterItem) return false
      out[p++] = 0x5b
      depth++
      i++
    } else if (c === RBRACE) {
      out[p++] = 0x5d
      depth--
      afterItem = true
      i++
      if (depth === 0) break
    } else if (c === COMMA) {
      if (!afterItem) return false
      out[p++] = COMMA
      afterItem = false
      i++
    } else {
      if (afterItem || depth === 0) return false
      afterItem = true
      if (c === QUOTE) {
        // Only text elements come quoted in the forms expected here.
        if (element !== E_TEXT) return false
        let j = i + 1
        while (j < end && buf[j] !== QUOTE) j += buf[j] === BACKSLASH ? 2 : 1
        if (j >= end) return false
        p = writeJsonString(buf, i + 1, j, out, p, true)
        i = j + 1
      } else {
        let j = i
        while (j < end && buf[j] !== COMMA && buf[j] !== RBRACE) j++
        if (isNullWord(buf, i, j)) {
          out[p++] = 0x6e
          out[p++] = 0x75
          out[p++] = 0x6c
          out[p++] = 0x6c
        } else if (element === E_TEXT) {
          p = writeJsonString(buf, i, j, out, p, false)
        } else {
          const d = buf[i]
          if (i === j || d === QUOTE || d === BACKSLASH || d === LBRACE) return false
          if (element === E_NUMBER && (d === 0x4e || d === 0x49 || (d === DASH && buf[i + 1] === 0x49))) {
            out[p++] = 0x6e
            out[p++] = 0x75
            out[p++] = 0x6c
            out[p++] = 0x6c
          } else {
            for (let k = i; k < j; k++) out[p++] = buf[k]
          }
        }
        i = j
      }
    }
  }
  if (depth !== 0 || i !== end) return false
  sink.pos = p
  return true
}

// Column kinds of the byte writers; everything else goes through a string renderer.
const K_VERBATIM = 0
const K_NUMBER = 1
const K_BOOLEAN = 2
const K_TEXT = 3
const K_DATE = 4
const K_TIMESTAMP = 5
const K_TIMESTAMPTZ = 6
const K_JSON = 8
const K_ARRAY = 9
const K_STRING = 7

function kindCode(type: PgValueType): number {
  switch (type.kind) {
    case 'integer':
      return K_VERBATIM
    case 'numeric':
    case 'float':
      return K_NUMBER
    case 'boolean':
      return K_BOOLEAN
    case 'text':
      return K_TEXT
    case 'date':
      return K_DATE
    case 'timestamp':
      return K_TIMESTAMP
    case 'timestamptz':
      return K_TIMESTAMPTZ
    case 'json':
      return K_JSON
    case 'array':
      return elementCode(type) >= 0 ? K_ARRAY : K_STRING
    default:
      return K_STRING
  }
}

/**
 * Renders COPY text rows of `columns` (possibly followed by more fields, e.g. the xmin bookmark) as
 * `{"col":value,...}` into a ByteSink. `renderRow` returns the index where the fields after the
 * columns start (past the last column's tab), and remembers where the field of `markColumn` is.
 */
export class CopyRecordRenderer {
  readonly #n: number
  readonly #kinds: Uint8Array
  readonly #elements: Int8Array
  readonly #keys: Buffer[]
  readonly #renderers: Array<(text: string) => string>
  readonly #fixedBytes: number
  readonly #markColumn: number
  /** Start and end of the mark column's field in the last row, or -1 when it was NULL. */
  markStart = -1
  markEnd = -1

  constructor(columns: readonly RecordColumn[], clamps?: ClampCounter, markColumn = -1) {
    const n = columns.length
    this.#n = n
    this.#markColumn = markColumn
    this.#kinds = new Uint8Array(n)
    this.#elements = new Int8Array(n)
    this.#keys = []
    this.#renderers = []
    let fixed = 2
    for (let k = 0; k < n; k++) {
      const { name, type } = columns[k]
      const key = Buffer.from((k === 0 ? '{' : ',') + jsonString(name) + ':', 'utf8')
      this.#keys.push(key)
      fixed += key.length + 40
      this.#kinds[k] = kindCode(type)
      this.#elements[k] = elementCode(type)
      const r = rendererFor(type)
      if (clamps && canClamp(type)) {
        const onClamp = (): void => clamps.add(name)
        this.#renderers.push((text) => r(text, onClamp))
      } else {
        this.#renderers.push(r as (text: string) => string)
      }
    }
    this.#fixedBytes = fixed
  }

  /** `src[start, rowEnd)` is one row without its '\n'. */
  renderRow(src: Buffer, start: number, rowEnd: number, sink: ByteSink): number {
    const n = this.#n
    sink.ensure(this.#fixedBytes + (rowEnd - start))
    if (n === 0) {
      sink.writeBytes(EMPTY_OBJECT)
      return start
    }
    const kinds = this.#kinds
    const keys = this.#keys
    let i = start
    for (let k = 0; k < n; k++) {
      if (i > rowEnd) throw new Error(`COPY row has fewer fields than the ${n} columns read`)
      sink.pos = writeAscii(keys[k], sink.buf, sink.pos)
      let end: number
      if (isNull(src, i, rowEnd)) {
        writeNull(sink)
        end = i + 2
        if (k === this.#markColumn) this.markStart = this.markEnd = -1
      } else {
        switch (kinds[k]) {
          case K_VERBATIM:
            end = writeVerbatim(src, i, rowEnd, sink)
            break
          case K_NUMBER:
            end = writeNumber(src, i, rowEnd, sink)
            break
          case K_TEXT:
            end = writeText(src, i, rowEnd, sink)
            break
          case K_BOOLEAN: {
            end = fieldEnd(src, i, rowEnd)
            const c = src[i]
            if (end - i === 1 && c === 0x74) sink.pos = writeAscii(TRUE, sink.buf, sink.pos)
            else if (end - i === 1 && c === 0x66) sink.pos = writeAscii(FALSE, sink.buf, sink.pos)
            else this.#viaString(k, src, i, end, sink)
            break
          }
          case K_DATE:
            end = fieldEnd(src, i, rowEnd)
            if (!writeDate(src, i, end, sink)) this.#viaString(k, src, i, end, sink)
            break
          case K_TIMESTAMP:
          case K_TIMESTAMPTZ:
            end = fieldEnd(src, i, rowEnd)
            if (!writeTimestamp(src, i, end, sink, kinds[k] === K_TIMESTAMPTZ))
              this.#viaString(k, src, i, end, sink)
            break
          case K_JSON:
            end = fieldEnd(src, i, rowEnd)
            writeJson(src, i, end, sink)
            break
          case K_ARRAY:
            end = fieldEnd(src, i, rowEnd)
            if (!writeArray(src, i, end, sink, this.#elements[k])) this.#viaString(k, src, i, end, sink)
            break
          default:
            end = fieldEnd(src, i, rowEnd)
            this.#viaString(k, src, i, end, sink)
        }
        if (k === this.#markColumn) {
          this.markStart = i
          this.markEnd = end
        }
      }
      i = end + 1
    }
    const out = sink.buf
    out[sink.pos++] = 0x7d // }
    return i
  }

  #viaString(k: number, src: Buffer, i: number, end: number, sink: ByteSink): void {
    sink.writeString(this.#renderers[k](copyFieldText(src, i, end)))
  }
}

const EMPTY_OBJECT = Buffer.from('{}')

/** The unsigned decimal at `src[i, end)` (an xmin), or NaN if it is not one. */
export function parseUnsigned(src: Uint8Array, i: number, end: number): number {
  if (i >= end) return NaN
  let v = 0
  for (; i < end; i++) {
    const c = src[i]
    if (c < 0x30 || c > 0x39) return NaN
    v = v * 10 + (c - 0x30)
  }
  return v
}
