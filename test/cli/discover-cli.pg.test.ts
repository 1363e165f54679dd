/** `discover` end to end through the built CLI (build first: npx tsc -p tsconfig.json). */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clusterInfo,
  countConnectionsInLog,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
  writeJsonFile,
} from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'

let db: string

beforeAll(async () => {
  db = await createTestDatabase('discover_cli')
  await withAdmin(db, (c) =>
    c.query(`
    CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(12,2), note text);
    CREATE TABLE "Zeta" (k int);
    CREATE VIEW order_ids AS SELECT id FROM orders;
  `),
  )
})

afterAll(async () => {
  await dropTestDatabase(db)
})

const STACK_LINE = /^\s+at /m
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

describe('discover', () => {
  it('writes the catalog with the Singer flag-first form, opening exactly one connection', async () => {
    const appName = uniqueAppName('disc')
    const config = writeConfig(db, { application_name: appName })
    const r = await runTap(['--config', config, '--discover'])
    expect(r.stderr).not.toMatch(/error/)
    expect(r.code).toBe(0)
    expect(countConnectionsInLog(appName)).toBe(1)

    // Pretty JSON, two spaces, one trailing newline, bigint bounds exact.
    expect(r.stdout.endsWith('}\n')).toBe(true)
    expect(r.stdout.startsWith('{\n  "streams": [\n    {\n      "table_name": ')).toBe(true)
    expect(r.stdout).toContain('"minimum": -9223372036854775808,')
    expect(r.stdout).toContain('"maximum": 9223372036854775807\n')
    const catalog = JSON.parse(r.stdout) as {
      streams: Array<{
        tap_stream_id: string
        metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>
      }>
    }
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual([
      'public-Zeta',
      'public-order_ids',
      'public-orders',
    ])
    const orders = catalog.streams[2]
    expect(orders.metadata[0]).toEqual({
      breadcrumb: [],
      metadata: {
        'table-key-properties': ['id'],
        'schema-name': 'public',
        'database-name': db,
        'row-count': 0,
        'is-view': false,
      },
    })
    expect(orders.metadata[2]).toEqual({
      breadcrumb: ['properties', 'amount'],
      metadata: { 'sql-datatype': 'numeric(12,2)', inclusion: 'available', 'selected-by-default': true },
    })

    expect(r.stderr).toMatch(/Discovered 3 streams in \d+\.\d{3} s/)
  })

  it('gives the same bytes with the subcommand form, and accepts --state', async () => {
    const config = writeConfig(db)
    const state = writeJsonFile('state.json', { bookmarks: {} })
    const a = await runTap(['discover', '--config', config, '--state', state])
    const b = await runTap(['--config', config, '--discover', '--state', state])
    expect([a.code, b.code]).toEqual([0, 0])
    expect(a.stdout.length).toBeGreaterThan(100)
    expect(b.stdout).toBe(a.stdout)
  })
})

describe('discover on bad connection settings', () => {
  async function expectOneLineError(
    extra: Record<string, unknown>,
    message: string | RegExp,
    secret?: string,
  ) {
    const config = writeConfig(db, extra)
    const r = await runTap(['--config', config, '--discover'], { timeoutMs: 60_000 })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(r.stderr).not.toMatch(STACK_LINE)
    if (secret) expect(r.stderr).not.toContain(secret)
  }

  it('reports a port nobody listens on', async () => {
    // Port 1 on loopback: refused at once.
    await expectOneLineError(
      { port: 1, password: 'S3cret-not-shown' },
      new RegExp(
        `^error: cannot connect to ${esc(clusterInfo().host)}:1/\\S+ as \\S+: connection refused \\(hint: check host and port, and that the server is running\\)$`,
      ),
      'S3cret-not-shown',
    )
  })

  it('reports a host that does not resolve', async () => {
    await expectOneLineError(
      { host: 'no-such-host.invalid' },
      /^error: cannot connect to no-such-host\.invalid:\d+\/\S+ as \S+: host not found \(hint: check config host\)$/,
    )
  })

  it('reports an unknown database', async () => {
    await expectOneLineError(
      { dbname: 'no_such_database_x' },
      new RegExp(
        `^error: cannot connect to ${esc(clusterInfo().host)}:\\d+/no_such_database_x as \\S+: database does not exist \\(hint: check config dbname\\)$`,
      ),
    )
  })

  // The harness cluster trusts every local login; a password is checked only for a role that
  // pg_hba.conf sends to scram-sha-256, so this test adds that one line for its own role.
  it.skipIf(!clusterInfo().dataDir)('reports a wrong password without printing it', async () => {
    const role = uniqueAppName('pwrole')
    const hba = join(clusterInfo().dataDir, 'pg_hba.conf')
    await withAdmin('postgres', (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'right-password'`))
    const before = readFileSync(hba, 'utf8')
    writeFileSync(hba, `host all ${role} 127.0.0.1/32 scram-sha-256\n` + before)
    await withAdmin('postgres', (c) => c.query('SELECT pg_reload_conf()'))
    try {
      await expectOneLineError(
        { user: role, password: 'Wrong-Password-42' },
        new RegExp(
          `^error: cannot connect to 127\\.0\\.0\\.1:\\d+/${db} as ${role}: password authentication failed \\(hint: check config user and password\\)$`,
        ),
        'Wrong-Password-42',
      )
    } finally {
      writeFileSync(
        hba,
        readFileSync(hba, 'utf8').replace(`host all ${role} 127.0.0.1/32 scram-sha-256\n`, ''),
      )
      await withAdmin('postgres', async (c) => {
        await c.query('SELECT pg_reload_conf()')
        await c.query(`DROP ROLE ${role}`)
      })
    }
  })
})
