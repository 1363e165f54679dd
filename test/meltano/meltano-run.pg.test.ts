/**
 * The tap run exactly as Meltano runs the repository's meltano.yml extractor (test/meltano/meltano.ts
 * reproduces what Meltano does): settings in a config file *and* TAP_POSTGRES_* variables,
 * `--config C [--state S] --discover` into tap.properties.json, Meltano's select/metadata overlay,
 * `--config C --catalog K [--state S]`, a state holding only part of the bookmarks, plain and
 * structured logs as SINGER_SDK_LOG_CONFIG asks, METRIC lines.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterInfo, createTestDatabase, dropTestDatabase, uniqueAppName, withAdmin } from '../harness/pg.js'
import { runTap, type SingerMessage, type TapResult } from '../harness/run-tap.js'
import { expectSuccess, lastState, records } from '../sync/catalog-helpers.js'
import {
  discoverAndApplyRules,
  parseSdkLogLine,
  prepareRun,
  readMeltanoYml,
  sync,
  type MeltanoExtractor,
  type MeltanoRun,
} from './meltano.js'

let db: string
let extractor: MeltanoExtractor
/** What a user sets for their environment (meltano config set / .env): the harness server. */
let connection: Record<string, unknown>

const ORDERS = 3000
const T0 = Date.parse('2024-03-01T00:00:00Z')
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', '+00:00')

async function sql(text: string): Promise<void> {
  await withAdmin(db, (c) => c.query(text))
}

beforeAll(async () => {
  db = await createTestDatabase('meltano_run')
  // The tables meltano.yml selects (public-orders, public-customers, public-events, each with a
  // `secret` column that `!*.secret` deselects), one it does not select, and another schema.
  await sql(`
    CREATE TABLE orders (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, amount numeric(12,2), secret text);
    INSERT INTO orders SELECT g, '2024-03-01 00:00:00+00'::timestamptz + g * interval '1 minute', g * 0.25, 's' || g FROM generate_series(1, ${ORDERS}) g;
    CREATE TABLE customers (id int PRIMARY KEY, name text, secret text);
    INSERT INTO customers SELECT g, 'customer ' || g, 'pw' || g FROM generate_series(1, 400) g;
    CREATE TABLE events (id bigint PRIMARY KEY, kind text, secret text);
    INSERT INTO events SELECT g, 'created', 'x' FROM generate_series(1, 200) g;
    CREATE TABLE audit (id int PRIMARY KEY, secret text);
    INSERT INTO audit VALUES (1, 'never read');
    CREATE SCHEMA ops;
    CREATE TABLE ops.jobs (id int PRIMARY KEY);
    ANALYZE;
  `)
  const c = clusterInfo()
  connection = {
    host: c.host,
    port: c.port,
    user: c.user,
    dbname: db,
    ...(c.password ? { password: c.password } : {}),
  }
  extractor = readMeltanoYml()
  // LOG_BASED needs the slot: `meltano invoke tap-postgres:slot-create` runs the command's args alone,
  // with the settings in TAP_POSTGRES_* variables (default slot name pipelinewise_<dbname>).
  const slot = await runTap(['slot', 'create'], { env: { ...newRun().env, LOG_LEVEL: undefined } })
  expect(slot.code, slot.stderr).toBe(0)
  expect(slot.stdout + slot.stderr).toContain(`pipelinewise_${db}`)
})

afterAll(async () => {
  await dropTestDatabase(db)
})

type State = ReturnType<typeof lastState>

function schemaOf(
  messages: SingerMessage[],
  stream: string,
): SingerMessage & { schema: { properties: Record<string, unknown> } } {
  const m = messages.find((x) => x.type === 'SCHEMA' && x.stream === stream)
  if (!m) throw new Error(`no SCHEMA for ${stream}`)
  return m as SingerMessage & { schema: { properties: Record<string, unknown> } }
}

