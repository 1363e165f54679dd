// Long (~540 lines): one function per bench case, all sharing one server, context and limit cache; the server, data sets, measuring and report are in scripts/bench/.
/**
 * `npm run bench`: how fast the tap is next to what the server can do on the same data, in the same run.
 * Not a test: it prints numbers (medians of --runs runs). See README "Performance".
 *
 *   node dist/scripts/bench.js [--case wide,wide_fast,many,tables,big_rows,log,slow] [--rows 1000000] [--runs 3] [--max-workers 4] [--chunk-rows N] [--json]
 *
 * Cases (default: wide,many,log,slow): `wide` (one table of --rows rows, 15 columns, FULL_TABLE as configured by default: ordered
 * by xmin, resumable), `wide_fast` (the same with fast_sync: no ORDER BY), `many` (20 tables of
 * 50,000 rows, selected together), `log` (--changes inserts/updates/deletes on array and hstore
 * columns, consumed by a LOG_BASED run), `slow` (wide, read by a consumer that stalls 3 s first),
 * `tables` (thousands of tables in one run: discovery and a sync of 5,000 empty tables of 20 columns,
 * with the STATE they write, and 1,000 tables of 1,000 rows against one COPY per table, one after
 * another, in one psql session), `big_rows` (~200 MB of text as 200 rows of 1 MiB, 20 of 10 MiB, and
 * 2 rows of 150 MiB text and ~50 MiB jsonb: the cost per byte of a row must not grow with its size),
 * `incremental_5m` (INCREMENTAL on 5,000,000 rows with an index on the replication key, read through
 * the tap's cursor: a first run over the whole table and a 1% delta from the key's 99th percentile,
 * with the server's temporary files and both plans; not run by default: about 800 MB and a minute to
 * generate, and a few minutes to run).
 * `--max-workers 1,2,4` repeats the table cases for each pool size.
 *
 * Limits, measured in the same run on the same data: `COPY t TO STDOUT` and
 * `COPY (SELECT row_to_json(t) FROM t) TO STDOUT` through psql into /dev/null (tables, one after
 * another), `pg_logical_slot_peek_changes` with the tap's wal2json options and
 * `pg_logical_slot_peek_binary_changes` with its pgoutput options (`log` runs both plugins:
 * `log_pgoutput`, `log_wal2json`), `COPY (<the INCREMENTAL SELECT, its bookmark a literal>) TO
 * STDOUT` (incremental_5m). `ratio` is the
 * tap's rate divided by the limit's rate (= limit wall / tap wall): 1 means as fast as the limit.
 * Connections are counted from the server log (`connection authorized` with the run's
 * application_name); with PG_BENCH_URL set PG_BENCH_LOG to the server log to count them.
 * `--chunk-rows` sets the tap's chunk_rows (default: the tap's), e.g. 100000 to read the 1,000,000-row
 * wide table in 10 chunks on max_workers threads.
 *
 * The server: PG_BENCH_URL, else a throwaway-style cluster kept in .tmp/bench-cluster so that the
 * data sets are generated once (stamped with DATASET_VERSION and the row count).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir, cpus, totalmem, loadavg } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import {
  ensureBigRows,
  ensureIncremental,
  ensureMany,
  ensureManyTables,
  ensureWide,
  generateLogChanges,
  LOG_TABLE,
  resetLogTable,
} from './bench/datasets.js'
import { median, runTapMeasured, timePsql, timePsqlFile, type TapRun } from './bench/measure.js'
import { printPerByte, printTable, summarize, type Result } from './bench/report.js'
import { bookmarkAt, planOf, printIncremental, tempBytes } from './bench/incremental.js'
import { cursorStatements, incrementalQuery } from '../src/pg/sql.js'
import {
  BENCH_TABLES_DB,
  countConnections,
  DB,
  logSize,
  psqlArgs,
  server,
  type Server,
} from './bench/server.js'
import { REPO } from './bench/paths.js'

interface Args {
  cases: string[]
  rows: number
  runs: number
  maxWorkers: number[]
  chunkRows?: number
  json: boolean
  logChanges: number
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  return {
    cases: (get('case') ?? 'wide,many,log,slow').split(','),
    rows: Number(get('rows') ?? 1_000_000),
    runs: Number(get('runs') ?? 3),
    maxWorkers: (get('max-workers') ?? '4').split(',').map(Number),
    chunkRows: get('chunk-rows') === undefined ? undefined : Number(get('chunk-rows')),
    json: argv.includes('--json'),
    logChanges: Number(get('changes') ?? 100_000),
  }
}

function tmpFile(name: string, value: unknown): string {
  const p = join(mkdtempSync(join(tmpdir(), 'tap-bench-')), name)
  writeFileSync(p, JSON.stringify(value))
  return p
}

interface CatalogJson {
  streams: Array<{
    tap_stream_id: string
    table_name: string
    metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>
  }>
}

const BIN = join(REPO, 'bin', 'run.js')

function discoverCatalog(configPath: string): CatalogJson {
  const r = spawnSync(process.execPath, [BIN, '--config', configPath, '--discover'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  })
  if (r.status !== 0) throw new Error(`discover failed: ${r.stderr.slice(-1000)}`)
  return JSON.parse(r.stdout) as CatalogJson
}

function selectOnly(
  catalog: CatalogJson,
  tables: readonly string[],
  method: string,
  replicationKey?: string,
): CatalogJson {
  const want = new Set(tables)
  const key = replicationKey === undefined ? {} : { 'replication-key': replicationKey }
  return {
    streams: catalog.streams
      .filter((s) => want.has(s.table_name))
      .map((s) => ({
        ...s,
        metadata: s.metadata.map((m) =>
          m.breadcrumb.length === 0
            ? { ...m, metadata: { ...m.metadata, selected: true, 'replication-method': method, ...key } }
            : m,
        ),
      })),
  }
}

interface Ctx {
  args: Args
  srv: Server
  client: pg.Client
  tablesClient: pg.Client
  maxWorkers: number
  limitCache: Map<string, Record<string, number>>
}

function configFor(ctx: Ctx, appName: string, extra: Record<string, unknown> = {}): string {
  const dbname = 'filter_schemas' in extra ? BENCH_TABLES_DB : DB
  return tmpFile('config.json', {
    host: ctx.srv.host,
    port: ctx.srv.port,
    user: ctx.srv.user,
    password: ctx.srv.password,
    dbname,
    application_name: appName,
    max_workers: ctx.maxWorkers,
    ...(ctx.args.chunkRows === undefined ? {} : { chunk_rows: ctx.args.chunkRows }),
    ...extra,
  })
}

async function runTimes(
  ctx: Ctx,
  label: string,
  make: (appName: string) => { args: string[]; stallMs?: number },
): Promise<{ runs: TapRun[]; conns: (number | undefined)[] }> {
  const runs: TapRun[] = []
  const conns: (number | undefined)[] = []
  for (let i = 0; i < ctx.args.runs; i++) {
    const appName = `bench_${randomBytes(4).toString('hex')}`
    const { args, stallMs } = make(appName)
    const logFrom = logSize(ctx.srv)
    const r = await runTapMeasured({ bin: BIN, args, stallMs })
    if (r.exitCode !== 0) throw new Error(`${label}: tap exited ${r.exitCode}: ${r.stderrTail}`)
    runs.push(r)
    conns.push(countConnections(ctx.srv, appName, logFrom))
    process.stderr.write(
      `${label} run ${i + 1}: ${r.wallSeconds.toFixed(2)} s, ${r.records} records, CPU ${r.cpuSeconds.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB, connections ${conns.at(-1) ?? '?'}, load ${loadavg()[0].toFixed(2)}\n`,
    )
  }
  return { runs, conns }
}

/** Medians of the server-side limits on these tables (measured once per run of the bench). */
function copyLimits(ctx: Ctx, tables: readonly string[]): Record<string, number> {
  const key = tables.join(',')
  const cached = ctx.limitCache.get(key)
  if (cached) return cached
  const copy: number[] = []
  const json: number[] = []
  for (let i = 0; i < ctx.args.runs; i++) {
    copy.push(tables.reduce((t, tb) => t + timePsql(psqlArgs(ctx.srv), `COPY ${tb} TO STDOUT`), 0))
    json.push(
      tables.reduce(
        (t, tb) =>
          t +
          timePsql(psqlArgs(ctx.srv), `COPY (SELECT row_to_json(bench_row) FROM ${tb} bench_row) TO STDOUT`),
        0,
      ),
    )
  }
  const limits = { copy: median(copy), copy_row_to_json: median(json) }
  process.stderr.write(
    `limits for ${tables.length} table(s): COPY ${limits.copy.toFixed(2)} s, COPY row_to_json ${limits.copy_row_to_json.toFixed(2)} s\n`,
  )
  ctx.limitCache.set(key, limits)
  return limits
}

