/**
 * wal2json format-version 2 payloads → typed change events. Pure: text in, events out.
 *
 * One XLogData message carries one JSON object (https://github.com/eulerto/wal2json, "format-version
 * 2"): `B` (begin) and `C` (commit) when include-transaction is on (its default), `I`/`U`/`D` for row
 * changes, `M` for logical messages and `T` for truncate (we ask for neither: `actions` is
 * insert,update,delete). With include-timestamp every message has the transaction's commit time,
 * printed by the walsender session as timestamptz text (`2026-11-25 13:42:46.82744+00`, TimeZone=UTC
 * and DateStyle=ISO come from src/pg/connect.ts).
 *
 * Values: wal2json prints numeric types (int2/4/8, oid, float4/8, numeric) as bare JSON numbers with
 * the server's digits, booleans as true/false, NaN/±Infinity as null, and everything else as a JSON
 * string holding the type's text output. JSON.parse would round `12345678901234567890.1234567890` and
 * 64-bit integers, and the wal2json on PostgreSQL 15 here (2.5) has no `numeric-data-types-as-string`
 * option, so numbers are turned into strings of their digits before JSON.parse (quoteNumbers below).
 * The result is exactly what a table read receives for the same value, so the one renderer in
 * src/values applies to both: booleans become 't'/'f', numbers their digits, strings their text.
 *
 * Unchanged TOAST: in an UPDATE without REPLICA IDENTITY FULL, a TOASTed column that did not change
 * is not in `columns` at all (wal2json skips it, it has no value to print). Callers must treat a
 * missing column as "unknown", never as null.
 */

/** A column list as wal2json sends it: names and values in the same order. */
export interface Wal2JsonTuple {
  readonly names: readonly string[]
  /** PostgreSQL text of each value; null for SQL NULL (and NaN/Infinity, which wal2json nulls). */
  readonly values: ReadonlyArray<string | null>
}

export type Wal2JsonEvent =
  /** `nextLsn` (with include-lsn): the end of the transaction's commit record, as `X/Y`. */
  | { readonly action: 'B'; readonly timestamp: string | undefined; readonly nextLsn: string | undefined }
  | { readonly action: 'C'; readonly timestamp: string | undefined; readonly nextLsn: string | undefined }
  | {
      readonly action: 'I' | 'U'
      readonly schema: string
      readonly table: string
      readonly timestamp: string | undefined
      /** The new row. For U, unchanged TOAST columns are absent. */
      readonly columns: Wal2JsonTuple
      /** U only, when the key changed or REPLICA IDENTITY FULL: the old key (or row). */
      readonly identity: Wal2JsonTuple | undefined
    }
  | {
      readonly action: 'D'
      readonly schema: string
      readonly table: string
      readonly timestamp: string | undefined
      /** The replica identity columns of the deleted row (all columns with REPLICA IDENTITY FULL). */
      readonly identity: Wal2JsonTuple
    }
  /** M (message), T (truncate) and any action a later wal2json adds: passed on, never guessed at. */
  | { readonly action: 'other'; readonly kind: string }

export class Wal2JsonError extends Error {
  override name = 'Wal2JsonError'
}

/** Decodes one wal2json format-version 2 message. Throws Wal2JsonError on anything malformed. */
export function decodeWal2Json(text: string): Wal2JsonEvent {
  const obj = parseJsonKeepingNumbers(text)
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Wal2JsonError('wal2json message is not an object')
  const msg = obj as Record<string, JsonValue>
  const action = msg.action
  const timestamp = optionalString(msg.timestamp, 'timestamp')
  switch (action) {
    case 'B':
    case 'C':
      return { action, timestamp, nextLsn: optionalString(msg.nextlsn, 'nextlsn') }
    case 'I':
    case 'U':
      return {
        action,
        schema: requiredString(msg.schema, 'schema'),
        table: requiredString(msg.table, 'table'),
        timestamp,
        columns: tuple(msg.columns, 'columns'),
        identity: msg.identity === undefined ? undefined : tuple(msg.identity, 'identity'),
      }
    case 'D':
      return {
        action,
        schema: requiredString(msg.schema, 'schema'),
        table: requiredString(msg.table, 'table'),
        timestamp,
        identity: tuple(msg.identity, 'identity'),
      }
    default:
      if (typeof action !== 'string') throw new Wal2JsonError('wal2json message has no action')
      return { action: 'other', kind: action }
  }
}

