/**
 * JSON text helpers shared by the renderer and the catalog/message writers: string literals that keep
 * a message on one line, and a minifier for json/jsonb documents that never touches their numbers.
 */

// JSON.stringify leaves U+2028/U+2029 raw: valid JSON, but line terminators for JavaScript and for
// several line-oriented readers, so a record could be split in two.
const LINE_SEPARATORS = /[\u2028\u2029]/
const LINE_SEPARATORS_ALL = /[\u2028\u2029]/g
// Anything JSON.stringify would change (quote, backslash, control characters, surrogates, which it
// checks for pairing) or we escape on top. Most text has none of these and is just wrapped in quotes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/

function escapeSeparator(c: string): string {
  return c === '\u2028' ? '\\u2028' : '\\u2029'
}

/** A JSON string literal for `text`, escaping control characters and U+2028/U+2029. */
export function jsonString(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return '"' + text + '"'
  const s = JSON.stringify(text)
  return LINE_SEPARATORS.test(s) ? s.replace(LINE_SEPARATORS_ALL, escapeSeparator) : s
}

const SPACE = 0x20
const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * `text` (a json/jsonb value as PostgreSQL prints it, so already valid JSON) on one line: whitespace
 * outside strings dropped, U+2028/U+2029 inside strings escaped. Nothing is parsed, so numbers keep
 * every digit (JSON.parse would round `1.00000000000000000001` and large integers).
 * Raw control characters cannot occur inside strings of valid JSON, so strings are copied as they are.
 */
export function minifyJson(text: string): string {
  const n = text.length
  // Fast path: jsonb prints `{"a": 1, "b": [1, 2]}`; json keeps the user's layout. Most documents
  // need some change, but scalars and already-minified documents come back unchanged.
  let out = ''
  let start = 0 // beginning of the pending slice to copy
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      // Skip the string, honouring backslash escapes.
      i++
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d === BACKSLASH) {
          i += 2
        } else if (d === QUOTE) {
          break
        } else if (d === 0x2028 || d === 0x2029) {
          out += text.slice(start, i) + (d === 0x2028 ? '\\u2028' : '\\u2029')
          start = ++i
        } else {
          i++
        }
      }
      i++
    } else if (c === SPACE || c === LF || c === CR || c === TAB) {
      if (i > start) out += text.slice(start, i)
      i++
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d !== SPACE && d !== LF && d !== CR && d !== TAB) break
        i++
      }
      start = i
    } else {
      i++
    }
  }
  if (start === 0) return text
  return start < n ? out + text.slice(start) : out
}
