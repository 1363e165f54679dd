/**
 * A small fuzz of --config, --catalog and --state: valid inputs mutated at random (a node replaced
 * by an odd value, a key dropped or added, a node wrapped in a list, the whole document replaced).
 * Every outcome must be a clean run or a clean error:
 * - in process, for many documents: parsing and planning return, or throw a TapError of exit
 *   code 2 with a one-line message (never a TypeError or RangeError);
 * - through the built CLI against the real server, for a few dozen: exit 0 with only Singer
 *   messages on stdout, or exit 1/2 with exactly one `error:` line, no stack trace, and no RECORD
 *   after bad input (exit 2).
 * The seed is fixed (TAP_FUZZ_SEED overrides it), so a failure replays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildConfig } from '../../src/config/load-config.js'
import { parseCatalog, parseState } from '../../src/singer/read-inputs.js'
import { planStreams, reconcileState, selectStreams as selectCatalogStreams } from '../../src/sync/plan.js'
import { TapError } from '../../src/errors.js'
import type { Catalog } from '../../src/singer/catalog-types.js'
import type { TableInfo } from '../../src/values/pg-type.js'
import type { StateValue } from '../../src/singer/state.js'
import { clusterInfo, createTestDatabase, dropTestDatabase, withAdmin, writeJsonFile } from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import { discoverCatalog, selectStreams } from '../sync/catalog-helpers.js'
import { seededRandom, STACK_LINE } from './helpers.js'

const SEED = Number(process.env.TAP_FUZZ_SEED ?? 7031)
type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const ODD_VALUES: Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 2,
  99999999999999999999,
  '',
  ' ',
  'x',
  '-1',
  '1e400',
  'true',
  'FULL_TABLE',
  'INCREMENTAL',
  'LOG_BASED',
  'public',
  'id',
  '\u0000\u2028é😀"\\',
  'x'.repeat(5000),
  [],
  {},
  [null],
  ['id'],
  { a: 1 },
  { breadcrumb: [], metadata: {} },
]

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}

/** Every path to a node of `doc` (the root is []). */
function paths(doc: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  const out = [at]
  if (Array.isArray(doc)) doc.forEach((x, i) => out.push(...paths(x, [...at, i])))
  else if (doc !== null && typeof doc === 'object')
    for (const [k, x] of Object.entries(doc)) out.push(...paths(x, [...at, k]))
  return out
}

function mutate(doc: Json, random: () => number): Json {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]
  const odd = (): Json => clone(pick(ODD_VALUES))
  let out = clone(doc)
  const n = 1 + Math.floor(random() * 3)
  for (let i = 0; i < n; i++) {
    const all = paths(out)
    const path = pick(all)
    const op = random()
    if (path.length === 0) {
      if (op < 0.15) out = odd()
      continue
    }
    const parentPath = path.slice(0, -1)
    let parent = out as Json
    for (const p of parentPath) parent = (parent as Record<string | number, Json>)[p]
    const key = path[path.length - 1]
    const container = parent as Record<string | number, Json>
    if (op < 0.55) container[key] = odd()
    else if (op < 0.7) {
      if (Array.isArray(container)) container.splice(key as number, 1)
      else delete container[key]
    } else if (op < 0.8) container[key] = [container[key]]
    else if (op < 0.9) {
      if (!Array.isArray(container))
        container[
          pick([
            'selected',
            'replication-method',
            'replication-key',
            'xmin',
            'lsn',
            'version',
            'replication_key_value',
            'bookmarks',
            'streams',
            'metadata',
            'port',
            'max_workers',
            'itersize',
            'use_secondary',
            'sslmode',
            'filter_schemas',
          ])
        ] = odd()
    } else if (Array.isArray(container)) container.push(clone(container[key as number]))
  }
  return out
}

let db: string
let config: Record<string, Json>
let catalog: Catalog
let state: Json
let live: TableInfo[]

beforeAll(async () => {
  db = await createTestDatabase('fuzz')
  await withAdmin(db, (c) =>
    c.query(`
    CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamptz, note text);
    INSERT INTO orders SELECT g, '2024-01-01'::timestamptz + g * interval '1 minute', 'n' || g FROM generate_series(1, 200) g;
    CREATE TABLE users (id bigint PRIMARY KEY, name text);
    INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 50) g;
    CREATE VIEW recent AS SELECT id, note FROM orders WHERE id > 150;
  `),
  )
  const c = clusterInfo()
  config = { host: c.host, port: c.port, user: c.user, dbname: db, max_workers: 2, itersize: 100 }
  if (c.password) config.password = c.password
  catalog = selectStreams(await discoverCatalog(writeJsonFile('config.json', config)), {
    orders: { method: 'INCREMENTAL', key: 'updated_at' },
    users: { method: 'FULL_TABLE' },
    recent: { method: 'FULL_TABLE' },
  })
  state = {
    currently_syncing: 'public-users',
    bookmarks: {
      'public-orders': {
        last_replication_method: 'INCREMENTAL',
        replication_key: 'updated_at',
        replication_key_value: '2024-01-01T02:00:00+00:00',
        version: 1700000000000,
      },
      'public-users': { last_replication_method: 'FULL_TABLE', version: 1700000000001, xmin: 1 },
    },
  }
  // The live tables as the sync's re-read would see them, for planning in process.
  live = catalog.streams.map(
    (s) =>
      ({
        schemaName: 'public',
        tableName: s.table_name,
        relkind: s.table_name === 'recent' ? 'v' : 'r',
        rowCount: 100,
        primaryKey: ['id'],
        columns: Object.keys(s.schema.properties ?? {}).map((name, i) => ({
          name,
          position: i + 1,
          sqlType: name === 'updated_at' ? 'timestamp with time zone' : name === 'id' ? 'integer' : 'text',
          type:
            name === 'updated_at'
              ? { kind: 'timestamptz' }
              : name === 'id'
                ? { kind: 'integer', bits: 32 }
                : { kind: 'text' },
        })),
      }) as TableInfo,
  )
})

