// Long (~620 lines): one scenario table per kind of input (config, connection, catalog, state), each row a short case.
/**
 * Bad input through the built CLI (docs/behaviour.md#bad-input and issue 7): each is one `error:` line naming the
 * problem, exit 2 for bad input (1 for a server that cannot be reached), no RECORD, no stack trace.
 * What test/sync/bad-inputs.pg.test.ts, test/cli/discover-cli.pg.test.ts and
 * test/replication/log-based.pg.test.ts already cover is not repeated here; the server-side ones
 * (wal_level, wal2json, wrong password) are in server-faults.pg.test.ts and secrets.pg.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig, writeJsonFile } from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import { discoverCatalog, records, selectStreams, writeCatalog } from '../sync/catalog-helpers.js'
import type { Catalog } from '../../src/singer/catalog-types.js'
import { clusterInfo } from '../harness/pg.js'
import { expectCleanError } from './helpers.js'
import { loadConfig } from '../../src/config/load-config.js'
import { readCatalog, readState } from '../../src/singer/read-inputs.js'
import { selectStreams as selectCatalogStreams } from '../../src/sync/plan.js'
import { TapError } from '../../src/errors.js'
import { checkReplicationKeyValue, keyValueProblem } from '../../src/sync/bookmark-check.js'
import { rawJson } from '../../src/singer/state.js'
import type { ColumnInfo } from '../../src/values/pg-type.js'

let db: string
let config: string
let catalog: Catalog
let fullCatalog: string

beforeAll(async () => {
  db = await createTestDatabase('badinput')
  await withAdmin(db, (c) =>
    c.query(`
    CREATE TABLE orders (id int PRIMARY KEY, big bigint, amount numeric(12,2), updated_at timestamptz, day date, flag boolean, code uuid, note text);
    INSERT INTO orders SELECT g, g::bigint * 1000000000, g / 100.0, '2024-01-01'::timestamptz + g * interval '1 hour', '2024-01-01'::date + g, g % 2 = 0,
                              md5(g::text)::uuid, 'n' || g FROM generate_series(1, 50) g;
  `),
  )
  config = writeConfig(db)
  catalog = await discoverCatalog(config)
  fullCatalog = writeCatalog(selectStreams(catalog, { orders: { method: 'FULL_TABLE' } }))
})

afterAll(async () => {
  await dropTestDatabase(db)
})

/** A config file with the harness connection settings, then `patch` applied (undefined deletes). */
function configWith(patch: Record<string, unknown>): string {
  const c = clusterInfo()
  const base: Record<string, unknown> = { host: c.host, port: c.port, user: c.user, dbname: db }
  if (c.password) base.password = c.password
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete base[k]
    else base[k] = v
  }
  return writeJsonFile('config.json', JSON.stringify(base))
}

function sync(configPath: string, catalogPath = fullCatalog, statePath?: string): Promise<TapResult> {
  return runTap([
    'sync',
    '--config',
    configPath,
    '--catalog',
    catalogPath,
    ...(statePath ? ['--state', statePath] : []),
  ])
}

/**
 * What `sync` does with its inputs before it connects (run-sync.ts): the error line the command
 * would print, and its exit code. Most cases are checked this way (0.4 s of CPU saved per case);
 * the ones marked `cli` also go through the built CLI, which prints exactly this line.
 */
function inputsOutcome(
  configPath: string,
  catalogPath: string,
  statePath?: string,
): { line: string; code: number } | undefined {
  try {
    const { config: cfg } = loadConfig([configPath], {})
    const cat = readCatalog(catalogPath)
    readState(statePath)
    selectCatalogStreams(cat, cfg)
    return undefined
  } catch (e) {
    if (!(e instanceof TapError)) throw e
    return { line: `error: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}`, code: e.exitCode }
  }
}

