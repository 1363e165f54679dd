/** Bench data sets, generated once per version stamp and kept in the persistent bench cluster. */
import type pg from 'pg'

/** Bump when a data set's shape or content changes. */
const DATASET_VERSION = 1

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
  await client.query(
    'INSERT INTO bench_meta VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET stamp = EXCLUDED.stamp',
    [name, value],
  )
}

async function fillWide(client: pg.Client, table: string, rows: number): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`)
  await client.query(`CREATE TABLE ${table} (${WIDE_COLUMNS})`)
  const step = 200_000
  for (let from = 1; from <= rows; from += step) {
    const to = Math.min(rows, from + step - 1)
    await client.query(
      `INSERT INTO ${table} (i, b, n, d, t, v, bo, dt, ts, tstz, u, j, ia, ta) SELECT ${WIDE_SELECT} FROM generate_series(${from}, ${to}) g`,
    )
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

/**
 * `incremental`: `rows` rows of an orders-like table (ints, text, numeric, two timestamptz) with an
 * index on the replication key `updated_at`. Its values are a permutation of the ids (7919 is prime
 * to 5,000,000 and most row counts), so the key is unique, carries microseconds, and its order has
 * nothing to do with the physical order: an index walk visits the heap pages at random, as on a
 * table whose rows are updated.
 */
export async function ensureIncremental(client: pg.Client, rows: number): Promise<string> {
  const table = `incremental_${rows}`
  const want = `v${DATASET_VERSION}:${rows}`
  if ((await stamp(client, table)) === want) return table
  process.stderr.write(`generating ${table} ...\n`)
  await client.query(`DROP TABLE IF EXISTS ${table}`)
  await client.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, account_id int NOT NULL, qty int NOT NULL,
    status text NOT NULL, note text, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL)`)
  const step = 500_000
  for (let from = 1; from <= rows; from += step) {
    const to = Math.min(rows, from + step - 1)
    await client.query(`INSERT INTO ${table}
      SELECT g, (g::bigint * 7919) % 100000, g % 1000, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
             md5(g::text) || ' ' || (g % 97), round((g % 100000) * 0.37, 2), timestamptz '2024-01-01' + g * interval '5 second',
             timestamptz '2024-01-01' + ((g::bigint * 7919) % ${rows}) * interval '5 second' + (g % 1000) * interval '1 microsecond'
      FROM generate_series(${from}, ${to}) g`)
  }
  await client.query(`CREATE INDEX ON ${table} (updated_at)`)
  await client.query(`VACUUM ANALYZE ${table}`)
  await setStamp(client, table, want)
  return table
}

export const LOG_TABLE = 'logt'

export async function resetLogTable(client: pg.Client): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS hstore')
  await client.query(`DROP TABLE IF EXISTS ${LOG_TABLE}`)
  await client.query(
    `CREATE TABLE ${LOG_TABLE} (id serial PRIMARY KEY, ia int[], ta text[], na numeric[], h hstore, note text)`,
  )
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
    await client.query(
      `UPDATE ${LOG_TABLE} SET ia = ia || 7, note = 'u' WHERE id IN (SELECT id FROM ${LOG_TABLE} ORDER BY id OFFSET ${done % Math.max(1, inserts - tx)} LIMIT ${n})`,
    )
  }
  for (let done = 0; done < deletes; done += tx) {
    const n = Math.min(tx, deletes - done)
    await client.query(
      `DELETE FROM ${LOG_TABLE} WHERE id IN (SELECT id FROM ${LOG_TABLE} ORDER BY id DESC LIMIT ${n})`,
    )
  }
  return inserts + updates + deletes
}

/** 20 columns of common types, arrays and a domain included (the discovery-timing tables). */
const MANY_TABLE_COLUMNS = [
  'id bigint PRIMARY KEY',
  'account_id integer NOT NULL',
  'code varchar(32)',
  'name text',
  'amount numeric(12,2)',
  'rate double precision',
  'active boolean',
  'created_at timestamptz',
  'updated_at timestamp',
  'day date',
  'payload jsonb',
  'tags text[]',
  'scores int[]',
  'ref uuid',
  'ip inet',
  'flags bit(1)',
  'price money_amount',
  'note citext',
  'attrs hstore',
  'duration interval',
].join(', ')

