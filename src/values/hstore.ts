/**
 * hstore text → JSON object text, parsed here instead of by a query (pipelinewise opened a
 * connection per value to cast it). hstore_out writes `"k"=>"v", "n"=>NULL`: keys and values in
 * double quotes with `"` and `\` backslash-escaped, NULL bare. Unquoted tokens (what hstore_in
 * also accepts) are read too, so a hand-written or differently-normalised text still parses.
 */
import { unexpectedText } from './errors.js'
import { jsonString } from './json-text.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const EQUALS = 0x3d
const GT = 0x3e

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
}

class Scanner {
  pos = 0
  /** Whether the last token read was in quotes (a quoted "NULL" is the string, not NULL). */
  quoted = false
  constructor(readonly text: string) {}

  skipSpace(): void {
    const t = this.text
    while (this.pos < t.length && isSpace(t.charCodeAt(this.pos))) this.pos++
  }

  token(): string {
    const t = this.text
    if (t.charCodeAt(this.pos) === QUOTE) {
      this.quoted = true
      return this.quotedToken()
    }
    this.quoted = false
    const start = this.pos
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos)
      if (isSpace(c) || c === COMMA || (c === EQUALS && t.charCodeAt(this.pos + 1) === GT)) break
      // A backslash takes the next character into the token, whatever it is.
      this.pos += c === BACKSLASH ? 2 : 1
    }
    if (this.pos > t.length) throw unexpectedText('hstore', t)
    const token = t.slice(start, this.pos)
    if (token.length === 0) throw unexpectedText('hstore', t)
    return token.includes('\\') ? token.replace(/\\(.)/gs, '$1') : token
  }

  quotedToken(): string {
    const t = this.text
    let start = ++this.pos
    let out = ''
    for (;;) {
      const q = t.indexOf('"', this.pos)
      if (q === -1) throw unexpectedText('hstore', t)
      const b = t.indexOf('\\', this.pos)
      if (b === -1 || b > q) {
        this.pos = q + 1
        return out + t.slice(start, q)
      }
      // `\x` stands for x: keep what came before, then the escaped character itself.
      out += t.slice(start, b)
      if (b + 1 >= t.length) throw unexpectedText('hstore', t)
      start = b + 1
      this.pos = b + 2
    }
  }
}

/** `"a"=>"1", "b"=>NULL` → `{"a":"1","b":null}`; `''` (an empty hstore) → `{}`. */
export function renderHstore(text: string): string {
  const s = new Scanner(text)
  const n = text.length
  let out = '{'
  s.skipSpace()
  while (s.pos < n) {
    const key = s.token()
    s.skipSpace()
    if (text.charCodeAt(s.pos) !== EQUALS || text.charCodeAt(s.pos + 1) !== GT)
      throw unexpectedText('hstore', text)
    s.pos += 2
    s.skipSpace()
    const value = s.token()
    const isNull = !s.quoted && value.length === 4 && value.toUpperCase() === 'NULL'
    if (out.length > 1) out += ','
    out += jsonString(key) + ':' + (isNull ? 'null' : jsonString(value))
    s.skipSpace()
    if (s.pos < n) {
      if (text.charCodeAt(s.pos) !== COMMA) throw unexpectedText('hstore', text)
      s.pos++
      s.skipSpace()
    }
  }
  return out + '}'
}
