/**
 * Per-type writers of the byte path: one non-NULL value's text → its JSON text at `sink.pos`, byte
 * for byte what the string renderers (render.ts) give for the same text. Each reads the value that
 * starts at `i` and does not reach past `end`, moves `sink.pos` past what it wrote and returns
 * where the value's text ended. The caller checks that this is where the field ends (so the
 * writers also run on a raw COPY row, in one pass, reading a field up to its tab), and gives any
 * other form to the string renderer (which also reports a malformed value); so does -1, returned
 * for a form a writer does not handle. Room: 40 bytes, or as each writer says.
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
const TAB = 0x09
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

/**
 * numeric / float `buf[i, end)`: the text, except NaN and ±Infinity, which become null (as
 * renderNumeric). Returns `end`.
 */
export function writeNumber(buf: Uint8Array, i: number, end: number, sink: ByteSink): number {
  sink.pos = isSpecialNumber(buf, i)
    ? writeNullAt(sink.buf, sink.pos)
    : copyBytes(buf, i, end, sink.buf, sink.pos)
  return end
}

/** `t` / `f` → `true` / `false`; returns `i + 1`, or -1. */
export function writeBoolean(buf: Uint8Array, i: number, end: number, sink: ByteSink): number {
  if (i >= end) return -1
  const c = buf[i]
  const out = sink.buf
  const p = sink.pos
  if (c === 0x74) {
    out[p] = 0x74
    out[p + 1] = 0x72
    out[p + 2] = 0x75
    out[p + 3] = 0x65
    sink.pos = p + 4
  } else if (c === 0x66) {
    out[p] = 0x66
    out[p + 1] = 0x61
    out[p + 2] = 0x6c
    out[p + 3] = 0x73
    out[p + 4] = 0x65
    sink.pos = p + 5
  } else {
    return -1
  }
  return i + 1
}

const T_MIDNIGHT_UTC = Buffer.from('T00:00:00+00:00"')
const UTC_SUFFIX = Buffer.from('+00:00"')

/** `YYYY-MM-DD` → `"YYYY-MM-DDT00:00:00+00:00"` (as renderDate); returns `i + 10`, or -1. */
export function writeDate(buf: Uint8Array, i: number, end: number, sink: ByteSink): number {
  if (end - i < 10 || !isDigit(buf[i]) || buf[i + 4] !== DASH) return -1
  const out = sink.buf
  let p = sink.pos
  out[p++] = QUOTE
  p = copyBytes(buf, i, i + 10, out, p)
  sink.pos = copyBytes(T_MIDNIGHT_UTC, 0, T_MIDNIGHT_UTC.length, out, p)
  return i + 10
}

/**
 * `YYYY-MM-DD HH:MM:SS[.f{1,6}]` (and, `withZone`, the same followed by `+00`) →
 * `"YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00"`, the fraction padded to 6 digits (as renderTimestamp /
 * renderTimestamptz); returns where that text ends, or -1. Other forms (BC, years past 9999,
 * infinity, other offsets) are not the whole field or -1: the caller gives them to the string renderer.
 */
export function writeTimestamp(
  buf: Uint8Array,
  i: number,
  end: number,
  sink: ByteSink,
  withZone: boolean,
): number {
  if (end - i < 19 || !isDigit(buf[i]) || buf[i + 4] !== DASH || buf[i + 10] !== SPACE) return -1
  let j = i + 19
  if (j < end && buf[j] === DOT) {
    j++
    while (j < end && j < i + 26 && isDigit(buf[j])) j++
  }
  const valueEnd = j
  if (withZone) {
    // Sessions run in UTC: the offset is `+00`.
    if (end - j < 3 || buf[j] !== PLUS || buf[j + 1] !== ZERO || buf[j + 2] !== ZERO) return -1
    j += 3
  }
  const out = sink.buf
  let p = sink.pos
  out[p++] = QUOTE
  p = copyBytes(buf, i, i + 10, out, p)
  out[p++] = 0x54 // T
  p = copyBytes(buf, i + 11, valueEnd, out, p)
  if (valueEnd > i + 19) for (let k = valueEnd - i; k < 26; k++) out[p++] = ZERO
  sink.pos = copyBytes(UTC_SUFFIX, 0, UTC_SUFFIX.length, out, p)
  return j
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
 * E_* code) as nested JSON arrays, as renderArray writes it; returns where the array's text ends,
 * or -1 for anything it does not expect (having then left `sink.pos` as it was). `copyField`: `buf`
 * is a raw COPY field, where a backslash (an escape) gives -1. It makes room as it goes.
 */
export function writeArray(
  buf: Uint8Array,
  i: number,
  end: number,
  sink: ByteSink,
  element: number,
  copyField: boolean,
): number {
  const start = sink.pos
  const j = arrayBody(buf, i, end, sink, element, copyField)
  if (j < 0) sink.pos = start
  return j
}

function arrayBody(
  buf: Uint8Array,
  i: number,
  end: number,
  sink: ByteSink,
  element: number,
  copyField: boolean,
): number {
  let out = sink.buf
  let p = sink.pos
  // `[1:2]={...}`: bounds other than 1 carry no values.
  if (buf[i] === 0x5b) {
    while (i < end && buf[i] !== 0x3d) i++
    i++
  }
  if (i >= end || buf[i] !== LBRACE) return -1
  let depth = 0
  // After an element or '}' only ',' or '}' may follow; after '{' or ',' an element or '{'.
  let afterItem = false
  while (i < end) {
    // Room for a token (`null` for `NaN` is one byte longer) and one byte for each input byte after
    // it: text elements make room for their escapes themselves.
    if (p + 8 + (end - i) > out.length) {
      sink.pos = p
      sink.ensure(8 + (end - i))
      out = sink.buf
    }
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
        while (j < end && buf[j] !== QUOTE) {
          if (copyField && (buf[j] === BACKSLASH || buf[j] === TAB)) return -1
          j += buf[j] === BACKSLASH ? 2 : 1
        }
        if (j >= end) return -1
        sink.pos = p
        writeJsonString(buf, i + 1, j, sink, TEXT_ARRAY_QUOTED)
        out = sink.buf
        p = sink.pos
        i = j + 1
      } else {
        let j = i
        while (j < end && buf[j] !== COMMA && buf[j] !== RBRACE) {
          if (buf[j] === BACKSLASH || (buf[j] === TAB && copyField)) return -1
          j++
        }
        if (isNullWord(buf, i, j)) {
          p = writeNullAt(out, p)
        } else if (element === E_TEXT) {
          sink.pos = p
          writeJsonString(buf, i, j, sink, TEXT_PLAIN)
          out = sink.buf
          p = sink.pos
        } else {
          const d = buf[i]
          if (i === j || d === QUOTE || d === LBRACE) return -1
          p =
            isSpecialNumber(buf, i) && element === E_NUMBER
              ? writeNullAt(out, p)
              : copyBytes(buf, i, j, out, p)
        }
        i = j
      }
    }
  }
  if (depth !== 0) return -1
  sink.pos = p
  return i
}