async function tableCase(
  ctx: Ctx,
  name: string,
  tables: readonly string[],
  rows: number,
  opts: { stallMs?: number; extra?: Record<string, unknown> } = {},
): Promise<Result> {
  const catalog = selectOnly(discoverCatalog(configFor(ctx, 'bench_discover')), tables, 'FULL_TABLE')
  const catalogPath = tmpFile('catalog.json', catalog)
  const { runs, conns } = await runTimes(ctx, `${name} (max_workers ${ctx.maxWorkers})`, (app) => ({
    args: ['--config', configFor(ctx, app, opts.extra), '--catalog', catalogPath],
    stallMs: opts.stallMs,
  }))
  const bad = runs.find((r) => r.records !== rows)
  if (bad) throw new Error(`${name}: expected ${rows} records, got ${bad.records}`)
  return summarize(
    name,
    ctx.maxWorkers,
    'rows',
    runs,
    rows,
    opts.stallMs ? {} : copyLimits(ctx, tables),
    conns,
  )
}

/**
 * Thousands of tables in one run. `discover` and `sync` of `emptyTables` empty tables (streams per
 * second, peak RSS, MB of STATE), then `filledTables` tables of `rows` rows each against the limit
 * of one `COPY t TO STDOUT` per table, one after another in one psql session.
 */
