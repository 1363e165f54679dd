/**
 * Row filters (stream_options custom_where_clauses) matched with the run's streams, with no I/O:
 * which stream reads with which clauses, and which configurations are refused before any
 * connection or output. The clauses' SQL is checked by the server later (check-row-filters.ts).
 */
import { whereClausesOf, type StreamOptions } from '../config/stream-options.js'
import { InputError } from '../errors.js'
import { rowFilterSql } from '../pg/sql.js'
import type { SelectedStream } from './plan.js'

/**
 * What the LOG_BASED decoder can do with a row filter. wal2json decodes every change of the table,
 * so the tap would have to filter changes itself, which it cannot do faithfully: a DELETE carries
 * only the key, and an UPDATE that moves a row out of the filter must become a delete while the
 * old row's values are not in the change. pgoutput (PostgreSQL 15+) can leave that to the server with a publication row filter
 * (`CREATE PUBLICATION ... FOR TABLE t WHERE (...)`), which handles exactly that case.
 */
export interface ChangeFilterSupport {
  /** The decoder's name, for messages. */
  readonly decoder: string
  /** True when the decoder reads a publication that can carry a row filter (pgoutput on PostgreSQL 15+). */
  readonly publicationRowFilter: boolean
}

/**
 * What a LOG_BASED run can do today, whichever plugin: the refusal comes before any connection, so
 * before the slot's plugin is known, and the tap sets up no publication row filter for a pgoutput
 * slot (publication.ts refuses a publication that has one).
 */
export const LOG_BASED_CHANGES: ChangeFilterSupport = {
  decoder: 'logical decoding',
  publicationRowFilter: false,
}

export type LogBasedFilterDecision =
  /** No clauses: nothing to decide. */
  | { readonly kind: 'none' }
  /**
   * The clauses, ANDed, as the publication's row filter. The server has the last word when the
   * publication is altered: it refuses what a row filter cannot hold (non-immutable or
   * user-defined functions, system columns, columns outside the replica identity for UPDATE and
   * DELETE); the pgoutput path must turn that refusal into this stream's error.
   */
  | { readonly kind: 'publication-row-filter'; readonly expression: string }
  | { readonly kind: 'refuse'; readonly message: string; readonly hint: string }

export function logBasedFilterDecision(
  tapStreamId: string,
  clauses: readonly string[],
  support: ChangeFilterSupport,
): LogBasedFilterDecision {
  const expression = rowFilterSql(clauses)
  if (expression === undefined) return { kind: 'none' }
  if (support.publicationRowFilter) return { kind: 'publication-row-filter', expression }
  return {
    kind: 'refuse',
    message: `stream ${tapStreamId}: LOG_BASED changes cannot be filtered by stream_options custom_where_clauses (${support.decoder} sends every change of the table)`,
    hint:
      `remove stream_options.${tapStreamId}.custom_where_clauses, or replicate the stream with FULL_TABLE or INCREMENTAL; ` +
      'a pgoutput publication row filter (PostgreSQL 15+) could filter changes on the server, which the tap does not set up yet',
  }
}

export interface RowFilterPlan {
  /** The selected streams, each with its clauses as `rowFilter` (when it has any). */
  readonly streams: SelectedStream[]
  /** stream_options of streams that are in the catalog but not selected. */
  readonly warnings: string[]
}

/**
 * Gives each selected stream its clauses. A stream_options key that is not a stream of the catalog
 * is an error (a misspelt id would read the whole table); one of a stream not selected in this
 * run, a warning. A LOG_BASED stream with clauses is refused unless the decoder can filter.
 */
/** `catalogIds`: every tap_stream_id of the catalog file, selected or not. */
export function attachRowFilters(
  catalogIds: ReadonlySet<string>,
  selected: readonly SelectedStream[],
  options: StreamOptions | undefined,
  support: ChangeFilterSupport = LOG_BASED_CHANGES,
): RowFilterPlan {
  const warnings: string[] = []
  if (options !== undefined) {
    const isSelected = new Set(selected.map((s) => s.tapStreamId))
    for (const id of Object.keys(options)) {
      if (!catalogIds.has(id)) {
        throw new InputError(
          'CONFIG_INVALID',
          `invalid config: stream_options names stream ${JSON.stringify(id)}, which is not in the catalog`,
          {
            hint: 'stream_options keys are tap_stream_ids as the catalog spells them (<schema>-<table>)',
          },
        )
      }
      if (!isSelected.has(id) && whereClausesOf(options, id).length > 0)
        warnings.push(
          `stream_options.${id}: stream ${id} is not selected; its custom_where_clauses are not used`,
        )
    }
  }
  const streams = selected.map((s): SelectedStream => {
    const clauses = whereClausesOf(options, s.tapStreamId)
    if (clauses.length === 0) return s
    if (s.method === 'LOG_BASED') {
      const decision = logBasedFilterDecision(s.tapStreamId, clauses, support)
      if (decision.kind === 'refuse')
        throw new InputError('STREAM_INVALID', decision.message, { hint: decision.hint })
    }
    return { ...s, rowFilter: clauses }
  })
  return { streams, warnings }
}
