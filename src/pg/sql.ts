/**
 * SQL text for table reads. Identifiers are always quoted (a table may be called
 * `x"; DROP TABLE y; --`), and values are built as bound parameters. COPY takes no parameters, so
 * `copyStatement` turns each one into a quoted literal (quoteLiteral): values reach the SQL text
 * only there, always quoted. The operator's row filter (stream_options custom_where_clauses) is
 * trusted SQL from the config, spliced in as written, each clause in its own parentheses (shape
 * checked by clause-shape.ts).
 */

/** A quoted identifier: `"a""b"` for `a"b`. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"'
}

/** `"schema"."table"`. */
export function qualifiedName(schemaName: string, tableName: string): string {
  return `${quoteIdent(schemaName)}.${quoteIdent(tableName)}`
}

/** A statement and its parameters: run as a bound query, or as COPY through copyStatement. */
export interface BoundQuery {
  readonly text: string
  readonly values: readonly string[]
  /**
   * `[start, end)` ranges of `text` that hold the operator's row filter: SQL the tap did not write,
   * which copyStatement copies as it is (a `$1` in it, even inside a dollar-quoted string or a
   * comment, is not one of our placeholders).
   */
  readonly verbatim?: ReadonlyArray<readonly [number, number]>
}

/**
 * Where the row filter goes while a statement is built; PostgreSQL names and our SQL never hold a
 * NUL, and clause-shape.ts refuses clauses that do.
 */
const FILTER_MARK = '\u0000'

/**
 * `(c1\n) AND (c2\n)`: each clause in its own parentheses, so `a OR b` stays one condition; the
 * newline ends a `--` comment inside a clause before our SQL goes on.
 */
export function rowFilterSql(clauses: readonly string[]): string | undefined {
  if (clauses.length === 0) return undefined
  for (const c of clauses)
    if (c.includes(FILTER_MARK)) throw new Error('a row filter clause contains a NUL character')
  return clauses.map((c) => `(${c}\n)`).join(' AND ')
}

/** ` WHERE a AND b`, or nothing; absent conditions are skipped. */
function where(...conditions: ReadonlyArray<string | undefined>): string {
  const present = conditions.filter((c): c is string => c !== undefined)
  return present.length === 0 ? '' : ` WHERE ${present.join(' AND ')}`
}

/** The statement with the filter in place of each mark, and where it went. */
function bound(text: string, values: readonly string[], filter: string | undefined): BoundQuery {
  if (filter === undefined) return { text, values }
  const parts = text.split(FILTER_MARK)
  let out = parts[0]
  const verbatim: Array<readonly [number, number]> = []
  for (const part of parts.slice(1)) {
    verbatim.push([out.length, out.length + filter.length])
    out += filter + part
  }
  return { text: out, values, verbatim }
}

function selectList(columns: readonly string[], extra: readonly string[] = []): string {
  return [...columns.map(quoteIdent), ...extra].join(', ')
}

export interface FullTableQuery {
  readonly schemaName: string
  readonly tableName: string
  readonly columns: readonly string[]
  /**
   * How rows are ordered and resumed:
   * - `xmin`: tables. Adds `xmin::text` as the last column and orders by `age(xmin) DESC` (oldest
   *   first), which survives transaction-id wraparound and matches the resume filter
   *   `age(xmin) <= age(<bookmark>)`: rows sharing the bookmark's xmin are read again (duplicates,
   *   never gaps). pipelinewise ordered by `xmin::text`, a text order its own `>=` filter did not
   *   match, so a resume could skip rows.
   * - `unordered`: views, materialized views and fast_sync: no xmin, not resumable.
   */
  readonly order: 'xmin' | 'unordered'
  /** The xmin of the last row written by an interrupted run (only with order `xmin`). */
  readonly resumeXmin?: number
  /** A chunk (only with order `unordered`). */
  readonly pages?: CtidPages
  /** The operator's row filter: SQL boolean expressions, ANDed. */
  readonly where?: readonly string[]
}

/**
 * Rows on pages `[from, to)`: `ctid >= '(from,0)' AND ctid < '(to,0)'`, which PostgreSQL 14+ runs as a
 * TID Range Scan (only those pages are read; no sort, no index). `changedSince` keeps only rows
 * written by transactions a snapshot did not see: from its xmax on (the wraparound-safe `age()`
 * comparison of the xmin order below), or running when it was taken (its xip).
 */
export interface CtidPages {
  readonly from: number
  readonly to?: number
  readonly changedSince?: SnapshotXids
}

