/**
 * `meltano config tap-postgres test` on the repository's meltano.yml project: Meltano runs the sync
 * invocation with stderr on the stdout pipe, and sends SIGTERM as soon as it reads the first RECORD
 * (plugin_test_service.py). The tap must stop promptly and cleanly: records already read, a final
 * STATE, every connection closed, exit 143, no error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clusterInfo,
  countActiveConnections,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
} from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import {
  configTest,
  discoverAndApplyRules,
  parseSdkLogLine,
  prepareRun,
  readMeltanoYml,
  singerMessages,
  type MeltanoExtractor,
} from './meltano.js'
import { expectSuccess } from '../sync/catalog-helpers.js'

const ROWS = 200_000
let db: string
let extractor: MeltanoExtractor
let connection: Record<string, unknown>

beforeAll(async () => {
  db = await createTestDatabase('meltano_cfgtest')
  // Big enough that no stream can finish between the first RECORD and the SIGTERM.
  await withAdmin(db, (c) =>
    c.query(`
    CREATE TABLE orders (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, amount numeric(12,2), secret text);
    INSERT INTO orders SELECT g, '2024-01-01'::timestamptz + g * interval '1 second', g, 's' FROM generate_series(1, ${ROWS}) g;
    CREATE INDEX ON orders (updated_at);
    CREATE TABLE customers (id int PRIMARY KEY, name text, secret text);
    INSERT INTO customers SELECT g, 'customer ' || g, 'p' FROM generate_series(1, ${ROWS}) g;
    CREATE TABLE events (id bigint PRIMARY KEY, kind text, secret text);
    INSERT INTO events SELECT g, 'created', 'x' FROM generate_series(1, ${ROWS}) g;
    ANALYZE;
  `),
  )
  const c = clusterInfo()
  connection = {
    host: c.host,
    port: c.port,
    user: c.user,
    dbname: db,
    ...(c.password ? { password: c.password } : {}),
  }
  extractor = readMeltanoYml()
  const slot = await runTap(['slot', 'create'], {
    env: {
      ...prepareRun(extractor, { config: { ...extractor.config, ...connection }, structured: false }).env,
      LOG_LEVEL: undefined,
    },
  })
  expect(slot.code, slot.stderr).toBe(0)
})

afterAll(async () => {
  await dropTestDatabase(db)
})

async function noConnectionsLeft(appName: string): Promise<number> {
  // A backend leaves pg_stat_activity a moment after its client has gone.
  for (let i = 0; i < 40; i++) {
    const n = await countActiveConnections(appName)
    if (n === 0) return 0
    await new Promise((r) => setTimeout(r, 50))
  }
  return countActiveConnections(appName)
}

describe('meltano config tap-postgres test', () => {
  for (const structured of [false, true]) {
    it(`SIGTERM right after the first RECORD (${structured ? 'structured' : 'plain'} logs): prompt exit 143, a final STATE, no error, no connection left`, async () => {
      const appName = uniqueAppName('cfgtest')
      const run = prepareRun(extractor, {
        config: { ...extractor.config, ...connection, application_name: appName },
        structured,
      })
      // No state: Meltano's test runs outside a pipeline, so it deletes state.json before invoking.
      expectSuccess(await discoverAndApplyRules(extractor, run, { state: false }))
      const t = await configTest(run)
      expect(t.recordReceived).toBe(true)
      expect(t.signal).toBeNull()
      expect(t.code).toBe(143)
      expect(t.exitMs).toBeLessThan(5_000)

      const messages = singerMessages(t.lines)
      // The last STATE written is the one to resume from (a STATE repeating it is not written again,
      // so records read after it may follow it).
      const states = messages.filter((m) => m.type === 'STATE')
      expect(
        Object.keys((states[states.length - 1].value as { bookmarks: object }).bookmarks).sort(),
      ).toEqual(['public-customers', 'public-events', 'public-orders'])
      const recordCount = messages.filter((m) => m.type === 'RECORD').length
      expect(recordCount).toBeGreaterThan(0)
      expect(recordCount).toBeLessThan(3 * ROWS)
      // One pipe for both streams: every line is still whole (a Singer message or a log line).
      const logs = t.lines.filter((l) => l !== '' && !l.startsWith('{"type":'))
      expect(t.lines.filter((l) => l.startsWith('{"type":')).length).toBe(messages.length)
      if (!structured) expect(logs.filter((l) => !l.startsWith('time='))).toEqual([])
      if (structured) {
        const recs = logs.map(parseSdkLogLine)
        expect(recs.every((r) => r !== undefined)).toBe(true)
        expect(recs.filter((r) => (r?.level ?? 0) >= 40)).toEqual([])
        expect(recs.some((r) => r?.message.startsWith('SIGTERM received'))).toBe(true)
      } else {
        expect(logs.filter((l) => /level=error|^error:/.test(l))).toEqual([])
        expect(logs.some((l) => l.includes('message=SIGTERM received'))).toBe(true)
      }
      expect(logs.join('\n')).not.toMatch(/^\s+at /m)
      expect(await noConnectionsLeft(appName)).toBe(0)
      console.log(
        `config test (${structured ? 'structured' : 'plain'}): exit ${t.code} ${t.exitMs.toFixed(0)} ms after SIGTERM, ${recordCount} records`,
      )
    })
  }
})
