/**
 * The estimated size of each selected table, for balancing shards: one query for all of them on
 * the plan's one connection. Reads only catalogs and statistics, never the tables.
 */
import type pg from 'pg'
import { estimateRows } from '../sync/chunk-plan.js'

export interface TableName {
  readonly schemaName: string
  readonly tableName: string
}

export interface TableSize extends TableName {
  /** Table kind: r table, p partitioned table, m materialized view, v view, f foreign table. */
  readonly relkind: string
  /** pg_table_size (heap and TOAST, what a read goes through), summed over the partitions. */
  readonly bytes: number
  readonly rows: number
}

// Partitioned tables hold no rows themselves: the recursion walks pg_inherits down from them (only
// from them: a plain inheritance child is a table of its own), and sizes are summed over the leaves.
// Rows: the planner's estimate scaled to the relation's current pages (estimateRows, as sync does).
const SIZES_SQL = `
WITH RECURSIVE wanted AS (
  SELECT * FROM unnest($1::text[], $2::text[]) AS w(schema_name, table_name)
), tree AS (
  SELECT w.schema_name, w.table_name, c.oid AS relid, c.relkind AS top_kind
  FROM wanted w
  JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.table_name
  UNION ALL
  SELECT t.schema_name, t.table_name, i.inhrelid, t.top_kind
  FROM tree t
  JOIN pg_catalog.pg_class p ON p.oid = t.relid AND p.relkind = 'p'
  JOIN pg_catalog.pg_inherits i ON i.inhparent = t.relid
)
SELECT t.schema_name, t.table_name, t.top_kind, c.relkind,
       CASE WHEN c.relkind IN ('r', 'm', 't') THEN pg_catalog.pg_table_size(c.oid) ELSE 0 END AS bytes,
       CASE WHEN c.relkind IN ('r', 'm', 't') THEN pg_catalog.pg_relation_size(c.oid) ELSE 0 END AS main_bytes,
       c.relpages, c.reltuples, coalesce(s.n_live_tup, 0) AS live_tuples,
       current_setting('block_size')::int AS block_size
FROM tree t
JOIN pg_catalog.pg_class c ON c.oid = t.relid
LEFT JOIN pg_catalog.pg_stat_all_tables s ON s.relid = c.oid
`

type Row = Record<string, string | null>

/** One entry per wanted table that exists; tables that are gone are simply absent. */
export async function readTableSizes(client: pg.Client, tables: readonly TableName[]): Promise<TableSize[]> {
  if (tables.length === 0) return []
  const { rows } = await client.query<Row>(SIZES_SQL, [
    tables.map((t) => t.schemaName),
    tables.map((t) => t.tableName),
  ])
  const out = new Map<
    string,
    { schemaName: string; tableName: string; relkind: string; bytes: number; rows: number }
  >()
  for (const r of rows) {
    const schemaName = r.schema_name ?? ''
    const tableName = r.table_name ?? ''
    const key = JSON.stringify([schemaName, tableName])
    const acc = out.get(key) ?? { schemaName, tableName, relkind: r.top_kind ?? '', bytes: 0, rows: 0 }
    if (r.relkind !== 'p' && r.relkind !== 'v') {
      const blockSize = Number(r.block_size ?? 8192)
      acc.bytes += Number(r.bytes ?? 0)
      acc.rows += estimateRows({
        pages: Math.ceil(Number(r.main_bytes ?? 0) / blockSize),
        reltuples: Number(r.reltuples ?? -1),
        relpages: Number(r.relpages ?? 0),
        liveTuples: Number(r.live_tuples ?? 0),
      })
    }
    out.set(key, acc)
  }
  return [...out.values()]
}