/**
 * `tables`: `tables` tables × 20 columns with `rows` rows each, in a schema of their own (kept between
 * runs, stamped), so that a run can take exactly them with filter_schemas.
 */
export async function ensureManyTables(
  client: pg.Client,
  tables: number,
  rows: number,
): Promise<{ schema: string; names: string[] }> {
  const schema = `tables_${tables}x${rows}`
  const names = Array.from({ length: tables }, (_, i) => `t_${String(i).padStart(5, '0')}`)
  const want = `v${DATASET_VERSION}`
  if ((await stamp(client, schema)) === want) return { schema, names }
  process.stderr.write(`generating ${tables} tables of ${rows} rows in schema ${schema} ...\n`)
  await client.query(`CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS citext;
    DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; CREATE DOMAIN ${schema}.money_amount AS numeric(10,2)`)
  for (let i = 0; i < tables; i += 250) {
    const batch: string[] = []
    for (const t of names.slice(i, i + 250)) {
      batch.push(
        `CREATE TABLE ${schema}.${t} (${MANY_TABLE_COLUMNS.replace('money_amount', `${schema}.money_amount`)});`,
      )
      if (rows > 0) {
        batch.push(`INSERT INTO ${schema}.${t} (id, account_id, code, name, amount, rate, active, created_at, payload, tags, scores) SELECT g, g % 97, 'c' || g, 'name ' || g, g * 1.25, g / 3.0, g % 2 = 0,
          timestamptz '2024-01-01' + g * interval '1 second', jsonb_build_object('g', g), ARRAY['a', 'b' || g], ARRAY[g, -g] FROM generate_series(1, ${rows}) g;`)
      }
    }
    await client.query(batch.join('\n'))
  }
  await client.query('VACUUM ANALYZE')
  await setStamp(client, schema, want)
  return { schema, names }
}

/**
 * `big_rows`: the same ~200 MB of text in rows of three sizes: 200 × 1 MiB, 20 × 10 MiB, and 2 rows,
 * one of 150 MiB of text and one of ~50 MiB of jsonb (an array of md5 strings). The values are
 * built on the server (repeat/md5), so generating them needs a few hundred MB of server memory.
 */
export async function ensureBigRows(client: pg.Client): Promise<string[]> {
  const mib = 1 << 20
  const specs: Array<{ table: string; fill: string }> = [
    {
      table: 'big_1mb',
      fill: `SELECT g, repeat(md5(g::text), ${mib / 32}), NULL FROM generate_series(1, 200) g`,
    },
    {
      table: 'big_10mb',
      fill: `SELECT g, repeat(md5(g::text), ${(10 * mib) / 32}), NULL FROM generate_series(1, 20) g`,
    },
    {
      table: 'big_150mb',
      // jsonb's text of an array of md5 strings: 36 bytes an element ("…", plus ", ").
      fill: `SELECT 1, repeat(md5('1'), ${(150 * mib) / 32}), NULL UNION ALL
        SELECT 2, NULL, (SELECT jsonb_agg(md5(g::text)) FROM generate_series(1, ${Math.round((50 * mib) / 36)}) g)`,
    },
  ]
  const want = `v${DATASET_VERSION}`
  for (const { table, fill } of specs) {
    if ((await stamp(client, table)) === want) continue
    process.stderr.write(`generating ${table} ...\n`)
    await client.query(`DROP TABLE IF EXISTS ${table}`)
    await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, t text, j jsonb)`)
    await client.query(`INSERT INTO ${table} ${fill}`)
    await client.query(`VACUUM ANALYZE ${table}`)
    await setStamp(client, table, want)
  }
  return specs.map((s) => s.table)
}
