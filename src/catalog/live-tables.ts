/**
 * The live columns of the selected tables, re-read at sync time (docs/behaviour.md#discovery-and-the-catalog) so SCHEMA and the SELECT
 * match the table today. Discovery's one query, limited to the schemas of the selected streams,
 * on the run's short-lived main connection; the selected tables are picked from its result.
 */
import type pg from 'pg'
import { discoverOn } from './discover.js'
import type { TableInfo } from '../values/pg-type.js'

export interface TableName {
  readonly schemaName: string
  readonly tableName: string
}

export async function readLiveTables(client: pg.Client, wanted: readonly TableName[]): Promise<TableInfo[]> {
  if (wanted.length === 0) return []
  const schemas = [...new Set(wanted.map((t) => t.schemaName))]
  const { tables } = await discoverOn(client, schemas)
  const keys = new Set(wanted.map((t) => JSON.stringify([t.schemaName, t.tableName])))
  return tables.filter((t) => keys.has(JSON.stringify([t.schemaName, t.tableName])))
}
