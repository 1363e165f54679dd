/**
 * SIGTERM, SIGINT and SIGKILL at random moments, 20 runs in a row, each restarted from the last
 * STATE the previous one wrote (what a target would have committed): every run ends cleanly
 * (130/143 after a signal, 0 when it finished first), leaves no connection and no active
 * replication session behind, and the union of the committed records covers every key of a
 * FULL_TABLE, an INCREMENTAL and a LOG_BASED stream that keep growing between runs.
 *
 * The moments come from a fixed seed (TAP_FAULT_SEED overrides it): a failure is replayed by
 * running the file again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { clusterInfo } from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import { discoverCatalog, selectStreams, writeCatalog } from '../sync/catalog-helpers.js'
import {
  committed,
  expectNoBackendsLeft,
  missingKeys,
  seededRandom,
  STACK_LINE,
  waitFor,
  type StateValue,
} from './helpers.js'

const SEED = Number(process.env.TAP_FAULT_SEED ?? 20261125)
const RUNS = 20
const STREAMS = { ft: 'public-ft', inc: 'public-inc', lb: 'public-lb' } as const
const SLOT = 'sig_loop'

let db: string
let config: string
let catalog: string
let app: string
/** Rows in each table so far (keys 1..n). */
const rows = { ft: 3000, inc: 3000, lb: 1000 }

async function sql(text: string): Promise<void> {
  await withAdmin(db, (c) => c.query(text))
}

beforeAll(async () => {
  db = await createTestDatabase('sigloop')
  // Many transactions, so FULL_TABLE resumes part-way (each transaction is one xmin).
  await sql(
    'CREATE TABLE ft (id int PRIMARY KEY, v text); CREATE TABLE inc (id int PRIMARY KEY, v text); CREATE TABLE lb (id int PRIMARY KEY, v text)',
  )
  for (let t = 0; t < 30; t++)
    await sql(
      `INSERT INTO ft SELECT g, md5(g::text) FROM generate_series(${t * 100 + 1}, ${(t + 1) * 100}) g`,
    )
  await sql(
    `INSERT INTO inc SELECT g, md5(g::text) FROM generate_series(1, ${rows.inc}) g; INSERT INTO lb SELECT g, md5(g::text) FROM generate_series(1, ${rows.lb}) g`,
  )
  app = uniqueAppName('sigloop')
  config = writeConfig(db, {
    itersize: 100,
    max_workers: 2,
    application_name: app,
    replication_slot_name: SLOT,
    poll_interval: 0.2,
  })
  expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
  catalog = writeCatalog(
    selectStreams(await discoverCatalog(config), {
      ft: { method: 'FULL_TABLE' },
      inc: { method: 'INCREMENTAL', key: 'id' },
      lb: { method: 'LOG_BASED' },
    }),
  )
})

afterAll(async () => {
  await dropTestDatabase(db)
})

/** New keys in every table between runs; a synchronous commit, so wal2json sees it at once. */
async function grow(n: number): Promise<void> {
  const range = (from: number) => `generate_series(${from + 1}, ${from + n}) g`
  await sql(`BEGIN; SET LOCAL synchronous_commit = on;
    INSERT INTO ft SELECT g, md5(g::text) FROM ${range(rows.ft)};
    INSERT INTO inc SELECT g, md5(g::text) FROM ${range(rows.inc)};
    INSERT INTO lb SELECT g, md5(g::text) FROM ${range(rows.lb)};
    COMMIT`)
  rows.ft += n
  rows.inc += n
  rows.lb += n
}

async function slotActive(): Promise<boolean> {
  return withAdmin('postgres', async (c) => {
    const r = await c.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [SLOT])
    return r.rows[0]?.active === 't' || r.rows[0]?.active === true
  })
}

const EXIT = { SIGTERM: 143, SIGINT: 130 } as const

describe.skipIf(!clusterInfo().dataDir && !process.env.PG_TEST_URL)('signals at random moments', () => {
  it(`${RUNS} runs killed by SIGTERM/SIGINT/SIGKILL (seed ${SEED}), each resumed from the last STATE: every key, no connection left`, async () => {
    const random = seededRandom(SEED)
    const seen = { ft: new Set<number>(), inc: new Set<number>(), lb: new Set<number>() }
    let state: StateValue | undefined
    const log: string[] = []

    const run = async (kill?: { signal: NodeJS.Signals; afterLines: number }): Promise<TapResult> => {
      const args = ['sync', '--config', config, '--catalog', catalog]
      if (state !== undefined) args.push('--state', writeJsonFile('state.json', state))
      let lines = 0
      let sent = false
      const r = await runTap(args, {
        timeoutMs: 60_000,
        onLine: (_line, child) => {
          if (kill && !sent && ++lines >= kill.afterLines) {
            sent = true
            child.kill(kill.signal)
          }
        },
      })
      for (const key of Object.keys(seen) as Array<keyof typeof seen>) {
        const c = committed(r.messages, STREAMS[key])
        for (const k of c.keys) seen[key].add(k)
      }
      const last = committed(r.messages, STREAMS.ft).state
      if (last !== undefined) state = last
      log.push(
        `${kill ? `${kill.signal} after ${kill.afterLines} lines` : 'to the end'}: exit ${r.code ?? r.signal}, ${r.messages.length} messages`,
      )
      // Nothing left behind, whatever the signal.
      await expectNoBackendsLeft({ ...clusterInfo() }, app, 10_000)
      await waitFor('the replication slot to be released', async () => !(await slotActive()), 10_000)
      return r
    }

    for (let i = 0; i < RUNS; i++) {
      const pick = random()
      const signal: NodeJS.Signals = pick < 0.4 ? 'SIGTERM' : pick < 0.7 ? 'SIGINT' : 'SIGKILL'
      const afterLines = 1 + Math.floor(random() * 4500)
      const r = await run({ signal, afterLines })
      const context = `run ${i + 1} (${log.at(-1)}); stderr: ${r.stderr.slice(-1500)}`
      if (signal === 'SIGKILL') {
        // Killed, unless it had finished before the signal arrived.
        expect(r.signal === 'SIGKILL' || r.code === 0, context).toBe(true)
      } else {
        // 130/143 after a clean stop; 0 when it had finished; the default action (no code) only if
        // the signal came after the handlers were removed at the very end.
        expect(
          r.code === EXIT[signal] || r.code === 0 || (r.code === null && r.signal === signal),
          context,
        ).toBe(true)
        expect(r.stderr, context).not.toMatch(/^error:/m)
        expect(r.stderr, context).not.toMatch(STACK_LINE)
        if (r.code === EXIT[signal]) expect(r.messages.at(-1)?.type, context).toBe('STATE')
      }
      await grow(50 + Math.floor(random() * 100))
    }

    if (process.env.TAP_FAULT_LOG) console.log(log.join('\n'))
    const final = await run()
    expect(final.code, `${log.join('\n')}\n${final.stderr.slice(-2000)}`).toBe(0)
    for (const key of Object.keys(seen) as Array<keyof typeof seen>) {
      expect(missingKeys(seen[key], rows[key]), `${key}: ${log.join('\n')}`).toEqual([])
    }
  }, 240_000)
})
