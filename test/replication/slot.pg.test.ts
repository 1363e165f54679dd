import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { adminConfig, createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'

let db: string
let config: string

beforeAll(async () => {
  db = await createTestDatabase('slotcmd')
  config = writeConfig(db, { tap_id: 'Sales-EU' })
})
afterAll(async () => {
  await dropTestDatabase(db)
})

describe('tap-postgres slot create|status|drop', () => {
  it('status of a missing slot is a clear error naming the command that creates it', async () => {
    const r = await runTap(['slot', 'status', '--config', config])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(
      `replication slot "pipelinewise_${db}" or "pipelinewise_${db}_sales_eu" does not exist`,
    )
    expect(r.stderr).toContain('tap-postgres slot create')
    expect(r.stderr).not.toContain('    at ')
  })

  it('creates a pgoutput slot (the default) named after dbname and tap_id, and keeps it on a second create', async () => {
    const r = await runTap(['slot', 'create', '--config', config])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`slot_name: pipelinewise_${db}_sales_eu`)
    expect(r.stdout).toContain('plugin: pgoutput')
    expect(r.stdout).toContain(`publication: pipelinewise_${db}_sales_eu\n`)
    const again = await runTap(['slot', 'create', '--config', config])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('already exists')
    const rows = await withAdmin(db, (c) =>
      c.query(`SELECT plugin, database FROM pg_replication_slots WHERE slot_name = $1`, [
        `pipelinewise_${db}_sales_eu`,
      ]),
    )
    expect(rows.rows).toEqual([{ plugin: 'pgoutput', database: db }])
  })

  it('status shows active, confirmed_flush_lsn, restart_lsn, wal_status and the lag in bytes', async () => {
    await withAdmin(db, (c) =>
      c.query(
        "CREATE TABLE IF NOT EXISTS lag (x text); INSERT INTO lag SELECT repeat('x', 1000) FROM generate_series(1, 100)",
      ),
    )
    const r = await runTap(['slot', 'status', '--config', config])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^active: false$/m)
    expect(r.stdout).toMatch(/^confirmed_flush_lsn: [0-9A-F]+\/[0-9A-F]+$/m)
    expect(r.stdout).toMatch(/^restart_lsn: [0-9A-F]+\/[0-9A-F]+$/m)
    expect(r.stdout).toMatch(/^wal_status: reserved$/m)
    const lag = /^lag_bytes: (\d+) \(/m.exec(r.stdout)
    expect(Number(lag?.[1])).toBeGreaterThan(100_000)

    const j = await runTap(['slot', 'status', '--json', '--config', config])
    const s = JSON.parse(j.stdout) as Record<string, unknown>
    expect(s).toMatchObject({
      slot_name: `pipelinewise_${db}_sales_eu`,
      plugin: 'pgoutput',
      active: false,
      wal_status: 'reserved',
    })
    expect(typeof s.lag_bytes).toBe('number')
    const server = await withAdmin(db, (c) =>
      c.query(`SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1`, [
        s.slot_name,
      ]),
    )
    expect(s.confirmed_flush_lsn).toBe(server.rows[0].c)
  })

  it('refuses a slot of another plugin', async () => {
    await withAdmin(db, (c) =>
      c.query(`SELECT pg_create_logical_replication_slot('other_plugin_slot', 'test_decoding')`),
    )
    const cfg = writeConfig(db, { replication_slot_name: 'other_plugin_slot' })
    const r = await runTap(['slot', 'status', '--config', cfg])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('uses the test_decoding plugin, not pgoutput or wal2json')
    await withAdmin(db, (c) => c.query(`SELECT pg_drop_replication_slot('other_plugin_slot')`))
  })

  it('drops the slot; a second drop says it does not exist', async () => {
    const r = await runTap(['slot', 'drop', '--config', config])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`dropped: pipelinewise_${db}_sales_eu\n`)
    const again = await runTap(['slot', 'drop', '--config', config])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('does not exist')
  })

  it('refuses to drop a slot in use', async () => {
    const cfg = writeConfig(db, { replication_slot_name: 'busy_slot' })
    expect((await runTap(['slot', 'create', '--plugin', 'wal2json', '--config', cfg])).code).toBe(0)
    // A walsender streaming from the slot makes it active.
    const walsender = new pg.Client({ ...adminConfig(db), replication: 'database' } as pg.ClientConfig)
    await walsender.connect()
    walsender.on('error', () => undefined)
    const streaming = walsender
      .query(`START_REPLICATION SLOT busy_slot LOGICAL 0/0 ("format-version" '2')`)
      .catch(() => undefined)
    try {
      await expect
        .poll(
          async () =>
            (
              await withAdmin(db, (c) =>
                c.query(`SELECT active FROM pg_replication_slots WHERE slot_name = 'busy_slot'`),
              )
            ).rows[0].active,
        )
        .toBe('t')
      const r = await runTap(['slot', 'drop', '--config', cfg])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/replication slot "busy_slot" is in use by process \d+/)
    } finally {
      await walsender.end().catch(() => undefined)
      await streaming
    }
    await expect.poll(async () => (await runTap(['slot', 'drop', '--config', cfg])).code).toBe(0)
  })
})
