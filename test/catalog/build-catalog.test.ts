import { describe, expect, it } from 'vitest'
import {
  buildCatalog,
  catalogText,
  compareCodePoints,
  duplicateIds,
  keyPropertiesOf,
} from '../../src/catalog/build-catalog.js'
import type { ColumnInfo, PgValueType, TableInfo } from '../../src/values/pg-type.js'
import { stringifyJson } from '../../src/singer/json.js'

function col(name: string, position: number, sqlType: string, type: PgValueType): ColumnInfo {
  return { name, position, sqlType, type }
}

const BIGINT: PgValueType = { kind: 'integer', bits: 64 }
const TEXT: PgValueType = { kind: 'text' }

const orders: TableInfo = {
  schemaName: 'public',
  tableName: 'orders',
  relkind: 'r',
  rowCount: 120000,
  // Key order (b, a) differs from column order (a, b).
  primaryKey: ['b', 'a'],
  columns: [
    col('a', 1, 'bigint', BIGINT),
    col('b', 2, 'character varying(10)', { kind: 'text', maxLength: 10 }),
    col('note', 4, 'text', TEXT),
  ],
}
const view: TableInfo = {
  schemaName: 'public',
  tableName: 'order_view',
  relkind: 'v',
  rowCount: 0,
  primaryKey: [],
  columns: [col('a', 1, 'bigint', BIGINT)],
}
const matview: TableInfo = { ...view, tableName: 'order_mv', relkind: 'm', rowCount: 7 }
const partitioned: TableInfo = {
  ...view,
  schemaName: 'sales',
  tableName: 'events',
  relkind: 'p',
  rowCount: 3,
}

