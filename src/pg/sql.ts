/**
 * SQL text for table reads, built once per read. Identifiers are always quoted (a table may be
 * called `x"; DROP TABLE y; --`). A FULL_TABLE read is one `COPY (SELECT ...) TO STDOUT`, which
 * takes no parameters: the only values in it are page numbers and transaction ids, integers the
 * builder checks and writes itself. An INCREMENTAL read is a cursor's SELECT whose bookmark and
 * limit are bound parameters: no value of the state reaches the SQL text. The operator's row filter
 * (stream_options custom_where_clauses) is trusted SQL from the config, put in as written, each
 * clause in its own parentheses (shape checked by config/clause-shape.ts).
 */

/** A quoted identifier: `"a""b"` for `a"b`. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"'
}

/** `"schema"."table"`. */
export function qualifiedName(schemaName: string, tableName: string): string {
  return `${quoteIdent(schemaName)}.${quoteIdent(tableName)}`
}

/** A statement and its bound parameters. */
export interface BoundQuery {
  readonly text: string
  readonly values: readonly string[]
}

/**
 * `(c1\n) AND (c2\n)`: each clause in its own parentheses, so `a OR b` stays one condition; the
 * newline ends a `--` comment inside a clause before our SQL goes on.
 */
export function rowFilterSql(clauses: readonly string[]): string | undefined {
  if (clauses.length === 0) return undefined
  return clauses.map((c) => `(${c}\n)`).join(' AND ')
}

/** ` WHERE a AND b`, or nothing; absent conditions are skipped. */
function where(...conditions: ReadonlyArray<string | undefined>): string {
  const present = conditions.filter((c): c is string => c !== undefined)
  return present.length === 0 ? '' : ` WHERE ${present.join(' AND ')}`
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

/** A transaction id (32 bits, what `xmin` holds) as a literal. */
function xid(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff)
    throw new RangeError(`not a transaction id: ${value}`)
  return `'${value}'::xid`
}

function chunkConditions(p: CtidPages): string[] {
  const conditions = [`ctid >= ${tid(p.from)}`]
  if (p.to !== undefined) conditions.push(`ctid < ${tid(p.to)}`)
  const since = p.changedSince
  if (since !== undefined) {
    const newer = `age(xmin) <= age(${xid(since.xmax)})`
    if (since.xip.length === 0) conditions.push(newer)
    else {
      for (const x of since.xip) xid(x)
      conditions.push(`(${newer} OR xmin = ANY('{${since.xip.join(',')}}'::xid[]))`)
    }
  }
  return conditions
}

/** The `COPY (SELECT ...) TO STDOUT` of a FULL_TABLE read. */
export function fullTableCopy(q: FullTableQuery): string {
  const from = qualifiedName(q.schemaName, q.tableName)
  const filter = rowFilterSql(q.where ?? [])
  let select: string
  if (q.order === 'unordered') {
    const chunk = q.pages === undefined ? [] : chunkConditions(q.pages)
    select = `SELECT ${selectList(q.columns)} FROM ${from}${where(filter, ...chunk)}`
  } else {
    const resume = q.resumeXmin === undefined ? undefined : `age(xmin) <= age(${xid(q.resumeXmin)})`
    select = `SELECT ${selectList(q.columns, ['xmin::text'])} FROM ${from}${where(filter, resume)} ORDER BY age(xmin) DESC`
  }
  return `COPY (${select}) TO STDOUT`
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
  const f = rowFilterSql(q.where ?? [])
  const select = `SELECT ${selectList(q.columns)} FROM ${from}`
  const order = ` ORDER BY ${key} ASC`
  if (q.limit === undefined) {
    if (q.from === undefined) return { text: `${select}${where(f)}${order}`, values: [] }
    return { text: `${select}${where(f, `${key} >= $1`)}${order}`, values: [q.from] }
  }
  if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new RangeError(`not a limit: ${q.limit}`)
  const skip = String(q.limit - 1)
  if (q.from === undefined) {
    // The first run: the N-th key of all. NULL keys sort last and form the last tie group: when
    // there are fewer than N other rows the run reads them too, as a run without limit does, which
    // a range on the key cannot express; hence a LIMIT counted up to the end of K's tie group
    // (NULL, i.e. no limit, when K does not exist; K exists only with at least N rows, so never 0).
    const nth = `SELECT ${key} FROM ${from}${where(f, `${key} IS NOT NULL`)} ORDER BY ${key} ASC OFFSET $1::bigint LIMIT 1`
    return {
      text: `${select}${where(f)}${order} LIMIT (SELECT NULLIF(count(*), 0) FROM ${from}${where(f, `${key} <= (${nth})`)})`,
      values: [skip],
    }
  }
  const nth = `SELECT ${key} FROM ${from}${where(f, `${key} > $1`)} ORDER BY ${key} ASC OFFSET $2::bigint LIMIT 1`
  const greatest = `SELECT ${key} FROM ${from}${where(f, `${key} IS NOT NULL`)} ORDER BY ${key} DESC LIMIT 1`
  return {
    text: `${select}${where(f, `${key} >= $1`, `${key} <= COALESCE((${nth}), (${greatest}))`)}${order}`,
    values: [q.from, skip],
  }
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
