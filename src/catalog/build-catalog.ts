/**
 * TableInfo[] → the Singer catalog (docs/behaviour.md#discovery-and-the-catalog, docs/examples/catalog-entry.json). Pure and
 * deterministic: the same tables give the same bytes, so users can diff catalogs between runs.
 */
import type { Catalog, CatalogEntry, JsonSchema, MetadataEntry } from '../singer/catalog-types.js'
import { jsonSchemaForType } from './json-schema.js'
import { isViewRelkind, tapStreamId, type TableInfo } from '../values/pg-type.js'
import { stringifyJson, stringifyJsonAt } from '../singer/json.js'

/**
 * Compares by Unicode code point. JS `<` compares UTF-16 code units, which puts U+FFFD before an emoji
 * in one order and after it in the other; code points make the order the same as a UTF-8 byte sort.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i) as number
    const cb = b.codePointAt(i) as number
    if (ca !== cb) return ca - cb
    if (ca > 0xffff) i++
  }
  return a.length - b.length
}

/**
 * The key columns as the catalog lists them: in column order, as docs/behaviour.md#discovery-and-the-catalog and pipelinewise have it
 * (TableInfo keeps the index's key order for whoever needs it).
 */
export function keyPropertiesOf(table: TableInfo): string[] {
  const keys = new Set(table.primaryKey)
  return table.columns.filter((c) => keys.has(c.name)).map((c) => c.name)
}

function catalogEntry(table: TableInfo, databaseName: string): CatalogEntry {
  const keyProperties = keyPropertiesOf(table)
  const keys = new Set(keyProperties)
  const metadata: MetadataEntry[] = [
    {
      breadcrumb: [],
      metadata: {
        'table-key-properties': keyProperties,
        'schema-name': table.schemaName,
        'database-name': databaseName,
        'row-count': table.rowCount,
        'is-view': isViewRelkind(table.relkind),
      },
    },
  ]
  const properties: Array<[string, JsonSchema]> = []
  for (const column of table.columns) {
    const isKey = keys.has(column.name)
    properties.push([column.name, jsonSchemaForType(column.type, !isKey)])
    metadata.push({
      breadcrumb: ['properties', column.name],
      metadata: {
        'sql-datatype': column.sqlType,
        inclusion: isKey ? 'automatic' : 'available',
        'selected-by-default': true,
      },
    })
  }
  return {
    table_name: table.tableName,
    stream: table.tableName,
    tap_stream_id: tapStreamId(table.schemaName, table.tableName),
    // fromEntries defines own keys, so a column called `__proto__` is a property, not a prototype.
    schema: { type: 'object', properties: Object.fromEntries(properties), definitions: {} },
    metadata,
  }
}

/**
 * Streams sorted by tap_stream_id; properties and their metadata in column order. `a-b`.`c` and
 * `a`.`b-c` share the id `a-b-c`, so ties fall back to the schema name to keep the order (and the
 * bytes) independent of the server's row order.
 */
export function buildCatalog(tables: readonly TableInfo[], databaseName: string): Catalog {
  return { streams: catalogOrder(tables).map((t) => catalogEntry(t, databaseName)) }
}

/** The tables in the catalog's stream order (see buildCatalog). */
function catalogOrder(tables: readonly TableInfo[]): TableInfo[] {
  return [...tables].sort(
    (a, b) =>
      compareCodePoints(tapStreamId(a.schemaName, a.tableName), tapStreamId(b.schemaName, b.tableName)) ||
      compareCodePoints(a.schemaName, b.schemaName),
  )
}

/**
 * The catalog's text, `stringifyJson(buildCatalog(tables, databaseName), 2)` byte for byte, in
 * pieces of about `pieceChars` characters: one entry is built and written at a time, so discovery of
 * thousands of tables never holds the whole catalog (tens of MB of objects and text) at once.
 */
export function* catalogText(
  tables: readonly TableInfo[],
  databaseName: string,
  pieceChars = 64 * 1024,
): Generator<string> {
  if (tables.length === 0) {
    yield stringifyJson(buildCatalog([], databaseName), 2)
    return
  }
  // An entry sits two levels deep: {"streams": [ entry ]}.
  const entryIndent = '\n' + ' '.repeat(4)
  let piece = '{\n  "streams": ['
  for (const table of catalogOrder(tables)) {
    piece +=
      (piece.endsWith('[') ? '' : ',') +
      entryIndent +
      stringifyJsonAt(catalogEntry(table, databaseName), 2, entryIndent)
    if (piece.length >= pieceChars) {
      yield piece
      piece = ''
    }
  }
  yield piece + '\n  ]\n}'
}

/**
 * The ids that occur more than once, each once, in order of their second occurrence: two streams
 * with one tap_stream_id cannot be told apart by selections and state bookmarks.
 */
export function duplicateIds(ids: Iterable<string>): string[] {
  const seen = new Set<string>()
  const dup = new Set<string>()
  for (const id of ids) (seen.has(id) ? dup : seen).add(id)
  return [...dup]
}
