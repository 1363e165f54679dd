/**
 * `tap-postgres plan` end to end through the built CLI: a 3-shard plan run as three tap processes
 * side by side gives exactly the RECORDs of one unsharded run, no stream in two shards, and each
 * shard resumes from its own STATE; the plan refuses a fleet the server cannot carry; LOG_BASED
 * shards each stream through their own slot.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Catalog } from '../../src/singer/catalog-types.js'
import { parseLsn } from '../../src/pg/lsn.js'
import {
  countConnectionsInLog,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { runTap, type SingerMessage, type TapResult } from '../harness/run-tap.js'
import { LOG_BASED_PLUGINS, slotCreateArgs } from '../replication/plugins.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  records,
  selectStreams,
  writeCatalog,
} from '../sync/catalog-helpers.js'

let db: string

async function sql(text: string): Promise<void> {
  await withAdmin(db, (c) => c.query(text))
}

beforeAll(async () => {
  db = await createTestDatabase('shards')
})
afterAll(async () => {
  await dropTestDatabase(db)
})

const outDir = (): string => mkdtempSync(join(tmpdir(), 'tap-shards-'))

function sync(
  config: string,
  catalog: string,
  state?: unknown,
  env?: Record<string, string>,
): Promise<TapResult> {
  const args = ['sync', '--config', config, '--catalog', catalog]
  if (state !== undefined) args.push('--state', writeJsonFile('state.json', state))
  return runTap(args, { timeoutMs: 120_000, env })
}

/** Every RECORD as `stream <tab> record JSON`, sorted: a multiset to compare runs by. */
function recordSet(messages: SingerMessage[]): string[] {
  return messages
    .filter((m) => m.type === 'RECORD')
    .map((m) => `${m.stream}\t${JSON.stringify(m.record)}`)
    .sort()
}

function streamsIn(messages: SingerMessage[]): Set<string> {
  return new Set(
    messages.filter((m) => m.type === 'RECORD' || m.type === 'SCHEMA').map((m) => m.stream as string),
  )
}

function readShardCatalog(dir: string, i: number): Catalog {
  return JSON.parse(readFileSync(join(dir, `shard-${i}.catalog.json`), 'utf8')) as Catalog
}

const SELECTED = ['big', 'mid1', 'mid2', 'small1', 'small2', 'small3', 'events', 'v_small']

