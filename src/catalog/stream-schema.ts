/**
 * The SCHEMA a stream sends at sync time: built from the live column types (so it matches the
 * table today), limited to the columns read, keys not nullable (docs/behaviour.md#discovery-and-the-catalog;
 * the per-type schemas are in src/catalog/json-schema.ts, docs/types.md).
 */
import type { JsonSchema } from '../singer/catalog-types.js'
import { jsonSchemaForType } from './json-schema.js'
import type { ColumnInfo } from '../values/pg-type.js'
import type { ReplicationMethod } from '../config/schema.js'
import { schemaLine } from '../singer/messages.js'

export interface SchemaSource {
  readonly stream: string
  readonly method: ReplicationMethod
  readonly columns: readonly ColumnInfo[]
  readonly keyProperties: readonly string[]
  readonly replicationKey?: string
}

/** LOG_BASED records carry `_sdc_deleted_at` (and `_sdc_lsn` with debug_lsn), as pipelinewise's add_automatic_properties. */
export function streamSchema(s: SchemaSource, debugLsn: boolean): JsonSchema {
  const keys = new Set(s.keyProperties)
  const properties: Array<[string, JsonSchema]> = s.columns.map((c) => [
    c.name,
    jsonSchemaForType(c.type, !keys.has(c.name)),
  ])
  if (s.method === 'LOG_BASED') {
    properties.push(['_sdc_deleted_at', { type: ['null', 'string'], format: 'date-time' }])
    if (debugLsn) properties.push(['_sdc_lsn', { type: ['null', 'string'] }])
  }
  // fromEntries: a column called `__proto__` stays a property.
  return { type: 'object', properties: Object.fromEntries(properties), definitions: {} }
}

export function bookmarkProperties(s: SchemaSource): string[] {
  if (s.method === 'INCREMENTAL') return s.replicationKey === undefined ? [] : [s.replicationKey]
  if (s.method === 'LOG_BASED') return ['lsn']
  return []
}

export function streamSchemaLine(s: SchemaSource, debugLsn: boolean): string {
  return schemaLine(s.stream, streamSchema(s, debugLsn), s.keyProperties, bookmarkProperties(s))
}