afterAll(async () => {
  await dropTestDatabase(db)
})

/** What sync does with its inputs before it reads a row: clean (undefined) or a clean TapError. */
function inProcess(cfg: Json, cat: Json, st: Json): TapError | undefined {
  try {
    // readConfigFile's first check, then the settings.
    if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg))
      return new TapError('CONFIG_INVALID', 'config: must be a JSON object', { exitCode: 2 })
    const { config: c } = buildConfig([cfg])
    const parsed = parseCatalog(cat)
    const s = parseState(fromJson(st))
    const plan = planStreams(selectCatalogStreams(parsed, c), live)
    reconcileState(s, plan.streams)
    return undefined
  } catch (e) {
    if (e instanceof TapError) return e
    throw new Error(
      `not a clean error: ${(e as Error).stack}\nconfig ${JSON.stringify(cfg).slice(0, 300)}\ncatalog ${JSON.stringify(cat).slice(0, 300)}\nstate ${JSON.stringify(st).slice(0, 300)}`,
    )
  }
}

/** State documents reach parseState as read-inputs.ts makes them (numbers exact). */
function fromJson(v: Json): StateValue {
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return BigInt(Math.trunc(v))
  if (Array.isArray(v)) return v.map(fromJson)
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]))
  return v
}

describe('fuzz', () => {
  it('in process: 3,000 mutated config/catalog/state triples, each a clean outcome', () => {
    const random = seededRandom(SEED)
    const outcomes = { clean: 0, refused: 0 }
    for (let i = 0; i < 3000; i++) {
      const which = Math.floor(random() * 3)
      const cfg = which === 0 ? mutate(config, random) : config
      const cat = which === 1 ? mutate(catalog as unknown as Json, random) : (catalog as unknown as Json)
      const st = which === 2 ? mutate(state, random) : state
      const e = inProcess(cfg, cat, st)
      if (e === undefined) {
        outcomes.clean++
        continue
      }
      outcomes.refused++
      expect(e.exitCode, e.message).toBe(2)
      expect(e.message).not.toMatch(/[\r\n]/)
      expect(e.message).not.toMatch(/undefined|\[object Object\]|NaN/)
    }
    // Both kinds of outcome happen, so the mutations reach past the first check.
    expect(outcomes.clean).toBeGreaterThan(100)
    expect(outcomes.refused).toBeGreaterThan(500)
  })

  it('through the CLI: 30 mutated runs against the server, each a clean run or a clean error', async () => {
    const random = seededRandom(SEED + 1)
    const cases = Array.from({ length: 30 }, (_, i) => {
      const which = i % 3
      return {
        config: which === 0 ? mutate(config, random) : config,
        catalog: which === 1 ? mutate(catalog as unknown as Json, random) : (catalog as unknown as Json),
        state: which === 2 ? mutate(state, random) : state,
      }
    })
    const problems: string[] = []
    const check = (i: number, r: TapResult): void => {
      const where = `case ${i} (${JSON.stringify(cases[i]).slice(0, 400)}): exit ${r.code} ${r.signal ?? ''}; stderr ${r.stderr.slice(-600)}`
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
      const stdoutLines = r.stdout.split('\n').filter((l) => l !== '')
      if (r.code === 0) {
        if (errors.length > 0) problems.push(`error line on success: ${where}`)
        if (r.messages.length !== stdoutLines.length) problems.push(`stdout not all JSON: ${where}`)
      } else if (r.code === 1 || r.code === 2) {
        if (errors.length !== 1) problems.push(`${errors.length} error lines: ${where}`)
        if (r.code === 2 && r.stdout.includes('"type":"RECORD"'))
          problems.push(`RECORD after bad input: ${where}`)
      } else {
        problems.push(`unexpected end: ${where}`)
      }
      if (STACK_LINE.test(r.stderr)) problems.push(`stack trace: ${where}`)
    }
    // Three at a time: each run is mostly process start-up.
    for (let i = 0; i < cases.length; i += 3) {
      const batch = cases
        .slice(i, i + 3)
        .map((c, j) =>
          runTap(
            [
              'sync',
              '--config',
              writeJsonFile('config.json', c.config),
              '--catalog',
              writeJsonFile('catalog.json', c.catalog),
              '--state',
              writeJsonFile('state.json', c.state),
            ],
            { timeoutMs: 60_000 },
          ).then((r) => check(i + j, r)),
        )
      await Promise.all(batch)
    }
    expect(problems).toEqual([])
  }, 300_000)
})
