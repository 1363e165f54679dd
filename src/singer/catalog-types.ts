/**
 * The Singer catalog as JSON (what `discover` writes and `sync --catalog` reads), in the
 * pipelinewise-tap-postgres 2.1 shape (docs/behaviour.md#discovery-and-the-catalog, docs/examples/catalog-entry.json).
 */
import type { ReplicationMethod } from '../config/schema.js'

export type JsonSchema = Record<string, unknown>

export type Breadcrumb = [] | ['properties', string]

export interface StreamMetadata {
  'table-key-properties'?: string[]
  'schema-name'?: string
  'database-name'?: string
  'row-count'?: number
  'is-view'?: boolean
  selected?: boolean
  'replication-method'?: ReplicationMethod | string
  'replication-key'?: string
  'view-key-properties'?: string[]
  [key: string]: unknown
}

export interface PropertyMetadata {
  'sql-datatype'?: string
  inclusion?: 'automatic' | 'available' | 'unsupported'
  'selected-by-default'?: boolean
  selected?: boolean
  [key: string]: unknown
}

export interface MetadataEntry {
  breadcrumb: Breadcrumb | string[]
  metadata: StreamMetadata | PropertyMetadata
}

export interface CatalogEntry {
  table_name: string
  stream: string
  tap_stream_id: string
  schema: JsonSchema & { properties?: Record<string, JsonSchema> }
  metadata: MetadataEntry[]
  /** Meltano may also write these at the top level of a stream. */
  replication_method?: string
  replication_key?: string
  key_properties?: string[]
  selected?: boolean
}

export interface Catalog {
  streams: CatalogEntry[]
}