async function expectRefused(
  opts: { config?: string; catalog?: string; state?: string; cli?: boolean },
  message: RegExp,
): Promise<void> {
  const configPath = opts.config ?? config
  const catalogPath = opts.catalog ?? fullCatalog
  const outcome = inputsOutcome(configPath, catalogPath, opts.state)
  expect(outcome?.code).toBe(2)
  expect(outcome?.line).toMatch(message)
  if (opts.cli) expectCleanError(await sync(configPath, catalogPath, opts.state), 2, message)
}

/** A config file holding exactly `text`. */
const rawConfig = (text: string): string => writeJsonFile('config.json', text)

describe.concurrent('config', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    [
      'a missing file',
      () => '/nonexistent/config.json',
      /^error: config \/nonexistent\/config\.json: file not found$/,
    ],
    ['not JSON', () => rawConfig('{"host": '), /^error: config .*: not valid JSON$/],
    ['a JSON array', () => rawConfig('[{"host": "localhost"}]'), /^error: config .*: must be a JSON object$/],
    ['a JSON string', () => rawConfig('"host=localhost"'), /^error: config .*: must be a JSON object$/],
    ['null', () => rawConfig('null'), /^error: config .*: must be a JSON object$/],
    [
      'a missing required key',
      () => configWith({ host: undefined }),
      /^error: invalid config: config\['host'\] is required$/,
    ],
    [
      'an empty dbname',
      () => configWith({ dbname: '  ' }),
      /^error: invalid config: config\['dbname'\] must not be empty$/,
    ],
    [
      'port of the wrong type',
      () => configWith({ port: 'five' }),
      /^error: invalid config: config\['port'\] must be an integer$/,
    ],
    [
      'port that is an object',
      () => configWith({ port: { n: 5432 } }),
      /^error: invalid config: config\['port'\] must be an integer$/,
    ],
    [
      'ssl of the wrong type',
      () => configWith({ ssl: 3 }),
      /^error: invalid config: config\['ssl'\] must be a boolean \(true\/false\)$/,
    ],
    [
      'an unknown sslmode',
      () => configWith({ sslmode: 'sometimes' }),
      /^error: invalid config: config\['sslmode'\] must be one of disable, .*verify-full$/,
    ],
    [
      'filter_schemas of the wrong type',
      () => configWith({ filter_schemas: 5 }),
      /^error: invalid config: config\['filter_schemas'\] must be a comma-separated string or an array of strings$/,
    ],
    [
      'a password that is not a string',
      () => configWith({ password: 12345 }),
      /^error: invalid config: config\['password'\] must be a string$/,
    ],
    [
      'use_secondary without its host and port',
      () => configWith({ use_secondary: true }),
      /^error: invalid config: 2 problems: config\['secondary_host'\] is required when use_secondary is true; config\['secondary_port'\] is required when use_secondary is true$/,
    ],
    [
      'a negative port',
      () => configWith({ port: -1 }),
      /^error: invalid config: config\['port'\] must be at least 1$/,
    ],
    [
      'a huge port',
      () => configWith({ port: 99999999999999999999 }),
      /^error: invalid config: config\['port'\] must be an integer$/,
    ],
    [
      'a port past 65535',
      () => configWith({ port: 70000 }),
      /^error: invalid config: config\['port'\] must be at most 65535$/,
    ],
    [
      'a port of 1e400 (Infinity)',
      () => rawConfig(`{"host": "h", "user": "u", "dbname": "d", "port": 1e400}`),
      /^error: invalid config: config\['port'\] must be an integer$/,
    ],
    [
      'negative max_workers',
      () => configWith({ max_workers: -2 }),
      /^error: invalid config: config\['max_workers'\] must be at least 1$/,
    ],
    [
      'huge max_workers',
      () => configWith({ max_workers: 1e9 }),
      /^error: invalid config: config\['max_workers'\] must be at most 64$/,
    ],
    [
      'zero itersize',
      () => configWith({ itersize: 0 }),
      /^error: invalid config: config\['itersize'\] must be at least 1$/,
    ],
    [
      'huge itersize',
      () => configWith({ itersize: 1e300 }),
      /^error: invalid config: config\['itersize'\] must be an integer$/,
    ],
    [
      'fractional itersize',
      () => configWith({ itersize: 10.5 }),
      /^error: invalid config: config\['itersize'\] must be an integer$/,
    ],
    [
      'negative limit',
      () => configWith({ limit: -5 }),
      /^error: invalid config: config\['limit'\] must be at least 1$/,
    ],
    [
      'huge limit',
      () => configWith({ limit: 1e300 }),
      /^error: invalid config: config\['limit'\] must be an integer$/,
    ],
    [
      'negative poll_interval',
      () => configWith({ poll_interval: -1 }),
      /^error: invalid config: config\['poll_interval'\] must be at least 0\.1$/,
    ],
    [
      'huge poll_interval',
      () => configWith({ poll_interval: 1e308 }),
      /^error: invalid config: config\['poll_interval'\] must be at most 3600$/,
    ],
    [
      'negative logical_poll_total_seconds',
      () => configWith({ logical_poll_total_seconds: -10 }),
      /^error: invalid config: config\['logical_poll_total_seconds'\] must be at least 0\.1$/,
    ],
    [
      'negative max_run_seconds as a string',
      () => configWith({ max_run_seconds: '-3' }),
      /^error: invalid config: config\['max_run_seconds'\] must be at least 0\.1$/,
    ],
    [
      'several problems at once',
      () => configWith({ port: 0, itersize: 'x', user: undefined }),
      /^error: invalid config: 3 problems: config\['port'\] must be at least 1; config\['user'\] is required; config\['itersize'\] must be an integer$/,
    ],
  ]
  // Through the CLI too: one of each kind.
  const cli = new Set([
    'a missing file',
    'not JSON',
    'a JSON array',
    'a missing required key',
    'port of the wrong type',
    'use_secondary without its host and port',
    'a huge port',
    'negative max_workers',
    'several problems at once',
  ])
  for (const [name, make, message] of cases) {
    it(`${name}: exit 2`, async () => {
      await expectRefused({ config: make(), cli: cli.has(name) }, message)
    })
  }

  it('the same for discover (flag-first) and check', async () => {
    const bad = configWith({ port: 'five' })
    expectCleanError(
      await runTap(['--config', bad, '--discover']),
      2,
      /^error: invalid config: config\['port'\] must be an integer$/,
    )
    expectCleanError(
      await runTap(['check', '--config', bad]),
      2,
      /^error: invalid config: config\['port'\] must be an integer$/,
    )
  })

  it('huge but valid settings run: max_run_seconds and logical_poll_total_seconds of 1e308, limit 2^53-1', async () => {
    const r = await sync(
      configWith({
        max_run_seconds: 1e308,
        logical_poll_total_seconds: 1e308,
        limit: Number.MAX_SAFE_INTEGER,
      }),
      writeCatalog(selectStreams(catalog, { orders: { method: 'INCREMENTAL', key: 'id' } })),
    )
    expect(r.code, r.stderr).toBe(0)
    expect(records(r.messages, 'public-orders')).toHaveLength(50)
  })
})