describe("plan --shards 3: three processes, one unsharded run's records, each with its own STATE", () => {
  let config: string
  let catalog: string
  let inputCatalog: Catalog
  let dir: string
  let plan: TapResult
  let planApp: string
  const shardStates: Array<ReturnType<typeof lastState>> = []
  const shardStreams: Array<Set<string>> = []

  beforeAll(async () => {
    const table = (name: string, rows: number, pad: number) => `
      CREATE TABLE ${name} (id int PRIMARY KEY, payload text);
      INSERT INTO ${name} SELECT g, repeat(md5(g::text), ${pad}) FROM generate_series(1, ${rows}) g;`
    await sql(`
      ${table('big', 30000, 4)} ${table('mid1', 12000, 4)} ${table('mid2', 10000, 4)}
      ${table('small1', 3000, 2)} ${table('small2', 2000, 2)} ${table('small3', 500, 2)} ${table('ignored', 100, 1)}
      CREATE TABLE events (id int, part int, payload text, PRIMARY KEY (id, part)) PARTITION BY LIST (part);
      CREATE TABLE events_a PARTITION OF events FOR VALUES IN (1);
      CREATE TABLE events_b PARTITION OF events FOR VALUES IN (2);
      INSERT INTO events SELECT g, 1 + g % 2, repeat(md5(g::text), 3) FROM generate_series(1, 8000) g;
      CREATE VIEW v_small AS SELECT id, payload FROM small3;
      ANALYZE;
    `)
    config = writeConfig(db, { max_workers: 2, application_name: uniqueAppName('shard') })
    const discovered = await discoverCatalog(config)
    inputCatalog = selectStreams(
      discovered,
      Object.fromEntries(SELECTED.map((t) => [t, { method: 'INCREMENTAL', key: 'id' }])),
    )
    catalog = writeCatalog(inputCatalog)
    dir = outDir()
    planApp = uniqueAppName('plan')
    plan = await runTap([
      'plan',
      '--config',
      writeConfig(db, { max_workers: 2, application_name: planApp }),
      '--catalog',
      catalog,
      '--shards',
      '3',
      '--out',
      dir,
    ])
  })

  it('writes one catalog per shard: every selected stream in exactly one, entries as given, unselected streams left out', () => {
    expect(plan.code, plan.stderr).toBe(0)
    expect(readdirSync(dir).sort()).toEqual([
      'shard-1.catalog.json',
      'shard-2.catalog.json',
      'shard-3.catalog.json',
    ])
    const placed: string[] = []
    for (let i = 1; i <= 3; i++) {
      const c = readShardCatalog(dir, i)
      expect(c.streams.length).toBeGreaterThan(0)
      for (const entry of c.streams) {
        expect(entry).toEqual(inputCatalog.streams.find((e) => e.tap_stream_id === entry.tap_stream_id))
        placed.push(entry.tap_stream_id)
      }
      shardStreams.push(new Set(c.streams.map((e) => e.tap_stream_id)))
    }
    expect(placed.sort()).toEqual(SELECTED.map((t) => `public-${t}`).sort())
  })

  it('prints the plan: sizes summed over partitions, views unsized, the fleet budget, Meltano selects', () => {
    const out = plan.stdout
    expect(out).toContain(`Plan: 8 selected streams of ${catalog} in 3 shards`)
    expect(out).toMatch(/streams? not selected in the catalog (is|are) left out/)
    // The largest table alone in the first shard.
    expect(readShardCatalog(dir, 1).streams.map((e) => e.tap_stream_id)).toEqual(['public-big'])
    const eventsRows = Number(/public-events +INCREMENTAL +~([\d,]+) rows/.exec(out)?.[1].replace(/,/g, ''))
    expect(eventsRows).toBeGreaterThan(7000)
    expect(eventsRows).toBeLessThan(9000)
    expect(out).toMatch(/public-v_small +INCREMENTAL +size unknown \(a view\)/)
    expect(out).toContain('Connections: the fleet opens at most 3 × (max_workers 2 + 2) = 12 at once')
    expect(out).toMatch(
      /Server: \d+ connections free \(max_connections 200, \d+ in use\); the fleet needs up to 9 of them\./,
    )
    expect(out).toContain('  shard 1: public-big.*')
    expect(out).not.toContain('LOG_BASED:')
    expect(plan.stderr).toBe('')
    // One short-lived connection for the sizes and the budget.
    expect(countConnectionsInLog(planApp)).toBe(1)
  })

  it("three shard processes side by side: the union of their RECORDs is one unsharded run's, no stream in two shards", async () => {
    const whole = await sync(config, catalog)
    expectSuccess(whole)
    const runs = await Promise.all([1, 2, 3].map((i) => sync(config, join(dir, `shard-${i}.catalog.json`))))
    const union: string[] = []
    runs.forEach((r, k) => {
      expectSuccess(r)
      // A shard emits its own streams and nothing else.
      expect([...streamsIn(r.messages)].sort()).toEqual([...shardStreams[k]].sort())
      union.push(...recordSet(r.messages))
      const state = lastState(r.messages)
      expect(Object.keys(state.bookmarks).sort()).toEqual([...shardStreams[k]].sort())
      shardStates.push(state)
    })
    expect(union.sort()).toEqual(recordSet(whole.messages))
    expect(union.length).toBe(30000 + 12000 + 10000 + 3000 + 2000 + 500 + 8000 + 500)
  })

  it("each shard resumes from its own STATE: only its streams' new rows", async () => {
    for (const t of ['big', 'mid1', 'mid2', 'small1', 'small2', 'small3'])
      await sql(`INSERT INTO ${t} SELECT g, 'new' FROM generate_series(100001, 100010) g`)
    await sql(`INSERT INTO events SELECT g, 1 + g % 2, 'new' FROM generate_series(100001, 100010) g`)
    const runs = await Promise.all(
      [1, 2, 3].map((i) => sync(config, join(dir, `shard-${i}.catalog.json`), shardStates[i - 1])),
    )
    runs.forEach((r, k) => {
      expectSuccess(r)
      for (const stream of shardStreams[k]) {
        const ids = records(r.messages, stream).map((x) => Number(x.id))
        const before = Number(shardStates[k].bookmarks[stream].replication_key_value)
        // INCREMENTAL reads from the bookmark on (>=): the last row again, then the new ones.
        expect(Math.min(...ids), stream).toBe(before)
        expect(
          ids.filter((id) => id > 100000),
          stream,
        ).toHaveLength(10)
        expect(ids.length, stream).toBe(11)
      }
      expect([...streamsIn(r.messages)].sort()).toEqual([...shardStreams[k]].sort())
    })
  })

  it('a re-plan with fewer shards removes the catalogs of shards that no longer exist', async () => {
    const r = await runTap(['plan', '--config', config, '--catalog', catalog, '--shards', '2', '--out', dir])
    expect(r.code, r.stderr).toBe(0)
    expect(readdirSync(dir).sort()).toEqual(['shard-1.catalog.json', 'shard-2.catalog.json'])
    expect(r.stdout).toContain('Removed shard-3.catalog.json (left by an earlier plan with more shards).')
  })

  it("refuses a fleet the server's free connections cannot carry: one line, exit 2, nothing written", async () => {
    const big = writeConfig(db, { max_workers: 64 })
    const empty = outDir()
    const r = await runTap(['plan', '--config', big, '--catalog', catalog, '--shards', '5', '--out', empty])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      /^error: plan refused: 5 shards need up to 325 connections for table reads and main connections \(5 × \(max_workers 64 \+ 1\)\), the server has \d+ free \(max_connections 200, \d+ in use\) \(hint: use fewer --shards or a lower max_workers, or raise the server's limit\)\n$/,
    )
    expect(readdirSync(empty)).toEqual([])
  })

  it('refuses more shards than selected streams before connecting', async () => {
    const r = await runTap([
      'plan',
      '--config',
      writeConfig(db, { port: 1 }),
      '--catalog',
      catalog,
      '--shards',
      '9',
      '--out',
      join(outDir(), 'x'),
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'error: --shards 9: the catalog selects only 8 streams, and every shard needs at least one (hint: use --shards 8 or fewer)\n',
    )
    const zero = await runTap([
      'plan',
      '--config',
      config,
      '--catalog',
      catalog,
      '--shards',
      '0',
      '--out',
      outDir(),
    ])
    expect(zero.code).toBe(2)
    // (Under vitest, NODE_ENV=test, oclif adds a development warning after the line.)
    expect(zero.stderr.split('\n')[0]).toBe(
      'error: Parsing --shards: Expected an integer greater than or equal to 1 but received: 0 (hint: see --help)',
    )
  })

  it('is listed by --help', async () => {
    const r = await runTap(['--help'])
    expect(r.stdout).toMatch(/^ {2}plan +Split the selected streams of a catalog into N shard catalogs/m)
  })
})

describe.each(LOG_BASED_PLUGINS)(
  'plan: LOG_BASED streams in two shards, each through its own slot (%s)',
  (plugin) => {
    let config: string
    let dir: string
    let plan: TapResult
    // A tap_id per plugin: its own slots (the default names carry it) and tables, on one database.
    const slots = (): string[] => [1, 2].map((i) => `pipelinewise_${db}_${plugin}_shard_${i}`)
    const states: Array<ReturnType<typeof lastState>> = []

    async function slotPositions(): Promise<bigint[]> {
      const rows = await withAdmin(
        db,
        async (c) =>
          (
            await c.query(
              `SELECT slot_name, confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = ANY ($1) ORDER BY 1`,
              [slots()],
            )
          ).rows as Array<{ lsn: string }>,
      )
      expect(rows).toHaveLength(2)
      return rows.map((r) => parseLsn(r.lsn))
    }

    beforeAll(async () => {
      await sql(`
      CREATE TABLE lb_orders_${plugin} (id int PRIMARY KEY, v text); INSERT INTO lb_orders_${plugin} SELECT g, 'o' || g FROM generate_series(1, 400) g;
      CREATE TABLE lb_users_${plugin} (id int PRIMARY KEY, v text); INSERT INTO lb_users_${plugin} SELECT g, 'u' || g FROM generate_series(1, 300) g;
      ANALYZE;
    `)
      config = writeConfig(db, { max_workers: 1, tap_id: plugin })
      const cat = writeCatalog(
        selectStreams(await discoverCatalog(config), {
          [`lb_orders_${plugin}`]: { method: 'LOG_BASED' },
          [`lb_users_${plugin}`]: { method: 'LOG_BASED' },
        }),
      )
      dir = outDir()
      plan = await runTap(['plan', '--config', config, '--catalog', cat, '--shards', '2', '--out', dir])
    })

    it('the plan says each shard needs its own slot, and names them', () => {
      expect(plan.code, plan.stderr).toBe(0)
      expect(plan.stdout).toContain(
        'LOG_BASED: shards 1, 2 stream changes; each needs its own replication slot',
      )
      for (const [i, slot] of slots().entries()) {
        expect(plan.stdout).toContain(
          `  shard ${i + 1}: replication_slot_name ${slot}  (TAP_POSTGRES_REPLICATION_SLOT_NAME=${slot} tap-postgres slot create --config <config>)`,
        )
      }
      expect(plan.stdout).toMatch(/and 2 of \d+ free wal senders \(max_wal_senders 20\)/)
    })

    it("two shards, two slots, side by side; each resumes from its own STATE and gets its table's changes", async () => {
      for (const slot of slots()) {
        const r = await runTap(slotCreateArgs(config, plugin), {
          env: { TAP_POSTGRES_REPLICATION_SLOT_NAME: slot },
        })
        expect(r.code, r.stderr).toBe(0)
      }
      const shardCatalog = (i: number) => join(dir, `shard-${i}.catalog.json`)
      const env = (i: number) => ({ TAP_POSTGRES_REPLICATION_SLOT_NAME: slots()[i - 1] })
      const first = await Promise.all([1, 2].map((i) => sync(config, shardCatalog(i), undefined, env(i))))
      const loaded = first.map((r) => {
        expectSuccess(r)
        states.push(lastState(r.messages))
        return [...streamsIn(r.messages)]
      })
      expect(loaded.flat().sort()).toEqual([`public-lb_orders_${plugin}`, `public-lb_users_${plugin}`])
      expect(records(first.flat().flatMap((r) => r.messages))).toHaveLength(700)

      await sql(
        `INSERT INTO lb_orders_${plugin} VALUES (1001, 'new order'); UPDATE lb_users_${plugin} SET v = 'changed' WHERE id = 7; CHECKPOINT;`,
      )
      const second = await Promise.all(
        [1, 2].map((i) => sync(config, shardCatalog(i), states[i - 1], env(i))),
      )
      for (const [k, r] of second.entries()) {
        expectSuccess(r)
        const stream = loaded[k][0]
        const got = records(r.messages)
        expect(got, stream).toEqual([
          stream === `public-lb_orders_${plugin}`
            ? { id: 1001, v: 'new order', _sdc_deleted_at: null }
            : { id: 7, v: 'changed', _sdc_deleted_at: null },
        ])
        expect(Object.keys(lastState(r.messages).bookmarks)).toEqual([stream])
      }
      // Each shard told its own slot the position of its own input STATE (the tap confirms what the
      // target committed, i.e. the STATE it was given), and nothing of the other shard's.
      const positions = await slotPositions()
      for (const [i, p] of positions.entries()) {
        const [stream] = Object.keys(states[i].bookmarks)
        expect(p, slots()[i]).toBe(BigInt(states[i].bookmarks[stream].lsn as number))
      }
    })
  },
)
