/**
 * wal2json format-version 2 payloads → typed change events. Pure: text in, events out.
 *
 * One XLogData message carries one JSON object (https://github.com/eulerto/wal2json, "format-version
 * 2"): `B` (begin) and `C` (commit) when include-transaction is on (its default), `I`/`U`/`D` for row
 * changes, `T` for truncate (one message per table: `TRUNCATE a, b` and the tables a CASCADE reaches
 * each get their own), `M` for logical messages (not asked for: `actions` is
 * insert,update,delete,truncate). With include-timestamp every message has the transaction's commit time,
 * printed by the walsender session as timestamptz text (`2026-11-25 13:42:46.82744+00`, TimeZone=UTC
 * and DateStyle=ISO come from src/pg/connect.ts).
 *
 * Values: wal2json prints numeric types (int2/4/8, oid, float4/8, numeric) as bare JSON numbers with
 * the server's digits, booleans as true/false, NaN/±Infinity as null, and everything else as a JSON
 * string holding the type's text output. JSON.parse would round `12345678901234567890.1234567890` and
 * 64-bit integers, and the wal2json on PostgreSQL 15 here (2.5) has no `numeric-data-types-as-string`
 * option, so the message is read by a small scanner that keeps numbers as the text they are, and
 * builds the event directly (no intermediate objects: about 1.5x faster than JSON.parse plus a
 * walk). The result is exactly what a table read receives for the same value, so the one renderer
 * in src/values applies to both: booleans become 't'/'f', numbers their digits, strings their text.
 * One exception the scanner cannot see (it has no types): a `bytea` column's hex text comes without
 * its `\x` prefix; `byteaText` puts it back (see there).
 *
 * Unchanged TOAST: in an UPDATE without REPLICA IDENTITY FULL, a TOASTed column that did not change
 * is not in `columns` at all (wal2json skips it, it has no value to print). Callers must treat a
 * missing column as "unknown", never as null.
 */

import type { ChangeEvent, ChangeTuple } from './change-event.js'

/** A column list as wal2json sends it: names and values in the same order. */
export type Wal2JsonTuple = ChangeTuple

/**
 * A decoded wal2json message: the plugin-neutral change event (change-event.ts). B and C carry
 * `nextlsn` (the commit end) with include-lsn; every message the commit time with include-timestamp.
 */
export type Wal2JsonEvent = ChangeEvent

export class Wal2JsonError extends Error {
  override name = 'Wal2JsonError'
}

// ---------------------------------------------------------------------------------------------
// The scanner. wal2json writes compact JSON (no pretty-print); whitespace is still accepted.

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const LBRACE = 0x7b
const RBRACE = 0x7d
const LBRACKET = 0x5b
const RBRACKET = 0x5d

class Scanner {
  i = 0
  /** Index of the next backslash at or after `i` (text.length when none): strings before it have no escapes. */
  #backslash = -1

  constructor(readonly text: string) {}

  fail(why: string): never {
    throw new Wal2JsonError(`malformed wal2json message at offset ${this.i}: ${why}`)
  }

