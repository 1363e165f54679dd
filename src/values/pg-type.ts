/**
 * What the tap knows about a column's type, resolved once at discovery (domains to their base type,
 * arrays to their element type). Plain data: it crosses to worker threads inside task messages, and
 * both the JSON Schema mapping (json-schema.ts) and the value renderer (src/values) switch on `kind`.
 * See docs/types.md for the rules each kind follows.
 */
export type PgValueType =
  /** smallint, integer, bigint (and oid-like integer types): bounds follow `bits`. */
  | { readonly kind: 'integer'; readonly bits: 16 | 32 | 64 }
  /** numeric(p,s) or unconstrained numeric. */
  | { readonly kind: 'numeric'; readonly precision?: number; readonly scale?: number }
  /** real, double precision. */
  | { readonly kind: 'float' }
  | { readonly kind: 'boolean' }
  /** bit(1) and unsized bit: '1' → true. */
  | { readonly kind: 'bit1' }
  /** Everything written as PostgreSQL's text form: text types, uuid, inet, money, enums, bit(n>1),
   *  varbit, xml, ranges, geometric, composite, interval, tsvector, ... */
  | { readonly kind: 'text'; readonly maxLength?: number }
  | { readonly kind: 'json' }
  | { readonly kind: 'hstore' }
  | { readonly kind: 'bytea' }
  | { readonly kind: 'date' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'timestamptz' }
  | { readonly kind: 'time' }
  | { readonly kind: 'timetz' }
  /** Any dimension; `delimiter` is pg_type.typdelim of the element (',' except box: ';'). */
  | { readonly kind: 'array'; readonly element: PgValueType; readonly delimiter: string }

/** A column as discovery (and the live re-read at sync time) sees it. */
export interface ColumnInfo {
  readonly name: string
  /** format_type() text, e.g. `numeric(18,4)`, `character varying(32)`, `integer[]`, `bit(3)`. */
  readonly sqlType: string
  readonly type: PgValueType
  /** attnum order (1-based). */
  readonly position: number
}

/** A relation as discovery sees it. */
export interface TableInfo {
  readonly schemaName: string
  readonly tableName: string
  /** r table, p partitioned table, v view, m materialized view. */
  readonly relkind: 'r' | 'p' | 'v' | 'm'
  /** pg_class.reltuples estimate (0 when never analysed). */
  readonly rowCount: number
  /** Primary key columns in key order; [] for views and tables without one. */
  readonly primaryKey: readonly string[]
  /** Readable columns in attnum order. */
  readonly columns: readonly ColumnInfo[]
}

export function isViewRelkind(relkind: TableInfo['relkind']): boolean {
  return relkind === 'v' || relkind === 'm'
}

/** `<schema>-<table>`: the Singer tap_stream_id. */
export function tapStreamId(schemaName: string, tableName: string): string {
  return `${schemaName}-${tableName}`
}

/** A table (or partition) by schema and name, unquoted. */
export interface TableName {
  readonly schemaName: string
  readonly tableName: string
}
