/**
 * Per-type writers of the byte path: one non-NULL value's text (COPY escapes already undone:
 * copy-text.ts) → its JSON text, byte for byte what the string renderers (render.ts) give for the
 * same text. Each writes `buf[i, end)` at `out[p]` and returns the new position; a writer that may
 * meet a form it does not handle returns -1 having written nothing, and the caller falls back to the
 * string renderer (which also reports a malformed value). Room: see each writer.
 */
import type { PgValueType } from './pg-type.js'
import { type ByteSink, copyBytes } from './byte-sink.js'
import { TEXT_ARRAY_QUOTED, TEXT_PLAIN, writeJsonString, writeNullAt } from './json-bytes.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const DASH = 0x2d
const PLUS = 0x2b
const DOT = 0x2e
const SPACE = 0x20
const ZERO = 0x30
const COMMA = 0x2c
const LBRACE = 0x7b
const RBRACE = 0x7d

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** Whether the text starts `NaN`, `Infinity` or `-Infinity` (numeric/float values with no JSON form). */
export function isSpecialNumber(buf: Uint8Array, i: number): boolean {
  const c = buf[i]
  return c === 0x4e || c === 0x49 || (c === DASH && buf[i + 1] === 0x49)
}

/** numeric / float: the text, except NaN and ±Infinity, which become null (as renderNumeric). Room: length. */
export function writeNumber(buf: Uint8Array, i: number, end: number, out: Uint8Array, p: number): number {
  return isSpecialNumber(buf, i) ? writeNullAt(out, p) : copyBytes(buf, i, end, out, p)
}

/** `t` / `f` → `true` / `false`; room: 5. */
export function writeBoolean(buf: Uint8Array, i: number, end: number, out: Uint8Array, p: number): number {
  if (end - i !== 1) return -1
  const c = buf[i]
  if (c === 0x74) {
    out[p] = 0x74
    out[p + 1] = 0x72
    out[p + 2] = 0x75
    out[p + 3] = 0x65
    return p + 4
  }
  if (c !== 0x66) return -1
  out[p] = 0x66
  out[p + 1] = 0x61
  out[p + 2] = 0x6c
  out[p + 3] = 0x73
  out[p + 4] = 0x65
  return p + 5
}

const T_MIDNIGHT_UTC = Buffer.from('T00:00:00+00:00"')
const UTC_SUFFIX = Buffer.from('+00:00"')

/** `YYYY-MM-DD` → `"YYYY-MM-DDT00:00:00+00:00"` (as renderDate); other forms -1. Room: 27. */
export function writeDate(buf: Uint8Array, i: number, end: number, out: Uint8Array, p: number): number {
  if (end - i !== 10 || !isDigit(buf[i]) || buf[i + 4] !== DASH) return -1
  out[p++] = QUOTE
  p = copyBytes(buf, i, end, out, p)
  return copyBytes(T_MIDNIGHT_UTC, 0, T_MIDNIGHT_UTC.length, out, p)
}

/**
 * `YYYY-MM-DD HH:MM:SS[.f{1,6}]` (and, `withZone`, the same followed by `+00`) →
 * `"YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00"`, the fraction padded to 6 digits (as renderTimestamp /
 * renderTimestamptz). Other forms (BC, years past 9999, infinity, other offsets) -1. Room: 36.
 */