describe.concurrent('connection', () => {
  it('an unreachable host during sync: exit 1, one line, nothing on stdout', async () => {
    const r = await sync(configWith({ port: 1 }))
    expectCleanError(r, 1, /^error: cannot connect to .*:1\/\S+ as \S+: connection refused \(hint: .*\)$/)
    expect(r.stdout).toBe('')
  })
  it('an unknown database during sync: exit 1, one line, nothing on stdout', async () => {
    const r = await sync(configWith({ dbname: 'no_such_db_here' }))
    expectCleanError(
      r,
      1,
      /^error: cannot connect to .*\/no_such_db_here as \S+: database does not exist \(hint: check config dbname\)$/,
    )
    expect(r.stdout).toBe('')
  })
})

describe.concurrent('catalog: valid JSON, wrong shape', () => {
  const entry = (): Catalog => selectStreams(catalog, { orders: { method: 'FULL_TABLE' } })
  const mutate = (fn: (c: Catalog, md: Record<string, unknown>) => void): string => {
    const c = entry()
    const s = c.streams.find((x) => x.tap_stream_id === 'public-orders')!
    fn(c, s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata as Record<string, unknown>)
    return writeCatalog(c)
  }
  const cases: Array<[string, () => string, RegExp]> = [
    [
      'a JSON array',
      () => writeJsonFile('c.json', '[]'),
      /^error: invalid catalog .*: expected an object with a "streams" array/,
    ],
    [
      'null',
      () => writeJsonFile('c.json', 'null'),
      /^error: invalid catalog .*: expected an object with a "streams" array/,
    ],
    [
      'streams an object',
      () => writeJsonFile('c.json', { streams: {} }),
      /^error: invalid catalog .*: expected an object with a "streams" array/,
    ],
    [
      'a stream that is a number',
      () => writeJsonFile('c.json', { streams: [1] }),
      /^error: invalid catalog .*: streams\[0\] is not an object/,
    ],
    [
      'tap_stream_id a number',
      () => writeJsonFile('c.json', { streams: [{ tap_stream_id: 5 }] }),
      /^error: invalid catalog .*: streams\[0\] has no "tap_stream_id"/,
    ],
    [
      'metadata an object',
      () =>
        mutate((c) => {
          ;(c.streams[0] as unknown as Record<string, unknown>).metadata = {}
        }),
      /^error: invalid catalog .*: "metadata" must be an array/,
    ],
    [
      'schema a string',
      () =>
        mutate((c) => {
          ;(c.streams[0] as unknown as Record<string, unknown>).schema = 'x'
        }),
      /^error: invalid catalog .*: "schema" must be an object/,
    ],
    [
      'schema.properties a number',
      () =>
        mutate((c) => {
          c.streams[0].schema.properties = 7 as never
        }),
      /^error: invalid catalog .*: "schema.properties" must be an object/,
    ],
    [
      'selected a string',
      () =>
        mutate((_c, md) => {
          md.selected = 'yes'
        }),
      /^error: invalid catalog .*: "selected" must be true or false/,
    ],
    [
      'replication-method a number',
      () =>
        mutate((_c, md) => {
          md['replication-method'] = 5
        }),
      /^error: invalid catalog .*: "replication-method" must be a string/,
    ],
    [
      'replication-key a list',
      () =>
        mutate((_c, md) => {
          md['replication-method'] = 'INCREMENTAL'
          md['replication-key'] = ['id']
        }),
      /^error: invalid catalog .*: "replication-key" must be a string/,
    ],
    [
      'table-key-properties a string',
      () =>
        mutate((_c, md) => {
          md['table-key-properties'] = 'id'
        }),
      /^error: invalid catalog .*: "table-key-properties" must be a list of strings/,
    ],
    [
      'schema-name a number',
      () =>
        mutate((_c, md) => {
          md['schema-name'] = 5
        }),
      /^error: invalid catalog .*: "schema-name" must be a string/,
    ],
    [
      'a breadcrumb with a number',
      () =>
        mutate((c) => {
          c.streams[0].metadata[1].breadcrumb = ['properties', 5 as unknown as string]
        }),
      /^error: invalid catalog .*: metadata\[1\]\.breadcrumb must be a list of strings/,
    ],
    [
      'a column selected "no"',
      () =>
        mutate((c) => {
          ;(c.streams[0].metadata[1].metadata as Record<string, unknown>).selected = 'no'
        }),
      /^error: invalid catalog .*: "selected" must be true or false/,
    ],
    [
      "Meltano's top-level replication_method a number",
      () =>
        mutate((c) => {
          ;(c.streams[0] as unknown as Record<string, unknown>).replication_method = 1
        }),
      /^error: invalid catalog .*: "replication_method" must be a string/,
    ],
    [
      'a stream twice',
      () =>
        mutate((c) => {
          c.streams.push(JSON.parse(JSON.stringify(c.streams[0])))
        }),
      /^error: invalid catalog: stream public-orders appears twice/,
    ],
  ]
  const cli = new Set(['a JSON array', 'selected a string', 'a breadcrumb with a number', 'a stream twice'])
  for (const [name, make, message] of cases) {
    it(`${name}: exit 2`, async () => {
      await expectRefused({ catalog: make(), cli: cli.has(name) }, message)
    })
  }
})

