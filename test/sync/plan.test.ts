import { describe, expect, it } from 'vitest'
import type { CatalogEntry } from '../../src/singer/catalog-types.js'
import type { ColumnInfo, PgValueType, TableInfo } from '../../src/values/pg-type.js'
import { InputError } from '../../src/errors.js'
import {
  fullTableStart,
  incrementalStart,
  needsInitialLoad,
  planStreams,
  reconcileState,
  restartLoadsWithoutLsn,
  selectStreams,
} from '../../src/sync/plan.js'
import { streamOrder } from '../../src/sync/scheduler.js'
import { bookmarkProperties, streamSchema } from '../../src/catalog/stream-schema.js'
import { parseState } from '../../src/singer/read-inputs.js'
import { rawJson, type StateValue } from '../../src/singer/state.js'

const int: PgValueType = { kind: 'integer', bits: 32 }
const text: PgValueType = { kind: 'text' }
const ts: PgValueType = { kind: 'timestamptz' }

function col(name: string, type: PgValueType, position: number): ColumnInfo {
  return { name, type, sqlType: type.kind, position }
}

const ORDERS: TableInfo = {
  schemaName: 'public',
  tableName: 'orders',
  relkind: 'r',
  rowCount: 10,
  primaryKey: ['id'],
  columns: [col('id', int, 1), col('updated_at', ts, 2), col('note', text, 3), col('secret', text, 4)],
}
const VIEW: TableInfo = {
  schemaName: 's',
  tableName: 'v',
  relkind: 'v',
  rowCount: 0,
  primaryKey: [],
  columns: [col('id', int, 1)],
}

function entry(
  over: {
    md?: Record<string, unknown>
    props?: Record<string, Record<string, unknown>>
    top?: Partial<CatalogEntry>
    table?: string
    schema?: string
  } = {},
): CatalogEntry {
  const table = over.table ?? 'orders'
  const schema = over.schema ?? 'public'
  return {
    table_name: table,
    stream: table,
    tap_stream_id: `${schema}-${table}`,
    schema: { type: 'object', properties: { id: {}, updated_at: {}, note: {}, secret: {} } },
    metadata: [
      {
        breadcrumb: [],
        metadata: {
          'table-key-properties': ['id'],
          'schema-name': schema,
          'is-view': false,
          selected: true,
          'replication-method': 'FULL_TABLE',
          ...over.md,
        },
      },
      ...Object.entries(over.props ?? {}).map(([c, m]) => ({ breadcrumb: ['properties', c], metadata: m })),
    ],
    ...over.top,
  }
}

function invalid(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(InputError)
    return (e as Error).message
  }
  throw new Error('expected an InputError')
}

