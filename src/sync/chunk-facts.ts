/**
 * What the chunk planner needs from the server, read on the run's short-lived main connection in one
 * query: the server version, and for each candidate table its size in pages (the real size, not
 * pg_class.relpages, which is only as fresh as the last VACUUM/ANALYZE), the row estimate and its
 * file node.
 */
import type pg from 'pg'
import { queryError } from '../pg/pg-errors.js'
import { estimateRows, type TableFacts } from './chunk-plan.js'

export interface ChunkFacts {
  readonly serverVersion: number
  /** By `JSON.stringify([schema, table])`; ordinary tables only. */
  readonly tables: ReadonlyMap<string, TableFacts>
}

export function tableFactsKey(schemaName: string, tableName: string): string {
  return JSON.stringify([schemaName, tableName])
}

const SQL = `
SELECT n.nspname AS schema_name, c.relname AS table_name,
       (pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::bigint)::text AS pages,
       c.reltuples::text AS reltuples, c.relpages::text AS relpages,
       pg_catalog.pg_relation_filenode(c.oid)::text AS relfilenode,
       coalesce(pg_catalog.pg_stat_get_live_tuples(c.oid), 0)::text AS live_tuples,
       pg_catalog.current_setting('server_version_num') AS server_version
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN unnest($1::text[], $2::text[]) AS w(schema_name, table_name) ON n.nspname = w.schema_name AND c.relname = w.table_name
WHERE c.relkind = 'r'`

export async function readChunkFacts(
  client: pg.Client,
  tables: ReadonlyArray<{ readonly schemaName: string; readonly tableName: string }>,
): Promise<ChunkFacts> {
  try {
    // One round trip; no row means no ordinary table to chunk, whatever the version.
    let serverVersion = 0
    const out = new Map<string, TableFacts>()
    const r = await client.query<Record<string, string>>(SQL, [
      tables.map((t) => t.schemaName),
      tables.map((t) => t.tableName),
    ])
    for (const row of r.rows) {
      serverVersion = Number(row.server_version)
      const pages = Number(row.pages)
      const estimatedRows = estimateRows({
        pages,
        reltuples: Number(row.reltuples),
        relpages: Number(row.relpages),
        liveTuples: Number(row.live_tuples),
      })
      out.set(tableFactsKey(row.schema_name, row.table_name), {
        pages,
        estimatedRows,
        relfilenode: Number(row.relfilenode),
      })
    }
    return { serverVersion, tables: out }
  } catch (e) {
    throw queryError(e, 'reading table sizes for chunked loads')
  }
}
