/** `check` end to end through the built CLI (build first: npx tsc -p tsconfig.json). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clusterInfo,
  countConnectionsInLog,
  createTestDatabase,
  dropTestDatabase,
  uniqueAppName,
  withAdmin,
  writeConfig,
} from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'

let db: string
const suffix = Math.random().toString(36).slice(2, 8)
const plainRole = `check_plain_${suffix}`
const limitedRole = `check_limited_${suffix}`

beforeAll(async () => {
  db = await createTestDatabase('check')
  await withAdmin(db, (c) =>
    c.query(`
    CREATE TABLE public.orders (id int PRIMARY KEY);
    CREATE SCHEMA sales;
    CREATE TABLE sales.deals (id int);
    CREATE TABLE sales.hidden (id int);
    CREATE ROLE ${plainRole} LOGIN;
    GRANT SELECT ON public.orders TO ${plainRole};
    CREATE ROLE ${limitedRole} LOGIN CONNECTION LIMIT 2;
    GRANT USAGE ON SCHEMA sales TO ${limitedRole};
    GRANT SELECT (id) ON sales.deals TO ${limitedRole};
  `),
  )
})

afterAll(async () => {
  await dropTestDatabase(db)
  await withAdmin('postgres', (c) =>
    c.query(`DROP ROLE IF EXISTS ${plainRole}; DROP ROLE IF EXISTS ${limitedRole}`),
  )
})

async function check(extra: Record<string, unknown> = {}) {
  const r = await runTap(['check', '--config', writeConfig(db, extra)])
  return { ...r, lines: r.stdout.trimEnd().split('\n') }
}

async function withSlot<T>(name: string, plugin: string, fn: () => Promise<T>): Promise<T> {
  await withAdmin(db, (c) => c.query('SELECT pg_create_logical_replication_slot($1, $2)', [name, plugin]))
  try {
    return await fn()
  } finally {
    await withAdmin(db, (c) => c.query('SELECT pg_drop_replication_slot($1)', [name]))
  }
}

describe('check on the harness cluster (wal_level logical, wal2json)', () => {
  it('passes with a missing slot as a warning when LOG_BASED is not the default, on one connection', async () => {
    const appName = uniqueAppName('check')
    const r = await check({ application_name: appName })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const { host, port, user } = clusterInfo()
    expect(r.lines[0]).toBe(
      `ok    connection: ${host}:${port}/${db} as ${user} (application_name ${appName})`,
    )
    expect(r.lines[1]).toMatch(/^ok {4}server version: 15\.\d+/)
    expect(r.lines).toContain('ok    privileges: 3 tables and views readable in 2 schemas')
    expect(r.lines).toContain('ok    wal_level: logical')
    expect(r.lines).toContain(`ok    replication privilege: ${user} has superuser`)
    // No slot yet: the plugin checked is the one `slot create` makes.
    expect(r.lines).toContain('ok    pgoutput: usable (a temporary slot with it was created and dropped)')
    expect(r.lines).toContain(
      `warn  replication slot: pipelinewise_${db} does not exist; \`tap-postgres slot create\` creates pipelinewise_${db}`,
    )
    expect(r.lines.find((l) => l.includes('connections:'))).toMatch(
      /^ok {4}connections: \d+ free \(max_connections \d+, \d+ in use\); a run opens up to 5 \(max_workers 4 \+ 1 main\)$/,
    )
    expect(r.lines.every((l) => /^(ok {4}|warn {2}|FAIL {2})\S/.test(l))).toBe(true)
    expect(countConnectionsInLog(appName)).toBe(1)
    // The probe's temporary slot is gone.
    const left = await withAdmin('postgres', (c) =>
      c.query(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'tap_postgres_check_%'`),
    )
    expect(left.rows).toEqual([])
  })

  it('fails with LOG_BASED as the default and no slot, naming the slot and the command', async () => {
    const r = await check({ default_replication_method: 'LOG_BASED' })
    expect(r.code).toBe(1)
    expect(r.lines).toContain(
      `FAIL  replication slot: pipelinewise_${db} does not exist; \`tap-postgres slot create\` creates pipelinewise_${db}`,
    )
    expect(r.lines.filter((l) => l.startsWith('FAIL'))).toHaveLength(1)
  })

  it('names both default slots when tap_id is set, and the one with tap_id to create', async () => {
    const r = await check({ default_replication_method: 'LOG_BASED', tap_id: 'My-Tap' })
    expect(r.code).toBe(1)
    expect(r.lines).toContain(
      `FAIL  replication slot: none of pipelinewise_${db}, pipelinewise_${db}_my_tap exists; \`tap-postgres slot create\` creates pipelinewise_${db}_my_tap`,
    )
  })

  it('passes with LOG_BASED when the default slot exists with wal2json', async () => {
    await withSlot(`pipelinewise_${db}_my_tap`, 'wal2json', async () => {
      const r = await check({ default_replication_method: 'LOG_BASED', tap_id: 'My-Tap' })
      expect(r.lines.find((l) => l.includes('replication slot'))).toMatch(
        new RegExp(
          `^ok    replication slot: pipelinewise_${db}_my_tap \\(wal2json, holds \\d+(\\.\\d)? (bytes|kB|MB) of WAL\\)$`,
        ),
      )
      expect(r.code).toBe(0)
    })
  })

  it('checks pgoutput and reports the publication of a pgoutput slot (slot create makes both)', async () => {
    const cfg = writeConfig(db, {
      default_replication_method: 'LOG_BASED',
      replication_slot_name: `po_${suffix}`,
    })
    expect((await runTap(['slot', 'create', '--plugin', 'pgoutput', '--config', cfg])).code).toBe(0)
    try {
      await withAdmin(db, (c) => c.query(`ALTER PUBLICATION po_${suffix} ADD TABLE public.orders`))
      const r = await runTap(['check', '--config', cfg])
      const lines = r.stdout.trimEnd().split('\n')
      expect(lines).toContain('ok    pgoutput: usable (a temporary slot with it was created and dropped)')
      expect(lines).toContain(`ok    publication: po_${suffix} covers 1 table (public.orders)`)
      expect(lines.find((l) => l.includes('replication slot'))).toMatch(
        /^ok {4}replication slot: po_\w+ \(pgoutput, holds /,
      )
      expect(r.code).toBe(0)
      await withAdmin(db, (c) => c.query(`DROP PUBLICATION po_${suffix}`))
      const gone = await runTap(['check', '--config', cfg])
      expect(gone.code).toBe(1)
      expect(gone.stdout).toContain(`FAIL  publication: po_${suffix} does not exist`)
    } finally {
      await withAdmin(db, (c) => c.query('SELECT pg_drop_replication_slot($1)', [`po_${suffix}`]))
    }
  })

  it('fails with LOG_BASED when the configured slot uses another plugin', async () => {
    const slot = `custom_${suffix}`
    await withSlot(slot, 'test_decoding', async () => {
      const r = await check({ default_replication_method: 'LOG_BASED', replication_slot_name: slot })
      expect(r.code).toBe(1)
      expect(r.lines).toContain(
        `FAIL  replication slot: ${slot} uses the plugin test_decoding, not pgoutput or wal2json`,
      )
    })
  })
})

describe('check as less privileged roles', () => {
  it('warns about LOG_BASED prerequisites a plain role lacks, and passes', async () => {
    const r = await check({ user: plainRole })
    expect(r.code).toBe(0)
    expect(r.lines).toContain('ok    privileges: 1 table or view readable in 1 schema')
    expect(r.lines).toContain(
      `warn  schema sales: no USAGE privilege, its 2 tables and views are left out (GRANT USAGE ON SCHEMA ... TO ...)`,
    )
    expect(r.lines).toContain(
      `warn  replication privilege: ${plainRole} has neither REPLICATION nor superuser (LOG_BASED needs it: ALTER ROLE ... REPLICATION)`,
    )
    expect(r.lines).toContain('warn  pgoutput: not checked: the user lacks REPLICATION')
  })

  it('fails on a filtered schema the role cannot use', async () => {
    const r = await check({ user: plainRole, filter_schemas: 'sales' })
    expect(r.code).toBe(1)
    expect(r.lines).toContain(
      'FAIL  schema sales: no USAGE privilege, its 2 tables and views are left out (GRANT USAGE ON SCHEMA ... TO ...)',
    )
    expect(r.lines).toContain(
      'FAIL  privileges: no table or view is readable in filter_schemas: nothing to sync',
    )
  })

  it("fails when the role's connection limit is below what the pool needs", async () => {
    const r = await check({ user: limitedRole, filter_schemas: 'sales' })
    expect(r.code).toBe(1)
    expect(r.lines).toContain(
      'warn  schema sales: 1 table or view has no column the user may SELECT and is left out (1 of 2 readable)',
    )
    expect(r.lines).toContain(
      `FAIL  connections: 2 free (CONNECTION LIMIT 2 of role ${limitedRole}, 1 in use); a run opens up to 5 (max_workers 4 + 1 main): lower max_workers or raise the limit`,
    )
    const fits = await check({ user: limitedRole, filter_schemas: 'sales', max_workers: 1 })
    expect(fits.code).toBe(0)
  })
})

describe('check without a server', () => {
  it('reports the connection failure as its finding and exits 1', async () => {
    const r = await check({ port: 1, password: 'Hidden-Pw-99' })
    expect(r.code).toBe(1)
    const { host, user } = clusterInfo()
    expect(r.lines).toEqual([
      `FAIL  connection: cannot connect to ${host}:1/${db} as ${user}: connection refused (hint: check host and port, and that the server is running)`,
    ])
    expect(r.stdout + r.stderr).not.toContain('Hidden-Pw-99')
    expect(r.stderr).not.toMatch(/^\s+at /m)
  })
})
