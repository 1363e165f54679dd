/**
 * How long discovery takes on many tables: N tables × 20 columns (a mix of types, a primary key),
 * timed in-process (query, catalog build, JSON) and end to end through the CLI (node start included).
 * Not a test: it prints numbers (median of --runs).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/discovery-timing.js [--tables 1000,5000] [--runs 3]
 *
 * The server: PG_BENCH_URL (the user needs CREATEDB; databases `tap_discovery_<N>` are created and
 * dropped), else a throwaway cluster like the test harness's, removed at the end.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startCluster } from '../test/harness/pg-cluster.js'
import { discoverTables } from '../src/catalog/discover.js'
import { buildCatalog } from '../src/catalog/build-catalog.js'
import { buildConfig } from '../src/config/load-config.js'
import { stringifyJson } from '../src/singer/json.js'

// dist/scripts/discovery-timing.js → the repository root.
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(REPO, 'bin', 'run.js')

interface Server {
  host: string
  port: number
  user: string
  password?: string
  stop: () => void
}

async function server(): Promise<Server> {
  const url = process.env.PG_BENCH_URL
  if (url) {
    const u = new URL(url)
    return {
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username),
      password: u.password ? decodeURIComponent(u.password) : undefined,
      stop: () => undefined,
    }
  }
  return startCluster()
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}

// 20 columns of common types, arrays and a domain included, so type resolution does real work.
const COLUMNS = [
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
]

async function createTables(s: Server, db: string, n: number): Promise<void> {
  const admin = (database: string) =>
    new pg.Client({ host: s.host, port: s.port, user: s.user, password: s.password, database })
  const root = admin('postgres')
  await root.connect()
  await root.query(`DROP DATABASE IF EXISTS ${db}`)
  await root.query(`CREATE DATABASE ${db}`)
  await root.end()
  const c = admin(db)
  await c.connect()
  await c.query(
    'CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS citext; CREATE DOMAIN money_amount AS numeric(10,2)',
  )
  const ddl = `(${COLUMNS.join(', ')})`
  for (let i = 0; i < n; i += 250) {
    const batch: string[] = []
    for (let j = i; j < Math.min(n, i + 250); j++)
      batch.push(`CREATE TABLE t_${String(j).padStart(5, '0')} ${ddl};`)
    await c.query(batch.join('\n'))
  }
  await c.end()
}

async function dropDatabase(s: Server, db: string): Promise<void> {
  const c = new pg.Client({
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: 'postgres',
  })
  await c.connect()
  await c.query(`DROP DATABASE IF EXISTS ${db}`)
  await c.end()
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x: number): string => `${x.toFixed(0)} ms`

async function timeOne(s: Server, n: number, runs: number): Promise<void> {
  const db = `tap_discovery_${n}`
  const t0 = performance.now()
  await createTables(s, db, n)
  console.log(`${n} tables × ${COLUMNS.length} columns created in ${ms(performance.now() - t0)}`)
  const fields = {
    host: s.host,
    port: s.port,
    user: s.user,
    dbname: db,
    ...(s.password ? { password: s.password } : {}),
  }
  const config = buildConfig([fields]).config
  const query: number[] = []
  const total: number[] = []
  const cli: number[] = []
  let bytes = 0
  for (let r = 0; r < runs; r++) {
    const a = performance.now()
    const { tables, database } = await discoverTables(config)
    const b = performance.now()
    const text = stringifyJson(buildCatalog(tables, database), 2) + '\n'
    const c = performance.now()
    bytes = Buffer.byteLength(text)
    query.push(b - a)
    total.push(c - a)
    if (tables.length !== n) throw new Error(`expected ${n} tables, discovered ${tables.length}`)
  }
  const cfgPath = join(mkdtempSync(join(tmpdir(), 'tap-disc-')), 'config.json')
  writeFileSync(cfgPath, JSON.stringify(fields))
  for (let r = 0; r < runs; r++) {
    const a = performance.now()
    const res = spawnSync(process.execPath, [BIN, '--config', cfgPath, '--discover'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    })
    cli.push(performance.now() - a)
    if (res.status !== 0) throw new Error(`discover failed: ${res.stderr.slice(-500)}`)
  }
  console.log(
    `  in-process: query + resolve ${ms(median(query))}, + catalog + JSON ${ms(median(total))} (${(bytes / 1e6).toFixed(1)} MB)`,
  )
  console.log(
    `  CLI end to end (node start, connect, query, write): ${ms(median(cli))}   [median of ${runs}]`,
  )
  await dropDatabase(s, db)
}

async function main(): Promise<void> {
  const sizes = arg('tables', '1000,5000').split(',').map(Number)
  const runs = Number(arg('runs', '3'))
  const s = await server()
  console.log(`discovery timing on ${s.host}:${s.port}, ${cpus().length} CPUs, node ${process.version}`)
  try {
    for (const n of sizes) await timeOne(s, n, runs)
  } finally {
    s.stop()
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  process.exitCode = 1
})
