/**
 * `npm run demo`: the tap end to end on a throwaway PostgreSQL cluster. Creates a database with a
 * few sample tables of assorted types, runs `discover` through the CLI, selects every stream (one
 * FULL_TABLE, one INCREMENTAL, one view), runs `sync`, then an incremental second run from the
 * STATE, and prints a short summary. The cluster is always stopped, also on failure or Ctrl-C.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startCluster, type TestCluster } from '../test/harness/pg-cluster.js'

/** dist/scripts/demo.js → the repository root. */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(REPO, 'bin', 'run.js')
const DATABASE = 'demo'

const SETUP = `
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TABLE customers (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  balance numeric(38,10),
  tags text[],
  attributes hstore,
  profile jsonb,
  signed_up timestamptz,
  birthday date
);
INSERT INTO customers VALUES
  (9223372036854775807, 'Zoë "the max" 😀', 12345678901234567890.1234567890, ARRAY['vip', NULL, 'a,b'], 'tier=>gold, note=>NULL', '{"n": 1.50, "lines": ["a\\nb"]}', '2024-02-29 12:34:56.123456+05:30', 'infinity'),
  (2, E'tab\\there', -0.0000000001, '{}', '', '[]', '2020-01-01 00:00:00+00', '0044-03-15 BC'),
  (3, 'plain', NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id bigint REFERENCES customers,
  amount numeric(12,2),
  status text,
  updated_at timestamptz NOT NULL
);
INSERT INTO orders (customer_id, amount, status, updated_at)
  SELECT CASE WHEN g % 2 = 0 THEN 2 ELSE 3 END, g * 1.25, CASE WHEN g % 3 = 0 THEN 'shipped' ELSE 'open' END,
         '2025-01-01 00:00:00+00'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 2500) g;
CREATE VIEW open_orders AS SELECT id, amount FROM orders WHERE status = 'open';
ANALYZE;
`

interface Message {
  type: string
  stream?: string
  record?: Record<string, unknown>
  value?: unknown
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function runTap(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function mustSucceed(what: string, r: Run): void {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`)
}

interface CatalogLike {
  streams: Array<{
    tap_stream_id: string
    metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>
  }>
}

/** Selects every stream: orders INCREMENTAL on updated_at, the rest FULL_TABLE. */
function selectAll(catalog: CatalogLike): CatalogLike {
  for (const s of catalog.streams) {
    const md = s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata
    if (!md) continue
    md.selected = true
    if (s.tap_stream_id === 'public-orders') {
      md['replication-method'] = 'INCREMENTAL'
      md['replication-key'] = 'updated_at'
    } else {
      md['replication-method'] = 'FULL_TABLE'
    }
  }
  return catalog
}

function summarize(title: string, stdout: string): Message | undefined {
  const messages = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Message)
  const counts = new Map<string, number>()
  const samples = new Map<string, string[]>()
  let lastState: Message | undefined
  for (const [i, m] of messages.entries()) {
    if (m.type === 'STATE') lastState = m
    if (m.type !== 'RECORD' || m.stream === undefined) continue
    counts.set(m.stream, (counts.get(m.stream) ?? 0) + 1)
    const list = samples.get(m.stream) ?? []
    // The raw line, as a target reads it: exact digits and escapes.
    if (list.length < 2) list.push(stdout.split('\n')[i])
    samples.set(m.stream, list)
  }
  const types = new Map<string, number>()
  for (const m of messages) types.set(m.type, (types.get(m.type) ?? 0) + 1)
  console.log(
    `\n== ${title}: ${messages.length} messages (${[...types].map(([t, n]) => `${n} ${t}`).join(', ')})`,
  )
  for (const [stream, n] of counts) {
    console.log(`  ${stream}: ${n} records`)
    for (const s of samples.get(stream) ?? [])
      console.log(`    ${s.length > 400 ? s.slice(0, 400) + '...' : s}`)
  }
  if (lastState) console.log(`  final STATE: ${JSON.stringify(lastState.value)}`)
  return lastState
}

async function main(): Promise<void> {
  let cluster: TestCluster | undefined
  const work = mkdtempSync(join(tmpdir(), 'tap-demo-'))
  const cleanup = (): void => {
    cluster?.stop()
    cluster = undefined
    rmSync(work, { recursive: true, force: true })
  }
  process.once('SIGINT', () => {
    cleanup()
    process.exit(130)
  })
  try {
    console.log('Starting a throwaway PostgreSQL cluster...')
    cluster = await startCluster()
    const admin = { host: cluster.host, port: cluster.port, user: cluster.user }
    const c0 = new pg.Client({ ...admin, database: 'postgres' })
    await c0.connect()
    await c0.query(`CREATE DATABASE ${DATABASE}`)
    await c0.end()
    const c1 = new pg.Client({ ...admin, database: DATABASE })
    await c1.connect()
    await c1.query(SETUP)
    await c1.end()
    console.log(
      `Cluster on ${cluster.host}:${cluster.port}, database "${DATABASE}" with customers, orders and the view open_orders`,
    )

    const configPath = join(work, 'config.json')
    writeFileSync(
      configPath,
      JSON.stringify({ ...admin, dbname: DATABASE, max_workers: 2, application_name: 'tap-postgres-demo' }),
    )
    const discovered = await runTap(['discover', '--config', configPath])
    mustSucceed('discover', discovered)
    const catalog = selectAll(JSON.parse(discovered.stdout) as CatalogLike)
    console.log(`discover: ${catalog.streams.map((s) => s.tap_stream_id).join(', ')}`)
    const catalogPath = join(work, 'catalog.json')
    writeFileSync(catalogPath, JSON.stringify(catalog))

    const first = await runTap(['sync', '--config', configPath, '--catalog', catalogPath])
    mustSucceed('sync', first)
    const state = summarize('first sync', first.stdout)
    const clamps = first.stderr.split('\n').filter((l) => /clamped/.test(l))
    for (const l of clamps) console.log(`  stderr: ${l}`)

    const more = new pg.Client({ ...admin, database: DATABASE })
    await more.connect()
    await more.query(
      `INSERT INTO orders (customer_id, amount, status, updated_at) VALUES (2, 99.99, 'open', '2030-01-01 00:00:00+00')`,
    )
    await more.end()
    const statePath = join(work, 'state.json')
    writeFileSync(statePath, JSON.stringify(state?.value ?? {}))
    const second = await runTap([
      'sync',
      '--config',
      configPath,
      '--catalog',
      catalogPath,
      '--state',
      statePath,
    ])
    mustSucceed('second sync', second)
    summarize("second sync (from the first run's STATE: orders resumes at its bookmark)", second.stdout)
  } finally {
    cleanup()
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${(e as Error).message}`)
  process.exitCode = 1
})
