/**
 * The pieces of the `incremental_5m` case (scripts/bench.ts): the bookmark at the key's 99th
 * percentile, the plans the server picks for the tap's cursor and for COPY of the same SELECT, the
 * server's temporary-file bytes, and their table in the report.
 */
import type pg from 'pg'
import type { BoundQuery } from '../../src/pg/sql.js'
import { fmt, type Result } from './report.js'

/** The `p`-quantile of `key` as JSON text (how a STATE holds it), and how many rows are `>=` it. */
export async function bookmarkAt(
  client: pg.Client,
  table: string,
  key: string,
  rows: number,
  p: number,
): Promise<{ value: string; rowsFrom: number }> {
  const r = await client.query<{ v: string; n: string }>(
    `SELECT to_json(k)#>>'{}' AS v, (SELECT count(*) FROM ${table} WHERE ${key} >= k)::text AS n
     FROM (SELECT ${key} AS k FROM ${table} ORDER BY ${key} OFFSET ${Math.floor(rows * p)} LIMIT 1) q`,
  )
  return { value: r.rows[0].v, rowsFrom: Number(r.rows[0].n) }
}

/** The plan lines of `EXPLAIN <q>` with its parameters bound (a DECLARE needs a transaction). */
export async function planOf(client: pg.Client, q: BoundQuery): Promise<string[]> {
  await client.query('BEGIN READ ONLY')
  try {
    const r = await client.query<{ 'QUERY PLAN': string }>({
      text: `EXPLAIN ${q.text}`,
      values: [...q.values],
    })
    const lines = r.rows.map((row) => row['QUERY PLAN'])
    // The plan nodes and their conditions, without costs and without the JIT summary.
    const jit = lines.findIndex((l) => l.trimStart().startsWith('JIT:'))
    return (jit < 0 ? lines : lines.slice(0, jit)).map((l) =>
      l
        .replace(/\s*\(cost=[^)]*\)/, '')
        .trim()
        .replace(/^->\s*/, ''),
    )
  } finally {
    await client.query('ROLLBACK')
  }
}

/** Bytes of temporary files written in the client's database so far (pg_stat_database). */
export async function tempBytes(client: pg.Client): Promise<number> {
  await client.query('SELECT pg_stat_clear_snapshot()')
  const r = await client.query<{ b: string }>(
    'SELECT temp_bytes::text AS b FROM pg_stat_database WHERE datname = current_database()',
  )
  return Number(r.rows[0].b)
}

/** The server's temporary files and plans of the incremental cases. */
export function printIncremental(results: Result[]): void {
  const rows = results.filter((r) => r.plans !== undefined)
  if (rows.length === 0) return
  process.stdout.write(
    '\n| case | server temp MB per tap run | cursor plan | COPY plan |\n|---|---|---|---|\n',
  )
  for (const r of rows) {
    const plans = r.plans as { cursor: string[]; copy: string[] }
    process.stdout.write(
      `| ${r.case} | ${fmt(r.tempMb ?? 0, 1)} | ${plans.cursor.join(' ← ')} | ${plans.copy.join(' ← ')} |\n`,
    )
  }
}
