/**
 * Array text (`{1,NULL,"a,b"}`, `{{1,2},{3,4}}`, `[0:1]={7,8}`) → nested JSON array text, each
 * element rendered by its element type's renderer. Parsed locally, never by a query.
 */
import { parse } from 'postgres-array'
import { TapError } from '../errors.js'
import { unexpectedText } from './errors.js'

type ElementRenderer = (text: string) => string
type Nested = Array<string | null | Nested>

function toJson(items: Nested): string {
  let out = '['
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ','
    const v = items[i]
    out += v === null ? 'null' : typeof v === 'string' ? v : toJson(v)
  }
  return out + ']'
}

/**
 * `text` rendered with `element` for every non-NULL element. postgres-array only knows ',' as the
 * delimiter; box[] uses ';' (its elements contain commas), so other delimiters take the small
 * parser below.
 */
export function renderArray(text: string, delimiter: string, element: ElementRenderer): string {
  let parsed: Nested
  try {
    parsed = delimiter === ',' ? (parse(text, element) as Nested) : parseDelimited(text, delimiter, element)
  } catch (e) {
    // Renderer errors (a bad element) are already TapErrors; only the parser's own are wrapped.
    if (e instanceof TapError) throw e
    throw unexpectedText('array', text)
  }
  return toJson(parsed)
}

const LBRACE = 0x7b
const RBRACE = 0x7d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * PostgreSQL's array output for any one-character delimiter: elements are quoted when they are
 * empty, contain braces, the delimiter, quotes, backslashes or white space, or are the word NULL;
 * inside quotes `"` and `\` are backslash-escaped. A bare NULL is the SQL NULL. Same result shape
 * as postgres-array's parse.
 */
export function parseDelimited(text: string, delimiter: string, element: ElementRenderer): Nested {
  const delim = delimiter.charCodeAt(0)
  let pos = 0
  // `[1:2]={...}`: PG prints the bounds when a lower bound is not 1; they carry no values.
  if (text.charCodeAt(0) === 0x5b) pos = text.indexOf('=') + 1
  if (text.charCodeAt(pos) !== LBRACE || text.charCodeAt(text.length - 1) !== RBRACE)
    throw new Error('not an array')
  const root: Nested = []
  const stack: Nested[] = []
  let current = root
  pos++
  const end = text.length - 1
  // After an element or a closing brace only a delimiter or '}' may follow.
  let afterItem = false
  while (pos < end) {
    const c = text.charCodeAt(pos)
    if (afterItem && c !== delim && c !== RBRACE) throw new Error('expected a delimiter')
    afterItem = c !== delim && c !== LBRACE
    if (c === LBRACE) {
      const inner: Nested = []
      current.push(inner)
      stack.push(current)
      current = inner
      pos++
    } else if (c === RBRACE) {
      const outer = stack.pop()
      if (!outer) throw new Error("too many '}'")
      current = outer
      pos++
    } else if (c === delim) {
      pos++
    } else if (c === QUOTE) {
      let value = ''
      let start = ++pos
      for (;;) {
        const d = text.charCodeAt(pos)
        if (pos >= end) throw new Error('unterminated quote')
        if (d === BACKSLASH) {
          value += text.slice(start, pos)
          start = pos + 1
          pos += 2
        } else if (d === QUOTE) {
          value += text.slice(start, pos)
          pos++
          break
        } else {
          pos++
        }
      }
      current.push(element(value))
    } else {
      const start = pos
      while (pos < end) {
        const d = text.charCodeAt(pos)
        if (d === delim || d === RBRACE) break
        pos++
      }
      const value = text.slice(start, pos)
      current.push(value === 'NULL' ? null : element(value))
    }
  }
  if (stack.length > 0) throw new Error("missing '}'")
  return root
}