async function tablesCases(
  ctx: Ctx,
  emptyTables: number,
  filledTables: number,
  rows: number,
): Promise<Result[]> {
  const out: Result[] = []
  const empty = await ensureManyTables(ctx.tablesClient, emptyTables, 0)
  const emptyExtra = { filter_schemas: empty.schema }
  const discovered = await runTimes(ctx, `discover ${emptyTables} tables`, (app) => ({
    args: ['--config', configFor(ctx, app, emptyExtra), '--discover'],
  }))
  out.push(
    summarize(
      `tables_discover_${emptyTables}`,
      ctx.maxWorkers,
      'streams',
      discovered.runs,
      emptyTables,
      {},
      discovered.conns,
    ),
  )
  const emptyCatalog = tmpFile(
    'catalog.json',
    selectOnly(discoverCatalog(configFor(ctx, 'bench_discover', emptyExtra)), empty.names, 'FULL_TABLE'),
  )
  const synced = await runTimes(
    ctx,
    `sync ${emptyTables} empty tables (max_workers ${ctx.maxWorkers})`,
    (app) => ({ args: ['--config', configFor(ctx, app, emptyExtra), '--catalog', emptyCatalog] }),
  )
  out.push(
    summarize(
      `tables_sync_${emptyTables}_empty`,
      ctx.maxWorkers,
      'streams',
      synced.runs,
      emptyTables,
      {},
      synced.conns,
    ),
  )

  const filled = await ensureManyTables(ctx.tablesClient, filledTables, rows)
  const filledExtra = { filter_schemas: filled.schema }
  const filledCatalog = tmpFile(
    'catalog.json',
    selectOnly(discoverCatalog(configFor(ctx, 'bench_discover', filledExtra)), filled.names, 'FULL_TABLE'),
  )
  const read = await runTimes(
    ctx,
    `sync ${filledTables} tables x ${rows} rows (max_workers ${ctx.maxWorkers})`,
    (app) => ({ args: ['--config', configFor(ctx, app, filledExtra), '--catalog', filledCatalog] }),
  )
  const total = filledTables * rows
  const bad = read.runs.find((r) => r.records !== total)
  if (bad) throw new Error(`tables: expected ${total} records, got ${bad.records}`)
  // The limits: one COPY per table, one after another in one session; as text, and as row_to_json (JSON rendered by the server).
  const dir = mkdtempSync(join(tmpdir(), 'tap-bench-'))
  const copyFile = join(dir, 'copy.sql')
  const jsonFile = join(dir, 'copy-json.sql')
  writeFileSync(copyFile, filled.names.map((t) => `COPY ${filled.schema}.${t} TO STDOUT;`).join('\n') + '\n')
  writeFileSync(
    jsonFile,
    filled.names
      .map((t) => `COPY (SELECT row_to_json(r) FROM ${filled.schema}.${t} r) TO STDOUT;`)
      .join('\n') + '\n',
  )
  const copy: number[] = []
  const json: number[] = []
  for (let i = 0; i < ctx.args.runs; i++) {
    copy.push(timePsqlFile(psqlArgs(ctx.srv, BENCH_TABLES_DB), copyFile))
    json.push(timePsqlFile(psqlArgs(ctx.srv, BENCH_TABLES_DB), jsonFile))
  }
  process.stderr.write(
    `limits: ${filledTables} COPYs one after another ${median(copy).toFixed(2)} s, as row_to_json ${median(json).toFixed(2)} s\n`,
  )
  out.push(
    summarize(
      `tables_sync_${filledTables}x${rows}`,
      ctx.maxWorkers,
      'rows',
      read.runs,
      total,
      { copy_each_table: median(copy), copy_row_to_json_each_table: median(json) },
      read.conns,
    ),
  )
  return out
}

