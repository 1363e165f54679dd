/**
 * JSON text written as UTF-8 bytes, byte for byte what the string helpers of json-text.ts give for
 * the same text: string literals escaped as JSON.stringify escapes them plus U+2028/U+2029 (which
 * would end a line for JavaScript and several line readers), and json/jsonb documents minified
 * without touching their numbers. Writers take `out` and a position and return the new position;
 * the caller makes room first (the sizes are in each writer's comment).
 */
import type { ByteSink } from './byte-sink.js'

const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const QUOTE = 0x22
const BACKSLASH = 0x5c
const ZERO = 0x30
/** First byte of U+2028 / U+2029 (E2 80 A8 / E2 80 A9). */
const E2 = 0xe2

const HEX = Buffer.from('0123456789abcdef', 'latin1')

/** `null`; 4 bytes. */
export function writeNullAt(out: Uint8Array, p: number): number {
  out[p] = 0x6e
  out[p + 1] = 0x75
  out[p + 2] = 0x6c
  out[p + 3] = 0x6c
  return p + 4
}

/**
 * One byte that JSON escapes, as JSON.stringify writes it: `\"`, `\\`, `\b \t \n \f \r`, other
 * control characters as `\u00xx`; up to 6 bytes.
 */
function writeEscapedByte(out: Uint8Array, p: number, b: number): number {
  out[p++] = BACKSLASH
  switch (b) {
    case QUOTE:
    case BACKSLASH:
      out[p++] = b
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
    case CR:
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
 * The line separators: if `src[i, end)` starts with U+2028 or U+2029, writes `\u2028` / `\u2029`
 * (6 bytes) and returns the new position; else returns -1 and writes nothing.
 */
function writeLineSeparatorAt(src: Uint8Array, i: number, end: number, out: Uint8Array, p: number): number {
  if (i + 2 >= end || src[i + 1] !== 0x80) return -1
  const last = src[i + 2]
  if (last !== 0xa8 && last !== 0xa9) return -1
  out[p++] = BACKSLASH
  out[p++] = 0x75
  out[p++] = 0x32
  out[p++] = ZERO
  out[p++] = 0x32
  out[p++] = last === 0xa8 ? 0x38 : 0x39
  return p
}

// How writeJsonString reads its input.
/** The bytes are the text. */
export const TEXT_PLAIN = 0
/** Inside a quoted array element: a backslash takes the next byte as it is. */
export const TEXT_ARRAY_QUOTED = 1
/**
 * A raw COPY field (copy-text.ts): the text ends at a tab, and a backslash (an escape, or `\N`)
 * stops the writer so that the caller reads the field properly. The hot path of text columns:
 * most text has no escape, and is then read and written in one pass.
 */
export const TEXT_COPY_FIELD = 2

/**
 * `src[i, end)` (UTF-8 text) as a JSON string literal into `sink`, as jsonString writes it.
 * Room needed beforehand: `end - i + 2` bytes; the writer makes room for its escapes itself, so a
 * value of any size needs room for about its own size, not six times it. Returns where it stopped:
 * `end`, or with TEXT_COPY_FIELD the field's tab or first backslash; at a backslash the
 * literal is left unfinished (and `sink.pos` where the caller should rewind to is its start).
 */
export function writeJsonString(
  src: Uint8Array,
  i: number,
  end: number,
  sink: ByteSink,
  input: number,
): number {
  let out = sink.buf
  let p = sink.pos
  out[p++] = QUOTE
  while (i < end) {
    let c = src[i]
    if (c > QUOTE && c !== BACKSLASH && c !== E2) {
      out[p++] = c
      i++
      continue
    }
    if (input === TEXT_COPY_FIELD && (c === TAB || c === BACKSLASH)) {
      if (c === BACKSLASH) return i
      break
    }
    // Room for this byte's escape (6) and one byte for each one after it, and the closing quote.
    if (p + 7 + (end - i) > out.length) {
      sink.pos = p
      sink.ensure(7 + (end - i))
      out = sink.buf
    }
    if (c === BACKSLASH && input === TEXT_ARRAY_QUOTED && i + 1 < end) c = src[++i]
    if (c === E2) {
      const q = writeLineSeparatorAt(src, i, end, out, p)
      if (q >= 0) {
        p = q
        i += 3
        continue
      }
      out[p++] = c
    } else if (c < SPACE || c === QUOTE || c === BACKSLASH) {
      p = writeEscapedByte(out, p, c)
    } else {
      out[p++] = c
    }
    i++
  }
  out[p++] = QUOTE
  sink.pos = p
  return i
}

/**
 * json/jsonb text (valid JSON) on one line into `sink`, as minifyJson: whitespace outside strings
 * dropped, U+2028/U+2029 inside strings escaped, everything else (numbers included) copied.
 * `copyField`: `src` is a raw COPY field (as TEXT_COPY_FIELD): the value ends at a tab, and a
 * backslash stops the writer. Room needed beforehand: `end - i`; a separator (3 bytes that become
 * 6) makes its own. Returns where it stopped (`end`, a tab or a backslash), or -1.
 */
export function writeMinifiedJson(
  src: Uint8Array,
  i: number,
  end: number,
  sink: ByteSink,
  copyField: boolean,
): number {
  let out = sink.buf
  let p = sink.pos
  while (i < end) {
    const c = src[i]
    if (c === QUOTE) {
      out[p++] = c
      i++
      while (i < end) {
        const d = src[i]
        if (d > QUOTE && d !== BACKSLASH && d !== E2) {
          out[p++] = d
          i++
        } else if (d === BACKSLASH) {
          if (copyField) return i
          out[p++] = d
          if (i + 1 < end) out[p++] = src[i + 1]
          i += 2
        } else if (d === QUOTE) {
          break
        } else if (d === E2) {
          if (p + 6 + (end - i) > out.length) {
            sink.pos = p
            sink.ensure(6 + (end - i))
            out = sink.buf
          }
          const q = writeLineSeparatorAt(src, i, end, out, p)
          if (q >= 0) {
            p = q
            i += 3
          } else {
            out[p++] = d
            i++
          }
        } else {
          // A raw tab ends a COPY field even inside a string (invalid JSON): not this writer's case.
          if (d === TAB && copyField) return -1
          out[p++] = d
          i++
        }
      }
      if (i < end) out[p++] = src[i++]
    } else if (c === SPACE || c === LF || c === CR || c === TAB) {
      if (c === TAB && copyField) break
      i++
    } else {
      if (c === BACKSLASH && copyField) return i
      out[p++] = c
      i++
    }
  }
  sink.pos = p
  return i
}