describe('selectStreams', () => {
  it('takes selected streams only, with the method from metadata, Meltano top-level keys, or the default', () => {
    const streams = [
      entry({ table: 'a', md: { 'replication-method': undefined } }),
      entry({
        table: 'b',
        md: { 'replication-method': undefined },
        top: { replication_method: 'INCREMENTAL', replication_key: 'updated_at' },
      }),
      entry({ table: 'c', md: { selected: false } }),
      entry({ table: 'd', md: { selected: undefined }, top: { selected: true } }),
      entry({ table: 'e', md: { 'replication-method': 'log_based' } }),
    ]
    const out = selectStreams({ streams }, { default_replication_method: 'FULL_TABLE' })
    expect(out.map((s) => [s.tapStreamId, s.method, s.replicationKey])).toEqual([
      ['public-a', 'FULL_TABLE', undefined],
      ['public-b', 'INCREMENTAL', 'updated_at'],
      ['public-d', 'FULL_TABLE', undefined],
      ['public-e', 'LOG_BASED', undefined],
    ])
    expect(out[0].stream).toBe('public-a')
  })

  it('names the stream <schema>-<stream>, so a renamed stream keeps its schema prefix', () => {
    const [s] = selectStreams({ streams: [entry({ top: { stream: 'renamed' } })] }, {})
    expect([s.stream, s.tapStreamId, s.tableName]).toEqual(['public-renamed', 'public-orders', 'orders'])
  })

  it('view keys come from view-key-properties', () => {
    const [s] = selectStreams(
      {
        streams: [
          entry({ md: { 'is-view': true, 'table-key-properties': [], 'view-key-properties': ['id'] } }),
        ],
      },
      {},
    )
    expect(s.keyProperties).toEqual(['id'])
  })

  it.each([
    [{ 'replication-method': 'SNAPSHOT' }, /unknown replication method "SNAPSHOT"/],
    [{ 'replication-method': undefined }, /no replication method/],
    [{ 'replication-method': 'INCREMENTAL' }, /needs a replication key/],
    [
      { 'replication-method': 'INCREMENTAL', 'replication-key': 'nope' },
      /replication key "nope" is not a column/,
    ],
    [
      { 'replication-method': 'LOG_BASED', 'is-view': true },
      /LOG_BASED replication is not possible on a view/,
    ],
  ])('rejects %j', (md, message) => {
    expect(invalid(() => selectStreams({ streams: [entry({ md })] }, {}))).toMatch(message)
  })

  it('rejects a catalog listing a stream twice', () => {
    expect(invalid(() => selectStreams({ streams: [entry(), entry()] }, {}))).toMatch(/appears twice/)
  })
})

