/**
 * The `stream_options` setting: per-stream options keyed by tap_stream_id, in the shape MeltanoLabs
 * tap-postgres users already write: `{"<tap_stream_id>": {"custom_where_clauses": ["<SQL>", ...]}}`.
 * Checked here for shape only (every problem names its key path); which streams exist is the sync's
 * business (sync/row-filters.ts), whether the SQL parses the server's (sync/check-row-filters.ts).
 */
import { clauseShapeProblem } from './clause-shape.js'

export interface StreamOptionsEntry {
  /** SQL boolean expressions over the stream's table, ANDed into every read of the stream. */
  readonly custom_where_clauses?: readonly string[]
}

export type StreamOptions = Readonly<Record<string, StreamOptionsEntry>>

const KNOWN_OPTIONS = ['custom_where_clauses'] as const

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/**
 * The problems of a `stream_options` object, each naming its path
 * (`stream_options.public-orders.custom_where_clauses[1] must be a string`). An unknown option is
 * an error, not a warning: a misspelt `custom_where_clause` would otherwise read the whole table.
 */
export function streamOptionsProblems(value: Record<string, unknown>): string[] {
  const problems: string[] = []
  for (const [stream, entry] of Object.entries(value)) {
    const at = `stream_options.${stream}`
    if (!isPlainObject(entry)) {
      problems.push(`${at} must be an object (e.g. {"custom_where_clauses": ["..."]})`)
      continue
    }
    for (const key of Object.keys(entry)) {
      if (!(KNOWN_OPTIONS as readonly string[]).includes(key))
        problems.push(`${at}.${key} is not a stream option (known: ${KNOWN_OPTIONS.join(', ')})`)
    }
    const clauses = entry.custom_where_clauses
    if (clauses === undefined || clauses === null) continue
    if (!Array.isArray(clauses)) {
      problems.push(`${at}.custom_where_clauses must be an array of strings`)
      continue
    }
    clauses.forEach((clause: unknown, i) => {
      const path = `${at}.custom_where_clauses[${i}]`
      if (typeof clause !== 'string') {
        problems.push(`${path} must be a string`)
        return
      }
      const shape = clauseShapeProblem(clause)
      if (shape !== undefined) problems.push(`${path} ${shape}`)
    })
  }
  return problems
}

/** The clauses of one stream (none when it has no options or an empty list). */
export function whereClausesOf(options: StreamOptions | undefined, tapStreamId: string): readonly string[] {
  const clauses =
    options !== undefined && Object.hasOwn(options, tapStreamId)
      ? options[tapStreamId].custom_where_clauses
      : undefined
  return clauses ?? []
}