  ws(): void {
    const t = this.text
    let c = t.charCodeAt(this.i)
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++this.i)
  }

  expect(code: number, what: string): void {
    this.ws()
    if (this.text.charCodeAt(this.i) !== code) this.fail(`expected ${what}`)
    this.i++
  }

  /** After a member or element: true at ',' (more), false at `close`. */
  more(close: number, what: string): boolean {
    this.ws()
    const c = this.text.charCodeAt(this.i++)
    if (c === COMMA) return true
    if (c === close) return false
    this.i--
    return this.fail(`expected "," or "${what}"`)
  }

  string(): string {
    this.ws()
    const t = this.text
    const open = this.i
    if (t.charCodeAt(open) !== QUOTE) this.fail('expected a string')
    if (this.#backslash < open) {
      const b = t.indexOf('\\', open)
      this.#backslash = b < 0 ? t.length : b
    }
    let close = t.indexOf('"', open + 1)
    if (close < 0) {
      this.i = t.length
      this.fail('unterminated string')
    }
    if (close < this.#backslash) {
      this.i = close + 1
      return t.slice(open + 1, close)
    }
    // Escapes: find the real closing quote (one not preceded by an odd run of backslashes), then
    // let JSON.parse undo the escapes and reject bad ones.
    for (;;) {
      let run = 0
      for (let b = close - 1; b > open && t.charCodeAt(b) === BACKSLASH; b--) run++
      if (run % 2 === 0) break
      close = t.indexOf('"', close + 1)
      if (close < 0) {
        this.i = t.length
        this.fail('unterminated string')
      }
    }
    this.i = close + 1
    try {
      return JSON.parse(t.slice(open, close + 1)) as string
    } catch {
      this.i = open
      return this.fail('bad escape in string')
    }
  }

  /** A scalar as PostgreSQL text: strings unescaped, numbers as written, booleans t/f, null. */
  scalar(): string | null {
    this.ws()
    const t = this.text
    const c = t.charCodeAt(this.i)
    if (c === QUOTE) return this.string()
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number()
    if (t.startsWith('null', this.i)) {
      this.i += 4
      return null
    }
    if (t.startsWith('true', this.i)) {
      this.i += 4
      return 't'
    }
    if (t.startsWith('false', this.i)) {
      this.i += 5
      return 'f'
    }
    return this.fail(Number.isNaN(c) ? 'unexpected end' : 'expected a scalar value')
  }

  /** RFC 8259 number grammar; the text as written. */
  number(): string {
    const t = this.text
    const start = this.i
    let i = start
    if (t.charCodeAt(i) === 0x2d) i++
    const first = t.charCodeAt(i)
    if (first === 0x30) i++
    else if (first > 0x30 && first <= 0x39) i = digits(t, i)
    else {
      this.i = i
      this.fail('bad number')
    }
    if (t.charCodeAt(i) === 0x2e) {
      const j = digits(t, i + 1)
      if (j === i + 1) {
        this.i = j
        this.fail('bad number')
      }
      i = j
    }
    const e = t.charCodeAt(i)
    if (e === 0x65 || e === 0x45) {
      i++
      const sign = t.charCodeAt(i)
      if (sign === 0x2b || sign === 0x2d) i++
      const j = digits(t, i)
      if (j === i) {
        this.i = j
        this.fail('bad number')
      }
      i = j
    }
    this.i = i
    return t.slice(start, i)
  }

  /** Skips any value (members wal2json may add that we do not use, such as `type` or `pk`). */
  skip(): void {
    this.ws()
    const c = this.text.charCodeAt(this.i)
    if (c === LBRACE) {
      this.i++
      this.ws()
      if (this.text.charCodeAt(this.i) === RBRACE) {
        this.i++
        return
      }
      do {
        this.string()
        this.expect(COLON, '":"')
        this.skip()
      } while (this.more(RBRACE, '}'))
    } else if (c === LBRACKET) {
      this.i++
      this.ws()
      if (this.text.charCodeAt(this.i) === RBRACKET) {
        this.i++
        return
      }
      do this.skip()
      while (this.more(RBRACKET, ']'))
    } else {
      this.scalar()
    }
  }

  /** `[{"name":..., "value":...}, ...]` */
  tuple(): Wal2JsonTuple {
    const names: string[] = []
    const values: Array<string | null> = []
    this.expect(LBRACKET, '"["')
    this.ws()
    if (this.text.charCodeAt(this.i) === RBRACKET) {
      this.i++
      return { names, values }
    }
    do {
      this.expect(LBRACE, '"{"')
      let name: string | undefined
      let value: string | null | undefined
      this.ws()
      if (this.text.charCodeAt(this.i) !== RBRACE) {
        do {
          const key = this.string()
          this.expect(COLON, '":"')
          if (key === 'name') name = this.string()
          else if (key === 'value') value = this.scalar()
          else this.skip()
        } while (this.more(RBRACE, '}'))
      } else {
        this.i++
      }
      if (name === undefined || value === undefined) this.fail('column without name or value')
      names.push(name)
      values.push(value)
    } while (this.more(RBRACKET, ']'))
    return { names, values }
  }
}

