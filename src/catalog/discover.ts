/**
 * Discovery (docs/behaviour.md#discovery-and-the-catalog): what relations and readable columns the database has, and what each column's
 * value type is. One statement on one short-lived connection, so thousands of tables cost one round
 * trip instead of one (or several) per table as in pipelinewise.
 */
import type pg from 'pg'
import type { TapConfig } from '../config/tap-config.js'
import { withClient } from '../pg/connect.js'
import { queryError } from '../pg/pg-errors.js'
import type { ColumnInfo, TableInfo } from '../values/pg-type.js'
import { resolveType, type PgTypeFacts } from './resolve-type.js'

/**
 * The catalog in one statement. It returns a single row: the relations with their readable
 * columns, the pg_type facts of every type those columns reach (array elements and domain bases,
 * recursively), and the database name. Rows are built as positional JSON arrays, which keeps the
 * text small (5,000 tables × 20 columns is a few MB) and lets the server do the grouping.
 *
 * - `pg\_%` covers pg_catalog, pg_toast, pg_temp_N and pg_toast_temp_N: users cannot create schemas
 *   with that prefix. `filter_schemas` (parameter $1) replaces the rule when given.
 * - A schema without USAGE makes every SELECT in it fail, whatever the column grants say.
 * - Columns are read per relation through pg_attribute's (attrelid, attnum) index, already in
 *   attnum order, and has_column_privilege is asked only where the table-level SELECT grant is
 *   missing: asked of every pg_attribute row it was half the query's time.
 * - Partitioned parents (p) and their partitions (r) are both listed: the parent is the one stream
 *   most users want, while the leaves are what pipelinewise listed (catalogs and states name them)
 *   and the names wal2json reports changes under.
 * - `reach` starts from every column type, readable or not: a few extra pg_type rows cost less
 *   than a second privilege pass.
 * - oids are cast to int8 because json renders the oid type as a string.
 */
const DISCOVERY_SQL = String.raw`
WITH RECURSIVE rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, greatest(c.reltuples, 0)::bigint AS row_count,
         pg_catalog.has_table_privilege(c.oid, 'SELECT') AS all_columns
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm')
    AND CASE WHEN $1::text[] IS NULL
             THEN n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
             ELSE n.nspname = ANY ($1::text[]) END
    AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
),
reach(oid) AS (
  SELECT a.atttypid
  FROM pg_catalog.pg_attribute a
  JOIN rels r ON r.oid = a.attrelid
  WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION
  SELECT x.oid
  FROM reach
  JOIN pg_catalog.pg_type t ON t.oid = reach.oid
  CROSS JOIN LATERAL (VALUES (t.typelem), (t.typbasetype)) AS x(oid)
  WHERE x.oid <> 0
)
SELECT
  (SELECT json_agg(json_build_array(r.nspname, r.relname, r.relkind, r.row_count, i.indkey::int2[], l.cols))
   FROM rels r
   CROSS JOIN LATERAL (
     SELECT json_agg(json_build_array(a.attname, a.attnum, a.atttypid::int8, a.atttypmod,
                                      pg_catalog.format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum) AS cols
     FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
       AND (r.all_columns OR pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT'))
   ) l
   LEFT JOIN pg_catalog.pg_index i ON i.indrelid = r.oid AND i.indisprimary
   WHERE l.cols IS NOT NULL) AS relations,
  (SELECT json_agg(json_build_array(t.oid::int8, t.typname, tn.nspname, t.typtype, t.typelem::int8,
                                    t.typinput = 'pg_catalog.array_in'::regproc,
                                    t.typbasetype::int8, t.typtypmod, t.typdelim))
   FROM reach
   JOIN pg_catalog.pg_type t ON t.oid = reach.oid
   JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace) AS types,
  pg_catalog.current_database() AS database
`

/** The row shapes built by DISCOVERY_SQL's json_build_array calls, in their order. */
type ColumnRow = [name: string, attnum: number, typeOid: number, typmod: number, sqlType: string]
type RelationRow = [
  schema: string,
  name: string,
  relkind: TableInfo['relkind'],
  rowCount: number,
  pkAttnums: number[] | null,
  columns: ColumnRow[],
]
type TypeRow = [
  oid: number,
  name: string,
  schema: string,
  typtype: string,
  elem: number,
  isArray: boolean,
  baseType: number,
  baseTypmod: number,
  delimiter: string,
]

export interface DiscoveryResult {
  database: string
  /** In the server's order; build-catalog sorts. */
  tables: TableInfo[]
  /** Facts worth a warning (a primary key the user cannot fully read). */
  warnings: string[]
}

/** Runs the discovery query on one short-lived connection (the replica when `use_secondary`). */
export async function discoverTables(config: TapConfig): Promise<DiscoveryResult> {
  return withClient(config, { target: 'read' }, (client) => discoverOn(client, config.filter_schemas))
}

/** The query on an open client; separate so sync's live re-read of columns can share it later. */
export async function discoverOn(
  client: pg.Client,
  filterSchemas: readonly string[] | undefined,
): Promise<DiscoveryResult> {
  let row: { relations: string | null; types: string | null; database: string }
  try {
    const res = await client.query(DISCOVERY_SQL, [
      filterSchemas && filterSchemas.length > 0 ? [...filterSchemas] : null,
    ])
    row = res.rows[0]
  } catch (e) {
    throw queryError(e, 'discovering tables', 'DISCOVERY_FAILED')
  }
  // The client returns every value as text (TEXT_TYPES), json included.
  const relations = JSON.parse(row.relations ?? '[]') as RelationRow[]
  const types = JSON.parse(row.types ?? '[]') as TypeRow[]
  return toTables(row.database, relations, types)
}

function toTables(database: string, relations: RelationRow[], typeRows: TypeRow[]): DiscoveryResult {
  const facts = new Map<number, PgTypeFacts>()
  for (const [oid, name, schema, typtype, elem, isArray, baseType, baseTypmod, delimiter] of typeRows) {
    facts.set(oid, { oid, name, schema, typtype, elem, isArray, baseType, baseTypmod, delimiter })
  }
  const warnings: string[] = []
  const tables = relations.map(
    ([schemaName, tableName, relkind, rowCount, pkAttnums, columnRows]): TableInfo => {
      const columns = columnRows.map(
        ([name, attnum, typeOid, typmod, sqlType]): ColumnInfo => ({
          name,
          sqlType: sqlTypeName(sqlType),
          type: resolveType(typeOid, typmod, facts),
          position: attnum,
        }),
      )
      const byAttnum = new Map(columns.map((c) => [c.position, c.name]))
      let primaryKey = (pkAttnums ?? []).map((n) => byAttnum.get(n))
      if (primaryKey.some((k) => k === undefined)) {
        // Part of a key is no key: a target would merge rows that differ in the hidden column.
        warnings.push(
          `${schemaName}.${tableName}: the primary key has columns the user cannot read; the stream gets no key properties`,
        )
        primaryKey = []
      }
      return {
        schemaName,
        tableName,
        relkind,
        rowCount: Number(rowCount),
        primaryKey: primaryKey as string[],
        columns,
      }
    },
  )
  return { database, tables, warnings }
}

/**
 * format_type() quotes an unsized bit (`"bit"`) because plain `bit` would mean bit(1) in SQL; the
 * catalog shows the type name, as pipelinewise does.
 */
function sqlTypeName(formatted: string): string {
  return formatted.startsWith('"bit"') ? 'bit' + formatted.slice(5) : formatted
}
