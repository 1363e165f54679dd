/**
 * The server parses each stream's row filter before any read, so a clause that is not SQL, names
 * an unknown column or is not boolean fails the run before the first RECORD (no partial output),
 * naming the stream and the clause. One round trip per stream with clauses, on the run's main
 * connection, in the phase that re-reads the live columns.
 */
import type pg from 'pg'
import type { TableInfo } from '../values/pg-type.js'
import { InputError } from '../errors.js'
import { isConnectionFailure, queryError } from '../pg/pg-errors.js'
import { qualifiedName, rowFilterSql } from '../pg/sql.js'
import type { SelectedStream } from './plan.js'

/**
 * `EXPLAIN` parses, resolves names and types and plans, without reading a row. The extended
 * protocol (node-postgres sends a simple query otherwise) refuses a second statement outright.
 */
interface ExtendedQuery extends pg.QueryConfig {
  readonly queryMode: 'extended'
}

/** SQLSTATE classes that mean "this clause is wrong": syntax and names (42), data (22), unsupported (0A). */
const CLAUSE_ERROR = /^(42|22|0A)/

export interface RowFilterStatement {
  readonly text: string
  /** Each clause's `[start, end)` in characters (code points), as the server counts an error's position. */
  readonly clauses: ReadonlyArray<readonly [number, number]>
}

/** The check statement of one stream, and where each clause sits in it. */
export function rowFilterCheckStatement(
  schemaName: string,
  tableName: string,
  clauses: readonly string[],
): RowFilterStatement {
  const head = `EXPLAIN SELECT 1 FROM ${qualifiedName(schemaName, tableName)} WHERE `
  const text = head + (rowFilterSql(clauses) ?? 'true')
  const ranges: Array<readonly [number, number]> = []
  let at = Array.from(head).length
  for (const c of clauses) {
    const start = at + 1 // after "("
    const end = start + Array.from(c).length
    ranges.push([start, end])
    at = end + 2 + ' AND '.length // "\n)" and the AND
  }
  return { text, clauses: ranges }
}

/** The clause an error position (1-based, in characters) falls in, if any. */
export function clauseAt(statement: RowFilterStatement, position: number | undefined): number | undefined {
  if (position === undefined || !Number.isSafeInteger(position)) return undefined
  const at = position - 1
  // A position just past a clause (an unexpected end, the closing parenthesis) still means that clause.
  const i = statement.clauses.findIndex(([start, end]) => at >= start && at <= end + 1)
  return i < 0 ? undefined : i
}

export async function checkRowFilters(
  client: pg.Client,
  streams: readonly SelectedStream[],
  live: readonly TableInfo[],
): Promise<void> {
  const liveTables = new Set(live.map((t) => JSON.stringify([t.schemaName, t.tableName])))
  for (const s of streams) {
    const clauses = s.rowFilter ?? []
    // A table that is gone is planStreams' warning, not a filter error.
    if (clauses.length === 0 || !liveTables.has(JSON.stringify([s.schemaName, s.tableName]))) continue
    const statement = rowFilterCheckStatement(s.schemaName, s.tableName, clauses)
    const query: ExtendedQuery = { text: statement.text, queryMode: 'extended' }
    try {
      await client.query(query)
    } catch (e) {
      throw clauseError(e, s, clauses, statement)
    }
  }
}

function clauseError(
  e: unknown,
  s: SelectedStream,
  clauses: readonly string[],
  statement: RowFilterStatement,
): Error {
  const d = (e ?? {}) as { code?: unknown; message?: unknown; position?: unknown }
  const code = typeof d.code === 'string' ? d.code : ''
  const table = `${s.schemaName}.${s.tableName}`
  // A `$1` the shape check missed parses (its type inferred) and fails at Bind, on a live session.
  const parameter = code === '08P01' && /^bind message supplies/.test(String(d.message))
  if (!parameter && (isConnectionFailure(e) || !CLAUSE_ERROR.test(code)))
    return queryError(e, `stream ${s.tapStreamId}: checking its custom_where_clauses on ${table}`)
  const i = clauseAt(statement, typeof d.position === 'string' ? Number(d.position) : undefined)
  const which =
    i === undefined
      ? `custom_where_clauses ${JSON.stringify(clauses)}`
      : `custom_where_clauses[${i}] ${JSON.stringify(clauses[i])}`
  const why = String(d.message ?? e).split('\n')[0]
  return new InputError(
    'STREAM_INVALID',
    `stream ${s.tapStreamId}: stream_options ${which} is not a valid filter of ${table}: ${why} (SQLSTATE ${code})`,
    {
      hint: `each clause is one boolean SQL expression over the columns of ${table}; fix it in stream_options.${s.tapStreamId}.custom_where_clauses`,
      cause: e,
    },
  )
}