/** `big_rows`: one table case per row size, with the MB of COPY text each one reads. */
async function bigRowsCases(ctx: Ctx): Promise<Result[]> {
  const out: Result[] = []
  for (const table of await ensureBigRows(ctx.client)) {
    const r = await ctx.client.query(
      `SELECT count(*)::int AS n, sum(coalesce(octet_length(t), 0) + coalesce(octet_length(j::text), 0))::float8 AS bytes FROM ${table}`,
    )
    const { n, bytes } = r.rows[0] as { n: number; bytes: number }
    out.push({ ...(await tableCase(ctx, `big_rows_${table.slice(4)}`, [table], n)), sourceMb: bytes / 1e6 })
  }
  return out
}

/**
 * `incremental_5m`: INCREMENTAL through the tap's cursor, a first run over the whole table and a 1%
 * delta, against COPY of the same SELECT with the bookmark as a literal (the read path INCREMENTAL had
 * before), with the server's temporary files per tap run and the plans of both statements.
 */
async function incrementalCases(ctx: Ctx, rows: number): Promise<Result[]> {
  const { client } = ctx
  const table = await ensureIncremental(client, rows)
  const catalog = selectOnly(
    discoverCatalog(configFor(ctx, 'bench_discover')),
    [table],
    'INCREMENTAL',
    'updated_at',
  )
  const catalogPath = tmpFile('catalog.json', catalog)
  const stream = catalog.streams[0]
  const columns = stream.metadata.filter((m) => m.breadcrumb.length === 2).map((m) => m.breadcrumb[1])
  const p99 = await bookmarkAt(client, table, 'updated_at', rows, 0.99)
  const out: Result[] = []
  for (const [name, from, count] of [
    [`incremental_${rows / 1e6}m_first`, undefined, rows],
    [`incremental_${rows / 1e6}m_delta`, p99.value, p99.rowsFrom],
  ] as const) {
    const query = incrementalQuery({
      schemaName: 'public',
      tableName: table,
      columns,
      replicationKey: 'updated_at',
      from,
    })
    const asCopy = from === undefined ? query.text : query.text.replace('$1', `'${from}'`)
    const plans = {
      cursor: await planOf(client, cursorStatements(query, 5000).declare),
      copy: await planOf(client, { text: asCopy, values: [] }),
    }
    process.stderr.write(
      `${name}: cursor plan ${plans.cursor.join(' / ')}; COPY plan ${plans.copy.join(' / ')}\n`,
    )
    const bookmark = { replication_key: 'updated_at', replication_key_value: from }
    const state =
      from === undefined
        ? []
        : ['--state', tmpFile('state.json', { bookmarks: { [stream.tap_stream_id]: bookmark } })]
    const tempFrom = await tempBytes(client)
    const { runs, conns } = await runTimes(ctx, name, (app) => ({
      args: ['--config', configFor(ctx, app), '--catalog', catalogPath, ...state],
    }))
    // A session's statistics reach pg_stat_database when it ends, just after the tap exits.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const tempMb = ((await tempBytes(client)) - tempFrom) / ctx.args.runs / 1e6
    const bad = runs.find((r) => r.records !== count)
    if (bad) throw new Error(`${name}: expected ${count} records, got ${bad.records}`)
    const copy: number[] = []
    for (let i = 0; i < ctx.args.runs; i++)
      copy.push(timePsql(psqlArgs(ctx.srv), `COPY (${asCopy}) TO STDOUT`))
    const limits = { copy_same_select: median(copy) }
    out.push({ ...summarize(name, ctx.maxWorkers, 'rows', runs, count, limits, conns), tempMb, plans })
  }
  return out
}