function digits(t: string, i: number): number {
  let c = t.charCodeAt(i)
  while (c >= 0x30 && c <= 0x39) c = t.charCodeAt(++i)
  return i
}

/** Decodes one wal2json format-version 2 message. Throws Wal2JsonError on anything malformed. */
export function decodeWal2Json(text: string): Wal2JsonEvent {
  const s = new Scanner(text)
  let action: string | undefined
  let timestamp: string | undefined
  let nextLsn: string | undefined
  let schema: string | undefined
  let table: string | undefined
  let columns: Wal2JsonTuple | undefined
  let identity: Wal2JsonTuple | undefined
  s.expect(LBRACE, '"{"')
  s.ws()
  if (text.charCodeAt(s.i) === RBRACE) s.fail('empty message')
  do {
    const key = s.string()
    s.expect(COLON, '":"')
    switch (key) {
      case 'action':
        action = s.string()
        break
      case 'timestamp':
        timestamp = s.string()
        break
      case 'nextlsn':
        nextLsn = s.string()
        break
      case 'schema':
        schema = s.string()
        break
      case 'table':
        table = s.string()
        break
      case 'columns':
        columns = s.tuple()
        break
      case 'identity':
        identity = s.tuple()
        break
      default:
        s.skip()
    }
  } while (s.more(RBRACE, '}'))
  s.ws()
  if (s.i !== text.length) s.fail('text after the message')
  switch (action) {
    case 'B':
    case 'C':
      return { action, timestamp, nextLsn }
    case 'I':
    case 'U':
      if (schema === undefined || table === undefined || columns === undefined)
        return s.fail(`${action} without schema, table or columns`)
      return { action, schema, table, timestamp, columns, identity }
    case 'D':
      if (schema === undefined || table === undefined || identity === undefined)
        return s.fail('D without schema, table or identity')
      return { action, schema, table, timestamp, identity }
    case 'T':
      if (schema === undefined || table === undefined) return s.fail('T without schema or table')
      return { action, schema, table, timestamp }
    case undefined:
      return s.fail('no action')
    default:
      return { action: 'other', kind: action }
  }
}

/**
 * The server's text of a `bytea` value from wal2json's. wal2json prints a column of type bytea as
 * its hex output with the leading `\x` cut off (`0a0bff` for `\x0a0bff`), but a domain over bytea
 * (another type oid) as the full text, and both resolve to the bytea kind here. Hex digits never
 * start with a backslash, so the two are told apart by the text itself. The walsender session
 * runs with bytea_output=hex (src/pg/connect.ts): in the escape form wal2json would cut off the
 * first two characters of the data itself.
 */
export function byteaText(text: string): string {
  return text.charCodeAt(0) === 0x5c && text.charCodeAt(1) === 0x78 ? text : `\\x${text}`
}

// ---------------------------------------------------------------------------------------------

/**
 * wal2json's `add-tables` value for these tables, ready to go between the single quotes of a
 * START_REPLICATION option. wal2json splits the list at commas and each entry at the period, and
 * takes a backslash-escaped character literally, so space, quote, comma, period, asterisk and the
 * backslash itself are escaped (wal2json README, "add-tables"); names are case-sensitive and
 * written as they are, unquoted. Then the replication command's string literal doubles single
 * quotes (https://www.postgresql.org/docs/15/protocol-replication.html): pg-logical-replication
 * wraps the value in quotes without escaping it.
 */
export function addTablesOption(
  tables: ReadonlyArray<{ readonly schemaName: string; readonly tableName: string }>,
): string {
  const esc = (name: string) => name.replace(/[\\ ',.*]/g, (c) => `\\${c}`)
  return tables
    .map((t) => `${esc(t.schemaName)}.${esc(t.tableName)}`)
    .join(',')
    .replace(/'/g, "''")
}
