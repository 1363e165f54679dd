/**
 * `npm run bench`: how fast the tap is next to what the server can do on the same data, in the same run.
 * Not a test: it prints numbers (medians of --runs runs). See README "Performance".
 *
 *   node dist/scripts/bench.js [--case wide,many,log,slow] [--rows 1000000] [--runs 3] [--max-workers 4] [--json]
 *
 * The server: PG_BENCH_URL, else a throwaway-style cluster kept in .tmp/bench-cluster so that the
 * data sets are generated once (stamped with DATASET_VERSION and the row count).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir, cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { startCluster, type TestCluster } from '../test/harness/pg-cluster.js'
import { ensureMany, ensureWide, generateLogChanges, LOG_TABLE, resetLogTable } from './bench/datasets.js'
import { median, runTapMeasured, timePsql, type TapRun } from './bench/measure.js'
import { REPO } from './bench/paths.js'

interface Args { cases: string[]; rows: number; runs: number; maxWorkers: number; json: boolean; logChanges: number }

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  return {
    cases: (get('case') ?? 'wide,many,log,slow').split(','),
    rows: Number(get('rows') ?? 1_000_000),
    runs: Number(get('runs') ?? 3),
    maxWorkers: Number(get('max-workers') ?? 4),
    json: argv.includes('--json'),
    logChanges: Number(get('changes') ?? 100_000),
  }
}

interface Server { host: string; port: number; user: string; password?: string; logPath: string; stop: () => void }

async function server(): Promise<Server> {
  const url = process.env.PG_BENCH_URL
  if (url) {
    const u = new URL(url)
    return { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: u.password ? decodeURIComponent(u.password) : undefined, logPath: '', stop: () => undefined }
  }
  const c: TestCluster = await startCluster({ persistentDir: join(REPO, '.tmp', 'bench-cluster'), settings: ['shared_buffers = 512MB', 'max_wal_size = 4GB'] })
  return { ...c }
}

const DB = 'bench'

function psqlArgs(s: Server): string[] {
  return ['-h', s.host, '-p', String(s.port), '-U', s.user, '-d', DB]
}

function countConnections(s: Server, appName: string): number | undefined {
  if (!s.logPath) return undefined
  return readFileSync(s.logPath, 'utf8').split('\n').filter((l) => l.includes('connection authorized') && l.includes(`application_name=${appName}`)).length
}

function tmpFile(name: string, value: unknown): string {
  const p = join(mkdtempSync(join(tmpdir(), 'tap-bench-')), name)
  writeFileSync(p, JSON.stringify(value))
  return p
}

interface CatalogJson { streams: Array<{ tap_stream_id: string; table_name: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> }

const BIN = join(REPO, 'bin', 'run.js')

function discoverCatalog(configPath: string): CatalogJson {
  const r = spawnSync(process.execPath, [BIN, '--config', configPath, '--discover'], { encoding: 'utf8', maxBuffer: 1 << 30 })
  if (r.status !== 0) throw new Error(`discover failed: ${r.stderr.slice(-1000)}`)
  return JSON.parse(r.stdout) as CatalogJson
}

function selectOnly(catalog: CatalogJson, tables: readonly string[], method: string): CatalogJson {
  const want = new Set(tables)
  return {
    streams: catalog.streams.filter((s) => want.has(s.table_name)).map((s) => ({
      ...s,
      metadata: s.metadata.map((m) => (m.breadcrumb.length === 0 ? { ...m, metadata: { ...m.metadata, selected: true, 'replication-method': method } } : m)),
    })),
  }
}

interface Row { case: string; metric: string; value: number; unit: string }

function summarize(caseName: string, runs: TapRun[], rows: number, limits: Record<string, number>, conns: (number | undefined)[]): Row[] {
  const wall = median(runs.map((r) => r.wallSeconds))
  const out: Row[] = [
    { case: caseName, metric: 'wall', value: wall, unit: 's' },
    { case: caseName, metric: 'rows_per_s', value: rows / wall, unit: 'rows/s' },
    { case: caseName, metric: 'output_mb_per_s', value: median(runs.map((r) => r.bytes / 1e6 / r.wallSeconds)), unit: 'MB/s' },
    { case: caseName, metric: 'peak_rss', value: Math.max(...runs.map((r) => r.peakRssMb)), unit: 'MB' },
  ]
  const c = conns.filter((x): x is number => x !== undefined)
  if (c.length) out.push({ case: caseName, metric: 'connections_opened', value: Math.max(...c), unit: 'count' })
  for (const [name, seconds] of Object.entries(limits)) {
    out.push({ case: caseName, metric: `${name}_wall`, value: seconds, unit: 's' })
    out.push({ case: caseName, metric: `ratio_vs_${name}`, value: seconds / wall, unit: 'x (>1: tap faster)' })
  }
  return out
}

interface Ctx { args: Args; srv: Server; client: pg.Client }

function configFor(ctx: Ctx, appName: string, extra: Record<string, unknown> = {}): string {
  return tmpFile('config.json', { host: ctx.srv.host, port: ctx.srv.port, user: ctx.srv.user, password: ctx.srv.password, dbname: DB, application_name: appName, max_workers: ctx.args.maxWorkers, ...extra })
}

async function runTimes(ctx: Ctx, label: string, make: (appName: string) => { args: string[]; stallMs?: number }): Promise<{ runs: TapRun[]; conns: (number | undefined)[] }> {
  const runs: TapRun[] = []
  const conns: (number | undefined)[] = []
  for (let i = 0; i < ctx.args.runs; i++) {
    const appName = `bench_${randomBytes(4).toString('hex')}`
    const { args, stallMs } = make(appName)
    const r = await runTapMeasured({ bin: BIN, args, stallMs })
    if (r.exitCode !== 0) throw new Error(`${label}: tap exited ${r.exitCode}: ${r.stderrTail}`)
    runs.push(r)
    conns.push(countConnections(ctx.srv, appName))
    process.stderr.write(`${label} run ${i + 1}: ${r.wallSeconds.toFixed(2)} s, ${r.records} records, peak RSS ${r.peakRssMb.toFixed(0)} MB\n`)
  }
  return { runs, conns }
}

function copyLimits(ctx: Ctx, tables: readonly string[]): Record<string, number> {
  const copy: number[] = []
  const json: number[] = []
  for (let i = 0; i < ctx.args.runs; i++) {
    copy.push(tables.reduce((t, tb) => t + timePsql(psqlArgs(ctx.srv), `COPY ${tb} TO STDOUT`), 0))
    json.push(tables.reduce((t, tb) => t + timePsql(psqlArgs(ctx.srv), `COPY (SELECT row_to_json(bench_row) FROM ${tb} bench_row) TO STDOUT`), 0))
  }
  return { copy: median(copy), copy_row_to_json: median(json) }
}

async function tableCase(ctx: Ctx, name: string, tables: readonly string[], rows: number, stallMs?: number): Promise<Row[]> {
  const catalog = selectOnly(discoverCatalog(configFor(ctx, 'bench_discover')), tables, 'FULL_TABLE')
  const catalogPath = tmpFile('catalog.json', catalog)
  const { runs, conns } = await runTimes(ctx, name, (app) => ({ args: ['--config', configFor(ctx, app), '--catalog', catalogPath], stallMs }))
  const bad = runs.find((r) => r.records !== rows)
  if (bad) throw new Error(`${name}: expected ${rows} records, got ${bad.records}`)
  return summarize(name, runs, rows, stallMs ? {} : copyLimits(ctx, tables), conns)
}

async function logCase(ctx: Ctx): Promise<Row[]> {
  const { client } = ctx
  for (const slot of ['bench_slot', 'bench_ref']) {
    await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot])
  }
  await resetLogTable(client)
  await client.query(`SELECT pg_create_logical_replication_slot('bench_slot', 'wal2json')`)
  const catalog = selectOnly(discoverCatalog(configFor(ctx, 'bench_discover')), [LOG_TABLE], 'LOG_BASED')
  const catalogPath = tmpFile('catalog.json', catalog)
  const cfg = (app: string) => configFor(ctx, app, { replication_slot_name: 'bench_slot', logical_poll_total_seconds: 30 })
  // First run: the (empty) initial load, which leaves the state with an lsn to stream from.
  const first = await runTapMeasured({ bin: BIN, args: ['--config', cfg('bench_log_init'), '--catalog', catalogPath] })
  if (first.exitCode !== 0 || first.lastState === undefined) throw new Error(`log initial run failed: ${first.stderrTail}`)
  const statePath = tmpFile('state.json', first.lastState)
  await client.query(`SELECT pg_create_logical_replication_slot('bench_ref', 'wal2json')`)
  const changes = await generateLogChanges(client, ctx.args.logChanges)
  const peek: number[] = []
  for (let i = 0; i < ctx.args.runs; i++) {
    peek.push(timePsql(psqlArgs(ctx.srv), `SELECT count(*) FROM pg_logical_slot_peek_changes('bench_ref', NULL, NULL, 'format-version', '2', 'include-timestamp', '1', 'add-tables', 'public.${LOG_TABLE}')`))
  }
  // Every run starts from the same state, so it re-reads the same changes (the slot is only confirmed up to the input state).
  const { runs, conns } = await runTimes(ctx, 'log', (app) => ({ args: ['--config', cfg(app), '--catalog', catalogPath, '--state', statePath] }))
  const bad = runs.find((r) => r.records !== changes)
  if (bad) throw new Error(`log: expected ${changes} records, got ${bad.records}`)
  await client.query(`SELECT pg_drop_replication_slot('bench_ref')`)
  return summarize('log', runs, changes, { wal2json_peek: median(peek) }, conns)
}

function printTable(rows: Row[]): void {
  const w = (s: string, n: number) => s.padEnd(n)
  process.stdout.write(`${w('case', 8)} ${w('metric', 28)} ${w('value', 14)} unit\n`)
  for (const r of rows) {
    const v = Math.abs(r.value) >= 100 ? r.value.toFixed(0) : r.value.toFixed(2)
    process.stdout.write(`${w(r.case, 8)} ${w(r.metric, 28)} ${w(v, 14)} ${r.unit}\n`)
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const srv = await server()
  const admin = new pg.Client({ host: srv.host, port: srv.port, user: srv.user, password: srv.password, database: 'postgres' })
  await admin.connect()
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DB}`)
  await admin.end()
  const client = new pg.Client({ host: srv.host, port: srv.port, user: srv.user, password: srv.password, database: DB })
  await client.connect()
  const ctx: Ctx = { args, srv, client }
  const rows: Row[] = []
  try {
    if (args.cases.includes('wide')) rows.push(...(await tableCase(ctx, 'wide', [await ensureWide(client, args.rows)], args.rows)))
    if (args.cases.includes('many')) rows.push(...(await tableCase(ctx, 'many', await ensureMany(client, 20, 50_000), 20 * 50_000)))
    if (args.cases.includes('log')) rows.push(...(await logCase(ctx)))
    if (args.cases.includes('slow')) rows.push(...(await tableCase(ctx, 'slow', [await ensureWide(client, args.rows)], args.rows, 3000)))
  } finally {
    await client.end()
    srv.stop()
  }
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version }
  if (args.json) process.stdout.write(JSON.stringify({ machine, args, rows }, null, 2) + '\n')
  else {
    process.stdout.write(`machine: ${machine.cpus} cores (${machine.cpu}), ${machine.memGb} GB, node ${machine.node}; runs=${args.runs} max_workers=${args.maxWorkers}\n`)
    printTable(rows)
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
})