/** What the raw decode asks for: the options the replication worker starts the plugin with (src/replication/decoders.ts). */
function rawDecodeSql(plugin: 'wal2json' | 'pgoutput', slot: string, publication: string): string {
  return plugin === 'wal2json'
    ? `SELECT count(*) FROM pg_logical_slot_peek_changes('${slot}', NULL, NULL, 'format-version', '2', 'include-timestamp', '1', 'include-lsn', '1', 'include-types', '0', 'actions', 'insert,update,delete,truncate', 'add-tables', 'public.${LOG_TABLE}')`
    : `SELECT count(*) FROM pg_logical_slot_peek_binary_changes('${slot}', NULL, NULL, 'proto_version', '1', 'publication_names', '"${publication}"')`
}

/**
 * `log` for one output plugin: a LOG_BASED run over --changes changes, against the server's own
 * decode of the same changes with the same plugin and options (peeked from a second slot made at the
 * same point, so it never moves).
 */
async function logCase(ctx: Ctx, plugin: 'wal2json' | 'pgoutput'): Promise<Result> {
  const { client } = ctx
  const slot = `bench_slot_${plugin}`
  const ref = `bench_ref_${plugin}`
  // pgoutput: the publication (named after the slot, the tap's default) is older than both slots.
  const publication = slot
  for (const name of [slot, ref]) {
    await client.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [name],
    )
  }
  await resetLogTable(client)
  if (plugin === 'pgoutput') {
    await client.query(`DROP PUBLICATION IF EXISTS ${publication}`)
    await client.query(`CREATE PUBLICATION ${publication} FOR TABLE public.${LOG_TABLE}`)
  }
  await client.query(`SELECT pg_create_logical_replication_slot($1, $2)`, [slot, plugin])
  const catalog = selectOnly(discoverCatalog(configFor(ctx, 'bench_discover')), [LOG_TABLE], 'LOG_BASED')
  const catalogPath = tmpFile('catalog.json', catalog)
  const cfg = (app: string) =>
    configFor(ctx, app, { replication_slot_name: slot, logical_poll_total_seconds: 30 })
  // First run: the (empty) initial load, which leaves the state with an lsn to stream from.
  const first = await runTapMeasured({
    bin: BIN,
    args: ['--config', cfg('bench_log_init'), '--catalog', catalogPath],
  })
  if (first.exitCode !== 0 || first.lastState === undefined)
    throw new Error(`log initial run failed: ${first.stderrTail}`)
  const statePath = tmpFile('state.json', first.lastState)
  await client.query(`SELECT pg_create_logical_replication_slot($1, $2)`, [ref, plugin])
  const changes = await generateLogChanges(client, ctx.args.logChanges)
  const peek: number[] = []
  for (let i = 0; i < ctx.args.runs; i++)
    peek.push(timePsql(psqlArgs(ctx.srv), rawDecodeSql(plugin, ref, publication)))
  // Every run starts from the same state, so it re-reads the same changes (the slot is only confirmed up to the input state).
  const { runs, conns } = await runTimes(ctx, `log_${plugin}`, (app) => ({
    args: ['--config', cfg(app), '--catalog', catalogPath, '--state', statePath],
  }))
  const bad = runs.find((r) => r.records !== changes)
  if (bad) throw new Error(`log_${plugin}: expected ${changes} records, got ${bad.records}`)
  await client.query(`SELECT pg_drop_replication_slot($1)`, [ref])
  return summarize(
    `log_${plugin}`,
    ctx.maxWorkers,
    'messages',
    runs,
    changes,
    { [`${plugin}_peek`]: median(peek) },
    conns,
  )
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const srv = await server()
  const admin = new pg.Client({
    host: srv.host,
    port: srv.port,
    user: srv.user,
    password: srv.password,
    database: 'postgres',
  })
  await admin.connect()
  for (const db of [DB, BENCH_TABLES_DB]) {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${db}`)
  }
  await admin.end()
  const client = new pg.Client({
    host: srv.host,
    port: srv.port,
    user: srv.user,
    password: srv.password,
    database: DB,
  })
  await client.connect()
  const tablesClient = new pg.Client({
    host: srv.host,
    port: srv.port,
    user: srv.user,
    password: srv.password,
    database: BENCH_TABLES_DB,
  })
  await tablesClient.connect()
  const ctx: Ctx = { args, srv, client, tablesClient, maxWorkers: args.maxWorkers[0], limitCache: new Map() }
  const results: Result[] = []
  const loadBefore = loadavg()
  try {
    for (const maxWorkers of args.maxWorkers) {
      ctx.maxWorkers = maxWorkers
      if (args.cases.includes('wide'))
        results.push(await tableCase(ctx, 'wide', [await ensureWide(client, args.rows)], args.rows))
      if (args.cases.includes('wide_fast'))
        results.push(
          await tableCase(ctx, 'wide_fast', [await ensureWide(client, args.rows)], args.rows, {
            extra: { fast_sync: true },
          }),
        )
      if (args.cases.includes('many'))
        results.push(await tableCase(ctx, 'many', await ensureMany(client, 20, 50_000), 20 * 50_000))
      if (args.cases.includes('tables')) results.push(...(await tablesCases(ctx, 5000, 1000, 1000)))
      if (args.cases.includes('big_rows')) results.push(...(await bigRowsCases(ctx)))
      if (args.cases.includes('incremental_5m')) results.push(...(await incrementalCases(ctx, 5_000_000)))
    }
    ctx.maxWorkers = args.maxWorkers[0]
    // Both plugins, each against its own raw decode (pgoutput first: the default for new slots).
    if (args.cases.includes('log'))
      for (const plugin of ['pgoutput', 'wal2json'] as const) results.push(await logCase(ctx, plugin))
    if (args.cases.includes('slow'))
      results.push(
        await tableCase(ctx, 'slow', [await ensureWide(client, args.rows)], args.rows, { stallMs: 3000 }),
      )
  } finally {
    await client.end()
    await tablesClient.end()
    srv.stop()
  }
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadBefore,
    loadAfter: loadavg(),
  }
  if (args.json) process.stdout.write(JSON.stringify({ machine, args, results }, null, 2) + '\n')
  else {
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')
    process.stdout.write(
      `machine: ${machine.cpus} cores (${machine.cpu}), ${machine.memGb} GB, node ${machine.node}; load average ${load(machine.loadBefore)} before, ${load(machine.loadAfter)} after; runs=${args.runs} (medians)${args.chunkRows === undefined ? '' : ` chunk_rows=${args.chunkRows}`}\n`,
    )
    printTable(results)
    printPerByte(results)
    printIncremental(results)
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
})