/** What a snapshot did not see, as 32-bit transaction ids (what `xmin` holds). */
export interface SnapshotXids {
  readonly xmax: number
  readonly xip: readonly number[]
}

function tid(page: number): string {
  if (!Number.isSafeInteger(page) || page < 0 || page > 0xfffffffe)
    throw new RangeError(`not a page number: ${page}`)
  return `'(${page},0)'::tid`
}

function chunkConditions(p: CtidPages): { conditions: string[]; values: string[] } {
  const conditions = [`ctid >= ${tid(p.from)}`]
  if (p.to !== undefined) conditions.push(`ctid < ${tid(p.to)}`)
  const values: string[] = []
  const since = p.changedSince
  if (since !== undefined) {
    values.push(String(since.xmax))
    if (since.xip.length === 0) {
      conditions.push(`age(xmin) <= age($1::xid)`)
    } else {
      values.push(`{${since.xip.join(',')}}`)
      conditions.push(`(age(xmin) <= age($1::xid) OR xmin = ANY($2::xid[]))`)
    }
  }
  return { conditions, values }
}

export function fullTableQuery(q: FullTableQuery): BoundQuery {
  const from = qualifiedName(q.schemaName, q.tableName)
  const filter = rowFilterSql(q.where ?? [])
  const f = filter === undefined ? undefined : FILTER_MARK
  if (q.order === 'unordered') {
    const chunk = q.pages === undefined ? { conditions: [], values: [] } : chunkConditions(q.pages)
    return bound(
      `SELECT ${selectList(q.columns)} FROM ${from}${where(f, ...chunk.conditions)}`,
      chunk.values,
      filter,
    )
  }
  const cols = selectList(q.columns, ['xmin::text'])
  if (q.resumeXmin === undefined)
    return bound(`SELECT ${cols} FROM ${from}${where(f)} ORDER BY age(xmin) DESC`, [], filter)
  return bound(
    `SELECT ${cols} FROM ${from}${where(f, 'age(xmin) <= age($1::xid)')} ORDER BY age(xmin) DESC`,
    [String(q.resumeXmin)],
    filter,
  )
}

export interface IncrementalQuery {
  readonly schemaName: string
  readonly tableName: string
  readonly columns: readonly string[]
  readonly replicationKey: string
  /**
   * The bookmark as text, bound as a parameter of unknown type so the server casts it to the key
   * column's type (a pipelinewise `2023-05-17T10:11:12.123456+00:00` works for timestamptz).
   */
  readonly from?: string
  readonly limit?: number
  /** The operator's row filter, in every subquery too: `limit` counts and ends tie groups among the filtered rows. */
  readonly where?: readonly string[]
}

/**
 * `>=`, not `>`: rows sharing the bookmark's key value may not all have been written yet, so the
 * boundary rows repeat. NULL keys are never selected by the filter and never move the bookmark.
 *
 * With `limit` N a run never ends inside a run of equal key values: the next run starts `>=` the
 * bookmark, so a plain `LIMIT` cutting a tie group would read the same N rows again and again when
 * more than N rows share one value (and never the rest). Instead a run reads every row with
 * `bookmark <= key <= K`, K being the key of the N-th row among those with key `>` the bookmark
 * (strictly greater, so a run moves on even when more than N rows tie at the bookmark itself), or
 * every row from the bookmark on when there are fewer. So a run may return more than N rows: the
 * bookmark's tie group, N rows beyond it, and the rest of the last one's tie group. One statement:
 * K and the rows come from the same snapshot. On an index on the key this is an index range scan
 * after two short index-only scans (the second, the greatest key, only when there are fewer).
 */