export function writeTimestamp(
  buf: Uint8Array,
  i: number,
  end: number,
  out: Uint8Array,
  p: number,
  withZone: boolean,
): number {
  if (withZone) {
    // Sessions run in UTC: the offset is `+00`.
    if (buf[end - 3] !== PLUS || buf[end - 2] !== ZERO || buf[end - 1] !== ZERO) return -1
    end -= 3
  }
  const n = end - i
  if (n < 19 || !isDigit(buf[i]) || buf[i + 4] !== DASH || buf[i + 10] !== SPACE) return -1
  if (n > 19 && (buf[i + 19] !== DOT || n > 26)) return -1
  // A BC value ends in ' BC' (timestamptz: after the offset, so `+00` did not match above).
  if (buf[end - 1] === 0x43) return -1
  out[p++] = QUOTE
  p = copyBytes(buf, i, i + 10, out, p)
  out[p++] = 0x54 // T
  p = copyBytes(buf, i + 11, end, out, p)
  if (n > 19) for (let k = n; k < 26; k++) out[p++] = ZERO
  return copyBytes(UTC_SUFFIX, 0, UTC_SUFFIX.length, out, p)
}

/** Element kinds of the arrays written byte to byte; -1: not one of them. */
export const E_INTEGER = 0
export const E_NUMBER = 1
export const E_TEXT = 2

export function arrayElementCode(type: PgValueType): number {
  if (type.kind !== 'array' || type.delimiter !== ',') return -1
  switch (type.element.kind) {
    case 'integer':
      return E_INTEGER
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
function isNullWord(buf: Uint8Array, i: number, end: number): boolean {
  return end - i === 4 && buf[i] === 0x4e && buf[i + 1] === 0x55 && buf[i + 2] === 0x4c && buf[i + 3] === 0x4c
}

/**
 * An array of integers, numerics, floats or text (any dimensions, `,` delimiter; `element` is its
 * E_* code) as nested JSON arrays, as renderArray writes it, at `sink.pos`; returns the new end
 * (the caller sets `sink.pos`), or -1 for anything it does not expect. Room: 6 bytes per input byte + 2.
 */
export function writeArray(buf: Uint8Array, i: number, end: number, sink: ByteSink, element: number): number {
  const start = sink.pos
  const p = arrayBody(buf, i, end, sink, element)
  sink.pos = start
  return p
}

function arrayBody(buf: Uint8Array, i: number, end: number, sink: ByteSink, element: number): number {
  let out = sink.buf
  let p = sink.pos
  // `[1:2]={...}`: bounds other than 1 carry no values.
  if (buf[i] === 0x5b) {
    while (i < end && buf[i] !== 0x3d) i++
    i++
  }
  if (i >= end || buf[i] !== LBRACE || buf[end - 1] !== RBRACE) return -1
  let depth = 0
  // After an element or '}' only ',' or '}' may follow; after '{' or ',' an element or '{'.
  let afterItem = false
  while (i < end) {
    const c = buf[i]
    if (c === LBRACE) {
      if (afterItem) return -1
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
      if (!afterItem) return -1
      out[p++] = COMMA
      afterItem = false
      i++
    } else {
      if (afterItem || depth === 0) return -1
      afterItem = true
      if (c === QUOTE) {
        // Only text elements come quoted in the forms expected here.
        if (element !== E_TEXT) return -1
        let j = i + 1
        while (j < end && buf[j] !== QUOTE) j += buf[j] === BACKSLASH ? 2 : 1
        if (j >= end) return -1
        sink.pos = p
        writeJsonString(buf, i + 1, j, sink, TEXT_ARRAY_QUOTED)
        out = sink.buf
        p = sink.pos
        i = j + 1
      } else {
        let j = i
        while (j < end && buf[j] !== COMMA && buf[j] !== RBRACE) j++
        if (isNullWord(buf, i, j)) {
          p = writeNullAt(out, p)
        } else if (element === E_TEXT) {
          sink.pos = p
          writeJsonString(buf, i, j, sink, TEXT_PLAIN)
          out = sink.buf
          p = sink.pos
        } else {
          const d = buf[i]
          if (i === j || d === QUOTE || d === BACKSLASH || d === LBRACE) return -1
          p = element === E_NUMBER ? writeNumber(buf, i, j, out, p) : copyBytes(buf, i, j, out, p)
        }
        i = j
      }
    }
  }
  if (depth !== 0 || i !== end) return -1
  return p
}