describe.concurrent('state: valid JSON, wrong shape', () => {
  const state = (value: unknown): string =>
    writeJsonFile('s.json', typeof value === 'string' ? value : JSON.stringify(value))
  const bm = (b: Record<string, unknown>): string =>
    state({ bookmarks: { 'public-orders': { last_replication_method: 'FULL_TABLE', ...b } } })
  const cases: Array<[string, () => string, RegExp]> = [
    ['a JSON array', () => state('[]'), /^error: invalid state .*: expected a JSON object$/],
    ['a string', () => state('"x"'), /^error: invalid state .*: expected a JSON object$/],
    ['a number', () => state('42'), /^error: invalid state .*: expected a JSON object$/],
    ['null', () => state('null'), /^error: invalid state .*: expected a JSON object$/],
    [
      'currently_syncing a number',
      () => state({ currently_syncing: 5 }),
      /^error: invalid state .*: "currently_syncing" must be a string or null$/,
    ],
    [
      'a bookmark that is a list',
      () => state({ bookmarks: { 'public-orders': [] } }),
      /^error: invalid state .*: bookmarks\["public-orders"\] must be an object$/,
    ],
    [
      'version a string',
      () => bm({ version: 'abc' }),
      /^error: invalid state .*: bookmarks\["public-orders"\]: "version" must be an integer$/,
    ],
    [
      'a negative xmin',
      () => bm({ version: 1, xmin: -1 }),
      /^error: invalid state .*: bookmarks\["public-orders"\]: "xmin" must be a transaction id/,
    ],
    [
      'a huge xmin',
      () => bm({ version: 1, xmin: 1e20 }),
      /^error: invalid state .*: bookmarks\["public-orders"\]: "xmin" must be a transaction id/,
    ],
    [
      'lsn garbage',
      () => bm({ lsn: 'zz' }),
      /^error: invalid state .*: bookmarks\["public-orders"\]: "lsn" must be an integer LSN$/,
    ],
    [
      'a negative lsn',
      () => bm({ lsn: -5 }),
      /^error: invalid state .*: bookmarks\["public-orders"\]: "lsn" must be an integer LSN$/,
    ],
    [
      'last_replication_method a number',
      () => bm({ last_replication_method: 3 }),
      /^error: invalid state .*: "last_replication_method" must be a string$/,
    ],
    [
      'replication_key_value an object',
      () => bm({ replication_key: 'id', replication_key_value: { a: 1 } }),
      /^error: invalid state .*: "replication_key_value" must be a string, number or boolean$/,
    ],
  ]
  const cli = new Set(['a JSON array', 'version a string', 'replication_key_value an object'])
  for (const [name, make, message] of cases) {
    it(`${name}: exit 2`, async () => {
      await expectRefused({ state: make(), cli: cli.has(name) }, message)
    })
  }
})