function requiredString(v: JsonValue | undefined, what: string): string {
  if (typeof v !== 'string') throw new Wal2JsonError(`wal2json message: ${what} is not a string`)
  return v
}

function optionalString(v: JsonValue | undefined, what: string): string | undefined {
  return v === undefined ? undefined : requiredString(v, what)
}

function tuple(v: JsonValue | undefined, what: string): Wal2JsonTuple {
  if (!Array.isArray(v)) throw new Wal2JsonError(`wal2json message: ${what} is not an array`)
  const names: string[] = new Array(v.length)
  const values: Array<string | null> = new Array(v.length)
  for (let i = 0; i < v.length; i++) {
    const c = v[i]
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Wal2JsonError(`wal2json message: ${what}[${i}] is not an object`)
    const col = c as Record<string, JsonValue>
    names[i] = requiredString(col.name, `${what}[${i}].name`)
    values[i] = valueText(col.value, what, i)
  }
  return { names, values }
}

/** A wal2json column value → the PostgreSQL text a table read would receive. */
function valueText(v: JsonValue | undefined, what: string, i: number): string | null {
  if (typeof v === 'string') return v // numbers too: quoteNumbers made them strings of their digits
  if (v === null) return null
  if (v === true) return 't'
  if (v === false) return 'f'
  throw new Wal2JsonError(`wal2json message: ${what}[${i}].value is not a scalar`)
}

// ---------------------------------------------------------------------------------------------
// Lossless parsing: every bare number outside strings is wrapped in quotes, then JSON.parse (native,
// about 4x faster than a reader written in JS) does the rest. Values are text for the renderer either
// way, so a number and a string with the same digits mean the same thing here.

type JsonValue = string | boolean | null | JsonValue[] | { [key: string]: JsonValue }

const NUMBER_TOKEN = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

function isNumberChar(c: number): boolean {
  // digits . + - e E
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2b || c === 0x2d || c === 0x65 || c === 0x45
}

/**
 * `text` with each number outside string literals turned into a string literal of the same digits.
 * Walks string to string with indexOf (strings are most of a wal2json message); only the short gaps
 * between strings (`":`, `,{"`, `":123},{"`) are looked at character by character. Malformed JSON is
 * left for JSON.parse to reject; a malformed number token is rejected here.
 */
export function quoteNumbers(text: string): string {
  const n = text.length
  let out = ''
  let copied = 0
  let i = 0
  while (i < n) {
    let q = text.indexOf('"', i)
    if (q < 0) q = n
    for (let k = i; k < q; k++) {
      const c = text.charCodeAt(k)
      if (c !== 0x2d && (c < 0x30 || c > 0x39)) continue
      let e = k + 1
      while (e < q && isNumberChar(text.charCodeAt(e))) e++
      const token = text.slice(k, e)
      if (!NUMBER_TOKEN.test(token)) throw new Wal2JsonError(`malformed JSON: bad number ${JSON.stringify(token)} at offset ${k}`)
      out += text.slice(copied, k) + '"' + token + '"'
      copied = e
      k = e - 1
    }
    if (q >= n) break
    i = stringEnd(text, q)
  }
  return copied === 0 ? text : out + text.slice(copied)
}

/** Index after the closing quote of the string literal opening at `open` (n if unterminated). */
function stringEnd(text: string, open: number): number {
  let from = open + 1
  for (;;) {
    const close = text.indexOf('"', from)
    if (close < 0) return text.length
    let backslashes = 0
    for (let b = close - 1; b > open && text.charCodeAt(b) === 0x5c; b--) backslashes++
    if (backslashes % 2 === 0) return close + 1
    from = close + 1
  }
}

/** Parses a whole JSON text with every number kept as a string of its digits. */
export function parseJsonKeepingNumbers(text: string): JsonValue {
  const quoted = quoteNumbers(text)
  try {
    return JSON.parse(quoted) as JsonValue
  } catch (e) {
    throw new Wal2JsonError(`malformed JSON: ${(e as Error).message}`)
  }
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
export function addTablesOption(tables: ReadonlyArray<{ readonly schemaName: string; readonly tableName: string }>): string {
  const esc = (name: string) => name.replace(/[\\ ',.*]/g, (c) => `\\${c}`)
  return tables.map((t) => `${esc(t.schemaName)}.${esc(t.tableName)}`).join(',').replace(/'/g, "''")
}
