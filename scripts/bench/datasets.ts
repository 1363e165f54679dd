/** Bench data sets, generated once per version stamp and kept in the persistent bench cluster. */
import pg from 'pg'

/** Bump when a data set's shape or content changes. */
export const DATASET_VERSION = 1

const WIDE_COLUMNS = `id bigserial PRIMARY KEY, i int, b bigint, n numeric(18,4), d double precision, t text,
  v varchar(64), bo boolean, dt date, ts timestamp, tstz timestamptz, u uuid, j jsonb, ia int[], ta text[]`

const WIDE_SELECT = `g, g::bigint * 1000003, (g * 1.2345)::numeric(18,4), g * 0.001, md5(g::text), 'v' || g, g % 2 = 0,
  date '2020-01-01' + (g % 1000), timestamp '2020-01-01' + g * interval '1.000001 second',
  timestamptz '2020-01-01' + g * interval '1.5 second', md5(g::text)::uuid, jsonb_build_object('k', g, 's', 'x' || g),
  ARRAY[g, g + 1, g + 2], ARRAY['a' || g, 'b,"c"']`

async function stamp(client: pg.Client, name: string): Promise<string | undefined> {
  await client.query('CREATE TABLE IF NOT EXISTS bench_meta (name text PRIMARY KEY, stamp text NOT NULL)')
  const r = await client.query('SELECT stamp FROM bench_meta WHERE name = $1', [name])
  return r.rows[0]?.stamp as string | undefined
}

async function setStamp(client: pg.Client, name: string, value: string): Promise<void> {
  await client.query('INSERT INTO bench_meta VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET stamp = EXCLUDED.stamp', [name, value])
}

async function fillWide(client: pg.Client, table: string, rows: number): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`)
  await client.query(`CREATE TABLE ${table} (${WIDE_COLUMNS})`)
  const step = 200_000
  for (let from = 1; from <= rows; from += step) {
    const to = Math.min(rows, from + step - 1)
    await client.query(`INSERT INTO ${table} (i, b, n, d, t, v, bo, dt, ts, tstz, u, j, ia, ta) SELECT ${WIDE_SELECT} FROM generate_series(${from}, ${to}) g`)
  }
  await client.query(`VACUUM ANALYZE ${table}`)
}

/** `wide`: one table of `rows` rows and 15 columns. */
export async function ensureWide(client: pg.Client, rows: number): Promise<string> {
  const table = `wide_${rows}`
  const want = `v${DATASET_VERSION}:${rows}`
  if ((await stamp(client, table)) !== want) {
    process.stderr.write(`generating ${table} ...\n`)
    await fillWide(client, table, rows)
    await setStamp(client, table, want)
  }
  return table
}

/** `many`: `tables` tables of `rows` rows each. */
export async function ensureMany(client: pg.Client, tables: number, rows: number): Promise<string[]> {
  const names: string[] = []
  for (let i = 1; i <= tables; i++) {
    const table = `many_${String(i).padStart(2, '0')}`
    const want = `v${DATASET_VERSION}:${rows}`
    if ((await stamp(client, table)) !== want) {
      process.stderr.write(`generating ${table} ...\n`)
      await fillWide(client, table, rows)
      await setStamp(client, table, want)
    }
    names.push(table)
  }
  return names
}

export const LOG_TABLE = 'logt'

export async function resetLogTable(client: pg.Client): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS hstore')
  await client.query(`DROP TABLE IF EXISTS ${LOG_TABLE}`)
  await client.query(`CREATE TABLE ${LOG_TABLE} (id serial PRIMARY KEY, ia int[], ta text[], na numeric[], h hstore, note text)`)
}

/** `changes` changes in transactions of 1000: 60% inserts, 30% updates, 10% deletes. */
export async function generateLogChanges(client: pg.Client, changes: number): Promise<number> {
  const inserts = Math.round(changes * 0.6)
  const updates = Math.round(changes * 0.3)
  const deletes = changes - inserts - updates
  const tx = 1000
  for (let done = 0; done < inserts; done += tx) {
    const n = Math.min(tx, inserts - done)
    await client.query(`INSERT INTO ${LOG_TABLE} (ia, ta, na, h, note)
      SELECT ARRAY[g, g * 2, NULL], ARRAY['x' || g, 'q"uote', 'NULL'], ARRAY[g * 1.5, 12345678901234567890.123]::numeric[],
             hstore(ARRAY['k', 'n'], ARRAY[g::text, NULL]), 'row ' || g FROM generate_series(1, ${n}) g`)
  }
  for (let done = 0; done < updates; done += tx) {
    const n = Math.min(tx, updates - done)
    await client.query(`UPDATE ${LOG_TABLE} SET ia = ia || 7, note = 'u' WHERE id IN (SELECT id FROM ${LOG_TABLE} ORDER BY id OFFSET ${done % Math.max(1, inserts - tx)} LIMIT ${n})`)
  }
  for (let done = 0; done < deletes; done += tx) {
    const n = Math.min(tx, deletes - done)
    await client.query(`DELETE FROM ${LOG_TABLE} WHERE id IN (SELECT id FROM ${LOG_TABLE} ORDER BY id DESC LIMIT ${n})`)
  }
  return inserts + updates + deletes
}