describe('buildCatalog', () => {
  it('writes the pipelinewise entry shape with metadata and schema per column', () => {
    const catalog = buildCatalog([orders], 'shop')
    expect(catalog).toEqual({
      streams: [
        {
          table_name: 'orders',
          stream: 'orders',
          tap_stream_id: 'public-orders',
          schema: {
            type: 'object',
            properties: {
              a: { type: ['integer'], minimum: -9223372036854775808n, maximum: 9223372036854775807n },
              b: { type: ['string'], maxLength: 10 },
              note: { type: ['null', 'string'] },
            },
            definitions: {},
          },
          metadata: [
            {
              breadcrumb: [],
              metadata: {
                'table-key-properties': ['a', 'b'],
                'schema-name': 'public',
                'database-name': 'shop',
                'row-count': 120000,
                'is-view': false,
              },
            },
            {
              breadcrumb: ['properties', 'a'],
              metadata: { 'sql-datatype': 'bigint', inclusion: 'automatic', 'selected-by-default': true },
            },
            {
              breadcrumb: ['properties', 'b'],
              metadata: {
                'sql-datatype': 'character varying(10)',
                inclusion: 'automatic',
                'selected-by-default': true,
              },
            },
            {
              breadcrumb: ['properties', 'note'],
              metadata: { 'sql-datatype': 'text', inclusion: 'available', 'selected-by-default': true },
            },
          ],
        },
      ],
    })
  })

  it('lists key properties in column order (docs/behaviour.md#discovery-and-the-catalog), whatever the index order', () => {
    expect(keyPropertiesOf(orders)).toEqual(['a', 'b'])
  })

  it('marks views and materialized views, not partitioned tables', () => {
    const byId = new Map(
      buildCatalog([view, matview, partitioned], 'shop').streams.map((s) => [s.tap_stream_id, s]),
    )
    expect(byId.get('public-order_view')?.metadata[0].metadata).toMatchObject({
      'is-view': true,
      'table-key-properties': [],
    })
    expect(byId.get('public-order_mv')?.metadata[0].metadata).toMatchObject({
      'is-view': true,
      'row-count': 7,
    })
    expect(byId.get('sales-events')?.metadata[0].metadata).toMatchObject({
      'is-view': false,
      'schema-name': 'sales',
    })
  })

  it('sorts streams by tap_stream_id in code point order, properties in column order', () => {
    const t = (schemaName: string, tableName: string): TableInfo => ({ ...view, schemaName, tableName })
    // U+FFFD sorts before U+1F600 by code point, after it by UTF-16 unit (0xD83D).
    const tables = [
      t('public', '\u{1F600}'),
      t('public', '\uFFFD'),
      t('b', 'x'),
      t('a', 'z'),
      t('a', 'Z'),
      t('a-b', 'c'),
      t('a', 'b-c'),
    ]
    const ids = buildCatalog(tables, 'db').streams.map((s) => s.tap_stream_id)
    expect(ids).toEqual(['a-Z', 'a-b-c', 'a-b-c', 'a-z', 'b-x', 'public-\uFFFD', 'public-\u{1F600}'])
    // Equal ids keep one order whatever the input order: `a`.`b-c` before `a-b`.`c`.
    const catalog = buildCatalog(tables, 'db')
    expect(catalog.streams.filter((s) => s.tap_stream_id === 'a-b-c').map((s) => s.table_name)).toEqual([
      'b-c',
      'c',
    ])
    expect(buildCatalog([...tables].reverse(), 'db')).toEqual(catalog)
    expect(duplicateIds(catalog.streams.map((s) => s.tap_stream_id))).toEqual(['a-b-c'])
    const wide: TableInfo = {
      ...view,
      columns: [col('z', 1, 'text', TEXT), col('a', 2, 'text', TEXT), col('m', 5, 'text', TEXT)],
    }
    const entry = buildCatalog([wide], 'db').streams[0]
    expect(Object.keys(entry.schema.properties ?? {})).toEqual(['z', 'a', 'm'])
    expect(entry.metadata.map((m) => m.breadcrumb[1] ?? '')).toEqual(['', 'z', 'a', 'm'])
  })

  it('keeps a column called __proto__ as a property', () => {
    const odd: TableInfo = {
      ...view,
      columns: [col('__proto__', 1, 'text', TEXT), col('constructor', 2, 'text', TEXT)],
    }
    const props = buildCatalog([odd], 'db').streams[0].schema.properties ?? {}
    expect(Object.keys(props)).toEqual(['__proto__', 'constructor'])
    expect(stringifyJson(props)).toBe(
      '{"__proto__":{"type":["null","string"]},"constructor":{"type":["null","string"]}}',
    )
  })

  it('is byte-stable and prints 64-bit bounds exactly', () => {
    const a = stringifyJson(buildCatalog([orders, view, matview, partitioned], 'shop'), 2)
    const b = stringifyJson(buildCatalog([partitioned, matview, view, orders], 'shop'), 2)
    expect(a).toBe(b)
    expect(a).toContain('"minimum": -9223372036854775808')
    expect(a).toContain('"maximum": 9223372036854775807')
  })
})

describe('catalogText', () => {
  const sets: Array<[string, TableInfo[]]> = [
    ['no tables', []],
    ['one table', [orders]],
    ['several, unsorted', [partitioned, orders, matview, view]],
  ]
  it.each(sets)(
    'is the bytes of stringifyJson(buildCatalog(...), 2) for %s, whatever the piece size',
    (_name, tables) => {
      const whole = stringifyJson(buildCatalog(tables, 'shop'), 2)
      for (const pieceChars of [1, 100, 1_000_000]) {
        const pieces = [...catalogText(tables, 'shop', pieceChars)]
        expect(pieces.join('')).toBe(whole)
        // Small pieces: one entry per piece at most, so the whole catalog is never held as one string.
        if (pieceChars === 1 && tables.length > 1) expect(pieces.length).toBeGreaterThan(tables.length)
      }
    },
  )
})

describe('duplicateIds', () => {
  it('names each repeated id once', () => {
    expect(duplicateIds(['a', 'b', 'a', 'c', 'a', 'b'])).toEqual(['a', 'b'])
    expect(duplicateIds([])).toEqual([])
  })
})

describe('compareCodePoints', () => {
  it('orders like a UTF-8 byte comparison', () => {
    const words = ['b', 'a', '\u{10000}', '\uFFFF', 'ab', '', 'é', 'Z']
    const byBytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect([...words].sort(compareCodePoints)).toEqual(byBytes)
  })
})