describe('planStreams', () => {
  it('reads selected columns in table order, keys and the replication key always', () => {
    const e = entry({
      md: { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
      props: {
        id: { selected: false },
        updated_at: { selected: false },
        secret: { selected: false },
        note: { inclusion: 'available' },
      },
    })
    const { streams, warnings } = planStreams(selectStreams({ streams: [e] }, {}), [ORDERS])
    expect(warnings).toEqual([])
    expect(streams[0].columns.map((c) => c.name)).toEqual(['id', 'updated_at', 'note'])
    expect(streams[0].rowEstimate).toBe(10)
  })

  it('includes columns added since discovery; drops vanished keys with a warning', () => {
    const e = entry({ md: { 'table-key-properties': ['id', 'gone'] } })
    const { streams, warnings } = planStreams(selectStreams({ streams: [e] }, {}), [ORDERS])
    expect(streams[0].columns.map((c) => c.name)).toEqual(['id', 'updated_at', 'note', 'secret'])
    expect(streams[0].keyProperties).toEqual(['id'])
    expect(warnings).toEqual(['stream public-orders: key column(s) gone no longer exist; not used as keys'])
  })

  it('skips a table that is gone with a warning; checks the live replication key and relkind', () => {
    const sel = selectStreams({ streams: [entry({ table: 'missing' }), entry()] }, {})
    const { streams, warnings } = planStreams(sel, [ORDERS])
    expect(streams.map((s) => s.tapStreamId)).toEqual(['public-orders'])
    expect(warnings[0]).toMatch(/public.missing no longer exists/)
    const inc = selectStreams(
      { streams: [entry({ md: { 'replication-method': 'INCREMENTAL', 'replication-key': 'secret' } })] },
      {},
    )
    expect(invalid(() => planStreams(inc, [{ ...ORDERS, columns: ORDERS.columns.slice(0, 3) }]))).toMatch(
      /replication key "secret" is not a column of public.orders/,
    )
    const log = selectStreams(
      { streams: [entry({ table: 'v', schema: 's', md: { 'replication-method': 'LOG_BASED' } })] },
      {},
    )
    expect(invalid(() => planStreams(log, [VIEW]))).toMatch(/LOG_BASED replication is not possible on a view/)
  })
})

describe('bookmarks at the start of a stream', () => {
  it('resets a bookmark whose method changed; leaves unselected streams alone', () => {
    const state = parseState({
      bookmarks: {
        'public-orders': {
          last_replication_method: 'INCREMENTAL',
          replication_key: 'id',
          replication_key_value: 3,
        },
        other: { version: 1 },
      },
    })
    const { streams } = planStreams(selectStreams({ streams: [entry()] }, {}), [ORDERS])
    const out = reconcileState(state, streams)
    expect(out.bookmarks['public-orders']).toEqual({ last_replication_method: 'FULL_TABLE' })
    expect(out.bookmarks.other).toBe(state.bookmarks.other)
  })

  it('FULL_TABLE: resumes with the bookmark version only when xmin is set', () => {
    expect(fullTableStart({ version: 5, xmin: 77 }, false, false, 1000)).toEqual({
      version: 5,
      order: 'xmin',
      resumeXmin: 77,
      firstRunOfVersion: false,
    })
    expect(fullTableStart({ version: 5, xmin: null }, false, false, 1000)).toEqual({
      version: 1000,
      order: 'xmin',
      firstRunOfVersion: true,
    })
    expect(fullTableStart({ xmin: 77 }, false, false, 1000)).toEqual({
      version: 1000,
      order: 'xmin',
      firstRunOfVersion: true,
    })
    expect(fullTableStart({}, false, true, 1000)).toEqual({
      version: 1000,
      order: 'unordered',
      firstRunOfVersion: true,
    })
    // fast_sync only applies to a fresh sync: a resume keeps its order.
    expect(fullTableStart({ version: 5, xmin: 77 }, false, true, 1000).order).toBe('xmin')
    expect(fullTableStart({ version: 5, xmin: 77 }, true, false, 1000)).toEqual({
      version: 1000,
      order: 'unordered',
      firstRunOfVersion: true,
    })
  })

  it('INCREMENTAL: keeps the version, binds the key value as text', () => {
    expect(incrementalStart({}, 1000)).toEqual({ version: 1000 })
    expect(
      incrementalStart(
        { version: 3, replication_key_value: rawJson('"2023-05-17T10:11:12.123456+00:00"') },
        1000,
      ),
    ).toEqual({ version: 3, from: '2023-05-17T10:11:12.123456+00:00' })
  })

  it('LOG_BASED: an initial load until the bookmark has an lsn and no unfinished load next to it', () => {
    expect(needsInitialLoad({ last_replication_method: 'LOG_BASED', xmin: 4 })).toBe(true)
    expect(needsInitialLoad({ lsn: 0n })).toBe(false)
    expect(needsInitialLoad({ lsn: 7n, xmin: null, version: 1 })).toBe(false)
    // pipelinewise's midway form: the lsn is where the load began, the load resumes.
    expect(needsInitialLoad({ lsn: 7n, xmin: 4, version: 1 })).toBe(true)
    expect(
      needsInitialLoad({
        lsn: 7n,
        version: 1,
        chunks: { pages: 10, size: 5, done: [], relfilenode: 1, snapshot_xmax: 9, snapshot_lsn: 7 },
      }),
    ).toBe(true)
    expect(needsInitialLoad({ lsn: 7n, version: 1, chunks: null })).toBe(false)
  })

  it('LOG_BASED: an unfinished load without its lsn starts again (new version) with a warning; a chunked one takes its snapshot_lsn', () => {
    const streams = planStreams(
      selectStreams({ streams: [entry({ md: { 'replication-method': 'LOG_BASED' } })] }, {}),
      [ORDERS],
    ).streams
    const xminOnly = reconcileState(
      parseState({
        bookmarks: { 'public-orders': { last_replication_method: 'LOG_BASED', version: 5, xmin: 726 } },
      }),
      streams,
    )
    const restarted = restartLoadsWithoutLsn(xminOnly, streams)
    expect(restarted.state.bookmarks['public-orders']).toEqual({ last_replication_method: 'LOG_BASED' })
    expect(restarted.warnings).toHaveLength(1)
    expect(restarted.warnings[0]).toMatch(
      /^stream public-orders: the state holds an unfinished LOG_BASED initial load \(xmin 726\) without the WAL position it started at .*starts again under a new version/,
    )

    const chunks = {
      pages: 10,
      size: 5,
      done: [[0, 1]],
      relfilenode: 1,
      snapshot_xmax: 9,
      snapshot_lsn: 31211520,
    }
    const chunked = restartLoadsWithoutLsn(
      reconcileState(
        parseState({
          bookmarks: { 'public-orders': { last_replication_method: 'LOG_BASED', version: 5, chunks } },
        }),
        streams,
      ),
      streams,
    )
    expect(chunked.warnings).toEqual([])
    expect(chunked.state.bookmarks['public-orders']).toMatchObject({ version: 5, lsn: 31211520n })

    const { snapshot_lsn: _, ...noLsn } = chunks
    const chunkedNoLsn = restartLoadsWithoutLsn(
      reconcileState(
        parseState({
          bookmarks: { 'public-orders': { last_replication_method: 'LOG_BASED', version: 5, chunks: noLsn } },
        }),
        streams,
      ),
      streams,
    )
    expect(chunkedNoLsn.state.bookmarks['public-orders']).toEqual({ last_replication_method: 'LOG_BASED' })
    expect(chunkedNoLsn.warnings[0]).toMatch(/\(a chunk plan\)/)

    // Consistent states are left alone: a midway load with its lsn, a finished one, a FULL_TABLE read.
    for (const b of [{ version: 5, xmin: 726, lsn: 10 }, { version: 5, xmin: null, lsn: 10 }, {}]) {
      const state = reconcileState(
        parseState({
          bookmarks: { 'public-orders': { last_replication_method: 'LOG_BASED', ...b } },
        } as unknown as StateValue),
        streams,
      )
      expect(restartLoadsWithoutLsn(state, streams)).toEqual({ state, warnings: [] })
    }
    const full = planStreams(selectStreams({ streams: [entry()] }, {}), [ORDERS]).streams
    const fullState = reconcileState(
      parseState({
        bookmarks: { 'public-orders': { last_replication_method: 'FULL_TABLE', version: 5, xmin: 726 } },
      }),
      full,
    )
    expect(restartLoadsWithoutLsn(fullState, full)).toEqual({ state: fullState, warnings: [] })
  })
})

describe('stream order and schema', () => {
  it('starts the largest tables first, ties in catalog order', () => {
    expect(
      streamOrder([
        { rowEstimate: 1, n: 'a' },
        { rowEstimate: 9, n: 'b' },
        { rowEstimate: 1, n: 'c' },
        { rowEstimate: 5, n: 'd' },
      ]).map((s) => s.n),
    ).toEqual(['b', 'd', 'a', 'c'])
  })

  it('builds SCHEMA from live types; keys not nullable; LOG_BASED adds _sdc columns', () => {
    const cols = [col('id', int, 1), col('note', text, 2)]
    const full = streamSchema(
      { stream: 'public-orders', method: 'FULL_TABLE', columns: cols, keyProperties: ['id'] },
      false,
    )
    expect(full.properties).toEqual({
      id: { type: ['integer'], minimum: -2147483648, maximum: 2147483647 },
      note: { type: ['null', 'string'] },
    })
    const log = streamSchema({ stream: 's', method: 'LOG_BASED', columns: cols, keyProperties: ['id'] }, true)
    expect(Object.keys(log.properties as object)).toEqual(['id', 'note', '_sdc_deleted_at', '_sdc_lsn'])
    expect(
      bookmarkProperties({
        stream: 's',
        method: 'INCREMENTAL',
        columns: cols,
        keyProperties: [],
        replicationKey: 'note',
      }),
    ).toEqual(['note'])
    expect(
      bookmarkProperties({ stream: 's', method: 'LOG_BASED', columns: cols, keyProperties: [] }),
    ).toEqual(['lsn'])
  })
})
