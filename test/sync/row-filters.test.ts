/** Row filters matched with the run's streams (pure), and the server check's clause positions. */
import { describe, expect, it } from 'vitest'
import type { Catalog, CatalogEntry } from '../../src/singer/catalog-types.js'
import { InputError } from '../../src/errors.js'
import { attachRowFilters, logBasedFilterDecision, LOG_BASED_CHANGES } from '../../src/sync/row-filters.js'
import { clauseAt, rowFilterCheckStatement } from '../../src/sync/check-row-filters.js'
import { selectStreams } from '../../src/sync/plan.js'
import { thrownBy } from '../harness/thrown.js'

function entry(table: string, method: string | undefined): CatalogEntry {
  return {
    table_name: table,
    stream: table,
    tap_stream_id: `public-${table}`,
    schema: { type: 'object', properties: { id: {} } },
    metadata: [
      {
        breadcrumb: [],
        metadata: {
          'schema-name': 'public',
          'table-key-properties': ['id'],
          ...(method === undefined ? {} : { selected: true, 'replication-method': method }),
        },
      },
    ],
  }
}

const catalog: Catalog = {
  streams: [
    entry('orders', 'FULL_TABLE'),
    entry('items', 'INCREMENTAL'),
    entry('events', 'LOG_BASED'),
    entry('archive', undefined),
  ],
}
catalog.streams[1].metadata[0].metadata['replication-key'] = 'id'
const selected = selectStreams(catalog, {})

const ids = new Set(catalog.streams.map((s) => s.tap_stream_id))

describe('attachRowFilters', () => {
  it('gives each stream its clauses; streams without any are unchanged', () => {
    const plan = attachRowFilters(ids, selected, {
      'public-orders': { custom_where_clauses: ['id > 1', 'id < 9'] },
      'public-items': { custom_where_clauses: [] },
    })
    expect(plan.warnings).toEqual([])
    expect(plan.streams.map((s) => [s.tapStreamId, s.rowFilter])).toEqual([
      ['public-orders', ['id > 1', 'id < 9']],
      ['public-items', undefined],
      ['public-events', undefined],
    ])
    expect(plan.streams[1]).toBe(selected[1])
    expect(attachRowFilters(ids, selected, undefined).streams).toEqual(selected)
  })

  it('a key that is no stream of the catalog is an error naming it; a stream not selected, a warning', () => {
    const e = thrownBy(InputError, () =>
      attachRowFilters(ids, selected, { 'public-ordrs': { custom_where_clauses: ['id > 1'] } }),
    )
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe(
      'invalid config: stream_options names stream "public-ordrs", which is not in the catalog',
    )
    expect(
      attachRowFilters(ids, selected, { 'public-archive': { custom_where_clauses: ['id > 1'] } }).warnings,
    ).toEqual([
      'stream_options.public-archive: stream public-archive is not selected; its custom_where_clauses are not used',
    ])
  })

  it('refuses a LOG_BASED stream with clauses (either plugin), naming the stream and what to do', () => {
    const e = thrownBy(InputError, () =>
      attachRowFilters(ids, selected, { 'public-events': { custom_where_clauses: ['id > 1'] } }),
    )
    expect(e.code).toBe('STREAM_INVALID')
    expect(e.message).toBe(
      'stream public-events: LOG_BASED changes cannot be filtered by stream_options custom_where_clauses (logical decoding sends every change of the table)',
    )
    expect(e.hint).toMatch(
      /^remove stream_options\.public-events\.custom_where_clauses, or replicate the stream with FULL_TABLE or INCREMENTAL; .*pgoutput .*publication row filter/,
    )
    // An empty list is no filter: nothing to refuse.
    expect(
      attachRowFilters(ids, selected, { 'public-events': { custom_where_clauses: [] } }).streams[2].rowFilter,
    ).toBeUndefined()
  })

  it('a decoder with publication row filters gets the clauses as one expression instead', () => {
    const pgoutput = { decoder: 'pgoutput', publicationRowFilter: true }
    expect(logBasedFilterDecision('public-events', ['a = 1', 'b OR c'], pgoutput)).toEqual({
      kind: 'publication-row-filter',
      expression: '(a = 1\n) AND (b OR c\n)',
    })
    expect(logBasedFilterDecision('public-events', [], LOG_BASED_CHANGES)).toEqual({ kind: 'none' })
    const plan = attachRowFilters(
      ids,
      selected,
      { 'public-events': { custom_where_clauses: ['id > 1'] } },
      pgoutput,
    )
    expect(plan.streams[2].rowFilter).toEqual(['id > 1'])
  })
})

describe('row filter check statement', () => {
  it('knows where each clause sits, in characters as the server counts an error position', () => {
    const clauses = ['ä = 1', 'nope > 2', '😀 = 3']
    const s = rowFilterCheckStatement('public', 'orders', clauses)
    expect(s.text).toBe(
      `EXPLAIN SELECT 1 FROM "public"."orders" WHERE (ä = 1\n) AND (nope > 2\n) AND (😀 = 3\n)`,
    )
    const chars = Array.from(s.text)
    for (const [i, [start, end]] of s.clauses.entries())
      expect(chars.slice(start, end).join('')).toBe(clauses[i])
    // The server's position is 1-based: "nope" starts at character index s.clauses[1][0].
    expect(clauseAt(s, s.clauses[1][0] + 1)).toBe(1)
    expect(clauseAt(s, s.clauses[2][1] + 1)).toBe(2)
    expect(clauseAt(s, 3)).toBeUndefined()
    expect(clauseAt(s, undefined)).toBeUndefined()
  })
})
