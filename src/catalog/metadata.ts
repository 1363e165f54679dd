/**
 * Reading a catalog entry's metadata (docs/behaviour.md#discovery-and-the-catalog): selection, deselected columns, keys, and the
 * replication method and key, including Meltano's top-level overlays. Pure; errors are InputErrors
 * naming the stream.
 */
import { InputError } from '../errors.js'
import { REPLICATION_METHODS, type ReplicationMethod } from '../config/schema.js'
import type { CatalogEntry, PropertyMetadata, StreamMetadata } from '../singer/catalog-types.js'

function breadcrumbIs(b: readonly string[], want: readonly string[]): boolean {
  return b.length === want.length && b.every((x, i) => x === want[i])
}

/** Metadata at breadcrumb `[]` (several entries merge, later wins, as singer-python's to_map does). */
function streamMetadata(entry: CatalogEntry): StreamMetadata {
  let out: StreamMetadata = {}
  for (const m of entry.metadata)
    if (breadcrumbIs(m.breadcrumb, [])) out = { ...out, ...(m.metadata as StreamMetadata) }
  return out
}

function propertyMetadata(entry: CatalogEntry, column: string): PropertyMetadata | undefined {
  let out: PropertyMetadata | undefined
  for (const m of entry.metadata) {
    if (breadcrumbIs(m.breadcrumb, ['properties', column]))
      out = { ...(out ?? {}), ...(m.metadata as PropertyMetadata) }
  }
  return out
}

/** Meltano writes `selected: true` at `[]`; older catalogs put `selected` at the top level. */
export function isStreamSelected(entry: CatalogEntry): boolean {
  const md = streamMetadata(entry).selected
  return md !== undefined ? md === true : entry.selected === true
}

function isViewEntry(entry: CatalogEntry): boolean {
  return streamMetadata(entry)['is-view'] === true
}

/** The schema of the table: `schema-name` metadata, else the tap_stream_id's `<schema>-` prefix. */
export function schemaNameOf(entry: CatalogEntry): string {
  const md = streamMetadata(entry)['schema-name']
  if (typeof md === 'string' && md !== '') return md
  const i = entry.tap_stream_id.indexOf('-')
  if (i > 0) return entry.tap_stream_id.slice(0, i)
  throw new InputError(
    'CATALOG_INVALID',
    `invalid catalog: stream ${entry.tap_stream_id} has no "schema-name" metadata`,
  )
}

/** The table: `table_name`, else the tap_stream_id after `<schema>-`. */
export function tableNameOf(entry: CatalogEntry): string {
  if (entry.table_name) return entry.table_name
  const schema = schemaNameOf(entry)
  return entry.tap_stream_id.startsWith(schema + '-')
    ? entry.tap_stream_id.slice(schema.length + 1)
    : entry.tap_stream_id
}

/** Primary key columns; a view's keys come from `view-key-properties` (tables have no say there). */
export function keyPropertiesOf(entry: CatalogEntry): string[] {
  const md = streamMetadata(entry)
  const fromMd = isViewEntry(entry) ? md['view-key-properties'] : md['table-key-properties']
  const keys = Array.isArray(fromMd) ? fromMd : (entry.key_properties ?? [])
  return keys.filter((k): k is string => typeof k === 'string')
}

/**
 * A column the user turned off with `selected: false` (or that discovery marked unsupported).
 * Key columns and the replication key are read anyway: the caller decides that.
 */
export function isColumnDeselected(entry: CatalogEntry, column: string): boolean {
  const md = propertyMetadata(entry, column)
  if (md === undefined) return false
  if (md.inclusion === 'unsupported') return true
  if (md.selected !== undefined) return md.selected === false
  return md['selected-by-default'] === false && md.inclusion !== 'automatic'
}

export interface StreamReplication {
  readonly method: ReplicationMethod
  readonly replicationKey?: string
}

function invalid(entry: CatalogEntry, why: string, hint?: string): InputError {
  return new InputError('STREAM_INVALID', `stream ${entry.tap_stream_id}: ${why}`, { hint })
}

/**
 * The stream's method and key: metadata at `[]` first, then Meltano's top-level
 * `replication_method`/`replication_key`, then config `default_replication_method`.
 * Checks what needs no database: a known method, a key for INCREMENTAL that is one of the catalog's
 * columns, no LOG_BASED on a view. (The key is checked again against the live columns.)
 */
export function resolveReplication(
  entry: CatalogEntry,
  defaultMethod: ReplicationMethod | undefined,
): StreamReplication {
  const md = streamMetadata(entry)
  const rawMethod = md['replication-method'] ?? entry.replication_method ?? defaultMethod
  if (rawMethod === undefined || rawMethod === null || rawMethod === '') {
    throw invalid(
      entry,
      'no replication method',
      'set "replication-method" in its metadata or config default_replication_method',
    )
  }
  const method = String(rawMethod).toUpperCase()
  if (!(REPLICATION_METHODS as readonly string[]).includes(method)) {
    throw invalid(
      entry,
      `unknown replication method "${String(rawMethod)}"`,
      `use one of ${REPLICATION_METHODS.join(', ')}`,
    )
  }
  const m = method as ReplicationMethod
  if (m === 'LOG_BASED' && isViewEntry(entry)) {
    throw invalid(
      entry,
      'LOG_BASED replication is not possible on a view',
      'use FULL_TABLE or INCREMENTAL for views',
    )
  }
  if (m !== 'INCREMENTAL') return { method: m }
  const key = md['replication-key'] ?? entry.replication_key
  if (typeof key !== 'string' || key === '') {
    throw invalid(
      entry,
      'INCREMENTAL replication needs a replication key',
      'set "replication-key" in its metadata',
    )
  }
  const properties = entry.schema.properties
  if (properties !== undefined && !Object.hasOwn(properties, key)) {
    throw invalid(entry, `replication key "${key}" is not a column of the stream`)
  }
  return { method: m, replicationKey: key }
}