export function incrementalQuery(q: IncrementalQuery): BoundQuery {
  const key = quoteIdent(q.replicationKey)
  const from = qualifiedName(q.schemaName, q.tableName)
  const filter = rowFilterSql(q.where ?? [])
  const f = filter === undefined ? undefined : FILTER_MARK
  const select = `SELECT ${selectList(q.columns)} FROM ${from}`
  const order = ` ORDER BY ${key} ASC`
  if (q.limit === undefined) {
    if (q.from === undefined) return bound(`${select}${where(f)}${order}`, [], filter)
    return bound(`${select}${where(f, `${key} >= $1`)}${order}`, [q.from], filter)
  }
  if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new RangeError(`not a limit: ${q.limit}`)
  const skip = String(q.limit - 1)
  if (q.from === undefined) {
    // The first run: the N-th key of all. NULL keys sort last and form the last tie group: when
    // there are fewer than N other rows the run reads them too, as a run without limit does, which
    // a range on the key cannot express; hence a LIMIT counted up to the end of K's tie group
    // (NULL, i.e. no limit, when K does not exist; K exists only with at least N rows, so never 0).
    const nth = `SELECT ${key} FROM ${from}${where(f, `${key} IS NOT NULL`)} ORDER BY ${key} ASC OFFSET $1::bigint LIMIT 1`
    return bound(
      `${select}${where(f)}${order} LIMIT (SELECT NULLIF(count(*), 0) FROM ${from}${where(f, `${key} <= (${nth})`)})`,
      [skip],
      filter,
    )
  }
  const nth = `SELECT ${key} FROM ${from}${where(f, `${key} > $1`)} ORDER BY ${key} ASC OFFSET $2::bigint LIMIT 1`
  const greatest = `SELECT ${key} FROM ${from}${where(f, `${key} IS NOT NULL`)} ORDER BY ${key} DESC LIMIT 1`
  return bound(
    `${select}${where(f, `${key} >= $1`, `${key} <= COALESCE((${nth}), (${greatest}))`)}${order}`,
    [q.from, skip],
    filter,
  )
}

/**
 * A string literal that reads back as `value` whatever `standard_conforming_strings` is: quotes
 * doubled, and with a backslash the `E'...'` form with backslashes doubled (as pg's escapeLiteral).
 */
export function quoteLiteral(value: string): string {
  const quoted = value.replace(/'/g, "''")
  return value.includes('\\') ? ` E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`
}

/**
 * `COPY (<query>) TO STDOUT` for a bound query: COPY takes no parameters, so each `$n` becomes the
 * literal of its value. A literal without a type is resolved from its context exactly like an
 * untyped parameter (`key >= '...'` takes the key column's type), and `$1::xid` keeps its cast.
 * Placeholders are only replaced outside quoted identifiers and string literals, and never in the
 * operator's row filter (`verbatim`), whose SQL this scan does not understand (dollar quotes,
 * comments, E'' escapes): it is copied as it is.
 */
export function copyStatement(q: BoundQuery): string {
  let out = ''
  let i = 0
  const text = q.text
  const verbatimEnd = new Map((q.verbatim ?? []).map(([start, end]) => [start, end]))
  while (i < text.length) {
    const c = text[i]
    const end = verbatimEnd.get(i)
    if (end !== undefined) {
      out += text.slice(i, end)
      i = end
    } else if (c === '"' || c === "'") {
      // Up to the closing quote; a doubled quote inside is part of the name/literal.
      let j = i + 1
      for (;;) {
        const k = text.indexOf(c, j)
        if (k < 0) throw new Error(`unterminated ${c} in query text`)
        if (text[k + 1] === c) {
          j = k + 2
          continue
        }
        j = k + 1
        break
      }
      out += text.slice(i, j)
      i = j
    } else if (c === '$' && /[0-9]/.test(text[i + 1] ?? '')) {
      let j = i + 1
      while (j < text.length && /[0-9]/.test(text[j])) j++
      const n = Number(text.slice(i + 1, j))
      const value = q.values[n - 1]
      if (value === undefined) throw new Error(`query parameter $${n} has no value`)
      out += quoteLiteral(value)
      i = j
    } else {
      out += c
      i++
    }
  }
  return `COPY (${out}) TO STDOUT`
}

/** The cursor a read is fetched through (one per connection and transaction). */
const CURSOR = 'tap_read'

/** A cursor read: its DECLARE with bound parameters, and the FETCH of one page. */
export interface CursorStatements {
  readonly declare: BoundQuery
  readonly fetch: string
  /** Rows per FETCH: a shorter page is the last. */
  readonly pageRows: number
}

/**
 * The statements of a cursor read over `query`: a SQL cursor (planned for its first rows, see
 * pg/fetch-out.ts) declared with the query's bound parameters, and the FETCH of `pageRows` rows.
 */
export function cursorStatements(query: BoundQuery, pageRows: number): CursorStatements {
  if (!Number.isSafeInteger(pageRows) || pageRows < 1) throw new RangeError(`not a page size: ${pageRows}`)
  return {
    declare: { text: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${query.text}`, values: query.values },
    fetch: `FETCH FORWARD ${pageRows} FROM ${CURSOR}`,
    pageRows,
  }
}