describe.concurrent('state: a replication key value of the wrong type', () => {
  const incremental = (key: string): string =>
    writeCatalog(selectStreams(catalog, { orders: { method: 'INCREMENTAL', key } }))
  const state = (key: string, value: unknown): string =>
    writeJsonFile('s.json', {
      bookmarks: {
        'public-orders': {
          last_replication_method: 'INCREMENTAL',
          replication_key: key,
          replication_key_value: value,
        },
      },
    })
  const refused: Array<[string, unknown, RegExp]> = [
    [
      'id',
      '2024-01-01T00:00:00Z',
      /replication_key_value "2024-01-01T00:00:00Z" is not an integer \(replication key "id" is integer\)/,
    ],
    ['id', 1.5, /replication_key_value 1\.5 is not an integer/],
    ['id', true, /replication_key_value true is not an integer/],
    ['id', 3000000000, /replication_key_value 3000000000 is out of range for integer/],
    ['big', '99999999999999999999', /is out of range for bigint/],
    ['amount', 'twelve', /replication_key_value "twelve" is not a number/],
    [
      'updated_at',
      42,
      /replication_key_value 42 is not a date and time string \(replication key "updated_at" is timestamp with time zone\)/,
    ],
    ['updated_at', 'soon', /replication_key_value "soon" is not a date and time string/],
    ['day', false, /replication_key_value false is not a date string/],
    ['flag', 'maybe', /is not a boolean/],
  ]
  /** The orders columns as the live re-read sees them. */
  const COLUMNS: Record<string, ColumnInfo> = {
    id: { name: 'id', sqlType: 'integer', type: { kind: 'integer', bits: 32 }, position: 1 },
    big: { name: 'big', sqlType: 'bigint', type: { kind: 'integer', bits: 64 }, position: 2 },
    amount: {
      name: 'amount',
      sqlType: 'numeric(12,2)',
      type: { kind: 'numeric', precision: 12, scale: 2 },
      position: 3,
    },
    updated_at: {
      name: 'updated_at',
      sqlType: 'timestamp with time zone',
      type: { kind: 'timestamptz' },
      position: 4,
    },
    day: { name: 'day', sqlType: 'date', type: { kind: 'date' }, position: 5 },
    flag: { name: 'flag', sqlType: 'boolean', type: { kind: 'boolean' }, position: 6 },
    code: { name: 'code', sqlType: 'uuid', type: { kind: 'text' }, position: 7 },
  }
  const lineFor = (key: string, value: unknown): string | undefined => {
    try {
      checkReplicationKeyValue('public-orders', COLUMNS[key], rawJson(JSON.stringify(value)))
      return undefined
    } catch (e) {
      const t = e as TapError
      expect(t.exitCode).toBe(2)
      return `error: ${t.message} (hint: ${t.hint})`
    }
  }
  const cliRefused = new Set(['id 2024-01-01T00:00:00Z', 'updated_at 42', 'big 99999999999999999999'])
  for (const [key, value, message] of refused) {
    it(`${key} = ${JSON.stringify(value)}: exit 2 before anything is written`, async () => {
      const pattern = new RegExp(
        `^error: invalid state: bookmarks\\["public-orders"\\]: .*${message.source}.*\\(hint: .*\\)$`,
      )
      expect(lineFor(key, value)).toMatch(pattern)
      if (!cliRefused.has(`${key} ${String(value)}`)) return
      const r = await sync(config, incremental(key), state(key, value))
      expectCleanError(r, 2, pattern)
      expect(r.stdout).toBe('')
    })
  }

  const accepted: Array<[string, unknown, number]> = [
    ['id', 40, 11],
    ['id', '40', 11],
    ['big', 40000000000, 11],
    ['amount', 0.4, 11],
    ['updated_at', '2024-01-02T16:00:00.000000+00:00', 11],
    ['day', '2024-02-09', 12],
    ['flag', true, 25],
    ['code', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 0],
  ]
  const cliAccepted = new Set(['id', 'updated_at', 'day'])
  for (const [key, value, rows] of accepted) {
    it(`${key} = ${JSON.stringify(value)} (the shapes this tap and pipelinewise write): accepted`, async () => {
      expect(keyValueProblem(COLUMNS[key], rawJson(JSON.stringify(value)))).toBeUndefined()
      if (!cliAccepted.has(key) || (typeof value === 'string' && key === 'id')) return
      const r = await sync(config, incremental(key), state(key, value))
      expect(r.code, r.stderr).toBe(0)
      expect(records(r.messages, 'public-orders')).toHaveLength(rows)
    })
  }

  it('a value of the right type that the server still refuses (a malformed uuid): exit 1, one line', async () => {
    const r = await sync(config, incremental('code'), state('code', 'not-a-uuid'))
    expectCleanError(
      r,
      1,
      /^error: stream public-orders: reading public\.orders: invalid input syntax for type uuid: "not-a-uuid" \(SQLSTATE 22P02\)$/,
    )
  })
})
