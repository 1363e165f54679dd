/**
 * Renderers for the types whose server text is (almost) already JSON. Each takes the server's text
 * (never null: NULL is handled by the caller) and returns JSON text.
 */
import { unexpectedText } from './errors.js'
import { minifyJson } from './json-text.js'

/** smallint/integer/bigint print as plain decimal digits: valid JSON, and exact as long as they
 *  never become a JS number. */
export function renderInteger(text: string): string {
  return text
}

/**
 * numeric prints plain decimals (`-0.50`, `12345678901234567890.1234567890`, never an exponent),
 * which are JSON numbers as they are, with the scale's trailing zeros kept. The three special
 * values have no JSON form.
 */
export function renderNumeric(text: string): string {
  const c = text.charCodeAt(0)
  // 'N'aN, 'I'nfinity, '-I'nfinity: checked by character to keep the common path to two compares.
  if (c === 0x4e || c === 0x49 || (c === 0x2d && text.charCodeAt(1) === 0x49)) return 'null'
  return text
}

/**
 * real/double with extra_float_digits > 0 print the shortest text that reads back to the same
 * value (`0.1`, `1e+100`, `1.5e-07`, `-0`): JSON number syntax already. NaN and ±Infinity have no
 * JSON form.
 */
export function renderFloat(text: string): string {
  const c = text.charCodeAt(0)
  if (c === 0x4e || c === 0x49 || (c === 0x2d && text.charCodeAt(1) === 0x49)) return 'null'
  return text
}

export function renderBoolean(text: string): string {
  // 't'/'f' from a table read; the long forms are accepted so a WAL decoder may hand over either.
  if (text === 't' || text === 'true') return 'true'
  if (text === 'f' || text === 'false') return 'false'
  throw unexpectedText('boolean', text)
}

export function renderBit1(text: string): string {
  if (text === '1') return 'true'
  if (text === '0') return 'false'
  throw unexpectedText('bit(1)', text)
}

/** json keeps the user's layout (newlines included), jsonb prints `{"a": 1}`: both are embedded
 *  as the JSON value itself, on one line, digits untouched. */
export const renderJson: (text: string) => string = minifyJson

const HEX = '0123456789abcdef'

/**
 * bytea as lowercase hex without `\x`. The hex output form is the default and what the sessions
 * use; the older escape form (bytea_output=escape, set on a server or role) is decoded too, so a
 * server setting can never turn bytes into wrong hex.
 */
export function renderBytea(text: string): string {
  if (text.charCodeAt(0) === 0x5c && text.charCodeAt(1) === 0x78) return `"${text.slice(2)}"`
  let out = '"'
  const n = text.length
  for (let i = 0; i < n; i++) {
    let b = text.charCodeAt(i)
    if (b === 0x5c) {
      if (text.charCodeAt(i + 1) === 0x5c) {
        i++
      } else {
        const oct = text.slice(i + 1, i + 4)
        if (!/^[0-3][0-7]{2}$/.test(oct)) throw unexpectedText('bytea', text)
        b = parseInt(oct, 8)
        i += 3
      }
    } else if (b < 0x20 || b > 0x7e) {
      // Escape output writes every non-printable byte as octal, so a raw char here is not bytes.
      throw unexpectedText('bytea', text)
    }
    out += HEX[b >> 4] + HEX[b & 15]
  }
  return out + '"'
}