function metricsIn(
  stderr: string,
): Array<{ type: string; metric: string; value: number; tags: Record<string, string> }> {
  return stderr
    .split('\n')
    .map((l) => /METRIC: (\{.*\})$/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .map((x) => JSON.parse(x))
}

/** A fresh Meltano run directory for the project with the harness connection (plain logs unless asked). */
function newRun(structured = false, extra: Record<string, unknown> = {}, level?: string): MeltanoRun {
  return prepareRun(extractor, {
    config: { ...extractor.config, ...connection, application_name: uniqueAppName('meltano'), ...extra },
    structured,
    level,
  })
}

describe('meltano run tap-postgres …, as Meltano invokes it', () => {
  let first: TapResult
  let state1: State

  it('discovery: --config C --discover, stdout into the catalog file, then select and metadata applied', async () => {
    const run = newRun()
    const r = await discoverAndApplyRules(extractor, run, { state: false })
    expectSuccess(r)
    expect(r.stderr).not.toMatch(/level=(error|warning)/)
    const catalog = JSON.parse(readFileSync(run.catalogPath, 'utf8')) as {
      streams: Array<
        Record<string, unknown> & {
          metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>
        }
      >
    }
    const byId = new Map(catalog.streams.map((s) => [s.tap_stream_id as string, s]))
    expect([...byId.keys()].sort()).toEqual([
      'ops-jobs',
      'public-audit',
      'public-customers',
      'public-events',
      'public-orders',
    ])
    // Meltano's overlay, both ways: top-level keys and [] metadata.
    const orders = byId.get('public-orders')
    expect(orders).toMatchObject({
      selected: true,
      replication_method: 'INCREMENTAL',
      replication_key: 'updated_at',
    })
    expect(orders?.metadata[0].metadata).toMatchObject({
      selected: true,
      'replication-method': 'INCREMENTAL',
      'replication-key': 'updated_at',
    })
    expect(orders?.metadata.find((m) => m.breadcrumb[1] === 'secret')?.metadata.selected).toBe(false)
    expect(byId.get('public-audit')?.selected).toBe(false)
  })

  it('first sync: --config C --catalog K; selected streams by their methods, deselected columns and streams left out', async () => {
    const run = newRun()
    expectSuccess(await discoverAndApplyRules(extractor, run, { state: false }))
    first = await sync(run, { state: false })
    expectSuccess(first)
    const m = first.messages
    expect(new Set(m.filter((x) => x.stream !== undefined).map((x) => x.stream))).toEqual(
      new Set(['public-orders', 'public-customers', 'public-events']),
    )
    expect(records(m, 'public-orders')).toHaveLength(ORDERS)
    expect(records(m, 'public-customers')).toHaveLength(400)
    expect(records(m, 'public-events')).toHaveLength(200)
    for (const r of records(m)) expect(r).not.toHaveProperty('secret')
    for (const s of ['public-orders', 'public-customers', 'public-events'])
      expect(schemaOf(m, s).schema.properties).not.toHaveProperty('secret')
    expect(schemaOf(m, 'public-orders')).toMatchObject({
      key_properties: ['id'],
      bookmark_properties: ['updated_at'],
    })
    expect(schemaOf(m, 'public-events').bookmark_properties).toEqual(['lsn'])
    expect(m.some((x) => x.type === 'ACTIVATE_VERSION' && x.stream === 'public-customers')).toBe(true)

    state1 = lastState(m)
    expect(state1.bookmarks['public-orders']).toMatchObject({
      last_replication_method: 'INCREMENTAL',
      replication_key: 'updated_at',
      replication_key_value: iso(T0 + ORDERS * 60_000),
    })
    expect(state1.bookmarks['public-customers']).toMatchObject({
      last_replication_method: 'FULL_TABLE',
      xmin: null,
    })
    expect(Number.isInteger(state1.bookmarks['public-events'].lsn)).toBe(true)

    // Plain logs by default (Meltano's `%(message)s` config): no JSON lines; METRIC lines per stream.
    expect(
      first.stderr
        .split('\n')
        .filter((l) => l !== '')
        .every((l) => parseSdkLogLine(l) === undefined),
    ).toBe(true)
    const metrics = metricsIn(first.stderr)
    for (const s of ['public-orders', 'public-customers', 'public-events']) {
      const counts = metrics.filter((x) => x.metric === 'record_count' && x.tags.stream === s)
      expect(
        counts.reduce((a, x) => a + x.value, 0),
        s,
      ).toBe(records(m, s).length)
      expect(
        metrics.some(
          (x) =>
            x.type === 'timer' &&
            x.metric === 'sync_duration' &&
            x.tags.stream === s &&
            x.tags.status === 'succeeded',
        ),
      ).toBe(true)
    }
  })

  it('next run: --config C --state S --discover, then --config C --catalog K --state S resumes every stream', async () => {
    await sql(`
      INSERT INTO orders SELECT g, '2024-04-01 00:00:00+00'::timestamptz + g * interval '1 second', 1, 'new' FROM generate_series(${ORDERS + 1}, ${ORDERS + 50}) g;
      INSERT INTO events SELECT g, 'later', 'y' FROM generate_series(201, 230) g;
      UPDATE events SET kind = 'changed' WHERE id <= 5;
      CHECKPOINT;
    `)
    const run = newRun()
    // Meltano hands over the state its target committed: the last STATE's value.
    writeFileSync(run.statePath, JSON.stringify(state1, null, 2))
    const disc = await discoverAndApplyRules(extractor, run, { state: true })
    expectSuccess(disc)
    const r = await sync(run, { state: true })
    expectSuccess(r)
    // INCREMENTAL: the boundary row again (>=), then the 50 new ones.
    expect(records(r.messages, 'public-orders').map((x) => x.id)).toEqual(
      Array.from({ length: 51 }, (_, i) => ORDERS + i),
    )
    // LOG_BASED: only the changes since the state's lsn.
    const events = records(r.messages, 'public-events')
    expect(events).toHaveLength(35)
    expect(events.every((e) => !('secret' in e))).toBe(true)
    // FULL_TABLE: all again, under a new version.
    expect(records(r.messages, 'public-customers')).toHaveLength(400)
    const s2 = lastState(r.messages)
    expect(s2.bookmarks['public-orders'].replication_key_value).toBe(
      iso(Date.parse('2024-04-01T00:00:00Z') + (ORDERS + 50) * 1000),
    )
    expect(BigInt(s2.bookmarks['public-events'].lsn as number)).toBeGreaterThan(
      BigInt(state1.bookmarks['public-events'].lsn as number),
    )
  })

  it('a state with only some bookmarks (no currently_syncing, no versions, a stream no longer selected): each stream resumes or starts', async () => {
    const run = newRun()
    const partial = {
      bookmarks: {
        'public-orders': { replication_key_value: iso(T0 + 2990 * 60_000) },
        'public-gone': { last_replication_method: 'FULL_TABLE', version: 1, xmin: null },
      },
    }
    writeFileSync(run.statePath, JSON.stringify(partial))
    expectSuccess(await discoverAndApplyRules(extractor, run, { state: true }))
    const r = await sync(run, { state: true })
    expectSuccess(r)
    expect(records(r.messages, 'public-orders').map((x) => x.id)).toEqual(
      Array.from({ length: ORDERS + 50 - 2989 }, (_, i) => 2990 + i),
    )
    expect(records(r.messages, 'public-customers')).toHaveLength(400)
    expect(records(r.messages, 'public-events')).toHaveLength(230)
    const s = lastState(r.messages)
    expect(s.bookmarks['public-gone']).toEqual(partial.bookmarks['public-gone'])
    expect(s.bookmarks['public-orders']).toMatchObject({
      last_replication_method: 'INCREMENTAL',
      replication_key: 'updated_at',
    })
    expect(s.currently_syncing).toBeNull()
  })

  it('settings from TAP_POSTGRES_* variables win over the config file, in Meltano\'s text forms (JSON arrays, "true", "5"); a property-level select', async () => {
    const run = newRun()
    // A config file without the connection (and a wrong dbname): only the variables carry it.
    const dir = mkdtempSync(join(tmpdir(), 'meltano-env-'))
    run.configPath = join(dir, 'tap.config.json')
    writeFileSync(run.configPath, JSON.stringify({ dbname: 'no_such_database', max_workers: 4 }, null, 2))
    run.env.TAP_POSTGRES_DBNAME = db
    run.env.TAP_POSTGRES_FILTER_SCHEMAS = '["ops", "public"]'
    run.env.TAP_POSTGRES_MAX_WORKERS = '2'
    expect(run.env.TAP_POSTGRES_BREAK_AT_END_LSN).toBe('true')
    expect(run.env.TAP_POSTGRES_POLL_INTERVAL).toBe('5')
    expect(run.env.TAP_POSTGRES_HOST).toBe(connection.host)
    const disc = await discoverAndApplyRules(extractor, run, { state: false })
    expectSuccess(disc)
    const ids = (
      JSON.parse(readFileSync(run.catalogPath, 'utf8')) as { streams: Array<{ tap_stream_id: string }> }
    ).streams.map((s) => s.tap_stream_id)
    expect(ids).toContain('ops-jobs')
    run.env.TAP_POSTGRES_FILTER_SCHEMAS = '["public"]'
    // A property-level pattern: `!*.*` leaves even the key column `selected: false`; it is read anyway.
    const disc2 = await discoverAndApplyRules(extractor, run, {
      state: false,
      select: ['public-customers.name'],
    })
    expectSuccess(disc2)
    expect(readFileSync(run.catalogPath, 'utf8')).not.toContain('ops-jobs')
    const r = await sync(run, { state: false })
    expectSuccess(r)
    expect(new Set(r.messages.filter((x) => x.stream !== undefined).map((x) => x.stream))).toEqual(
      new Set(['public-customers']),
    )
    const customers = records(r.messages, 'public-customers')
    expect(customers).toHaveLength(400)
    expect(customers.every((c) => Object.keys(c).join() === 'id,name')).toBe(true)
    expect(schemaOf(r.messages, 'public-customers').key_properties).toEqual(['id'])
  })
})

describe('logs Meltano can read', () => {
  it('SINGER_SDK_LOG_CONFIG with the StructuredFormatter: every stderr line (worker threads too) parses as a singer-sdk log record', async () => {
    const run = newRun(true, {}, 'DEBUG')
    const disc = await discoverAndApplyRules(extractor, run, { state: false })
    expectSuccess(disc)
    const r = await sync(run, { state: false })
    expectSuccess(r)
    const lines = [...disc.stderr.split('\n'), ...r.stderr.split('\n')].filter((l) => l !== '')
    const parsed = lines.map((l) => ({ l, p: parseSdkLogLine(l) }))
    expect(parsed.filter((x) => x.p === undefined).map((x) => x.l)).toEqual([])
    const recs = parsed.map((x) => x.p as NonNullable<typeof x.p>)
    // Meltano's level (DEBUG in the config file) is honoured.
    expect(recs.some((x) => x.level === 10)).toBe(true)
    // Table reads log from worker threads, with their stream.
    const fromWorkers = recs.filter((x) => String(x.extra.thread_name).startsWith('Worker-'))
    expect(fromWorkers.length).toBeGreaterThan(0)
    expect(new Set(fromWorkers.map((x) => x.extra.stream_name).filter((x) => x !== null))).toEqual(
      new Set(['public-orders', 'public-customers', 'public-events']),
    )
    for (const x of recs) {
      expect(x.extra.app_name).toBe('tap-postgres')
      expect(Number.isInteger(x.extra.pid)).toBe(true)
      expect(Number(x.timestamp)).toBeGreaterThan(1.7e9)
    }
    // Metrics as the SDK's StructuredFormatter writes them: message METRIC, the point in metric_info.
    const metrics = recs
      .filter((x) => x.message === 'METRIC')
      .map((x) => x.extra.metric_info as { metric: string; value: number; tags: { stream: string } })
    for (const s of ['public-orders', 'public-customers', 'public-events']) {
      expect(
        metrics
          .filter((x) => x.metric === 'record_count' && x.tags.stream === s)
          .reduce((a, x) => a + x.value, 0),
      ).toBe(records(r.messages, s).length)
      expect(metrics.some((x) => x.metric === 'sync_duration' && x.tags.stream === s)).toBe(true)
    }
    // stdout is untouched: only Singer messages.
    expect(
      r.stdout
        .split('\n')
        .filter((l) => l !== '')
        .every((l) => l.startsWith('{"type":')),
    ).toBe(true)
  })

  it('a failed run in structured mode: one error record with an exception Meltano renders, exit code kept', async () => {
    const run = newRun(true, { port: 1 })
    const r = await discoverAndApplyRules(extractor, run, { state: false })
    expect(r.code).toBe(1)
    const recs = r.stderr
      .split('\n')
      .filter((l) => l !== '')
      .map(parseSdkLogLine)
    expect(recs.every((x) => x !== undefined)).toBe(true)
    const errors = recs.filter((x) => x?.level === 40)
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toMatch(/^error: cannot connect to .*:1\//)
    expect(errors[0]?.exception).toMatchObject({ type: 'CONNECTION_FAILED', module: 'tap-postgres' })
  })
})
