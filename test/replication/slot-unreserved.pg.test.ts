/**
 * A slot whose WAL is `unreserved` (PostgreSQL 13+: beyond max_slot_wal_keep_size, removed at the
 * next checkpoint): `slot status` and `check` warn with the WAL it retains; once a checkpoint has
 * removed that WAL the slot is `lost`, which stays an error. On a private cluster with a small
 * max_slot_wal_keep_size and no automatic checkpoint, so the other test files' slots are not at risk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTap } from '../harness/run-tap.js'
import { configFor, startOwnCluster, withClusterAdmin, type OwnCluster } from '../reliability/helpers.js'

let cluster: OwnCluster
let config: string
const db = 'unreserved'
const slot = 'pipelinewise_unreserved'

beforeAll(async () => {
  cluster = await startOwnCluster({
    settings: [
      'max_slot_wal_keep_size = 16MB',
      'wal_keep_size = 0',
      'max_wal_size = 1GB',
      'checkpoint_timeout = 1d',
    ],
  })
  await withClusterAdmin(cluster, 'postgres', (c) => c.query(`CREATE DATABASE ${db}`))
  await withClusterAdmin(cluster, db, (c) => c.query('CREATE TABLE w (id int PRIMARY KEY)'))
  config = configFor(cluster, db, { default_replication_method: 'LOG_BASED' })
})

afterAll(() => {
  cluster?.stop()
})

async function walStatus(): Promise<string> {
  return withClusterAdmin(
    cluster,
    db,
    async (c) =>
      (await c.query('SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0]
        .wal_status as string,
  )
}

describe('an unreserved slot', () => {
  it('a fresh slot is reserved: no warning', async () => {
    expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
    const r = await runTap(['slot', 'status', '--config', config])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^wal_status: reserved$/m)
    expect(r.stdout).toMatch(/^safe_wal_size: \d+ \(/m)
    expect(r.stderr).not.toContain('unreserved')
  })

  it('slot status and check warn with the WAL it retains, and do not fail', async () => {
    // Segment switches with some WAL in each: the slot's restart_lsn falls more than
    // max_slot_wal_keep_size behind, and without a checkpoint nothing is removed yet.
    for (let i = 1; i <= 4; i++)
      await withClusterAdmin(cluster, db, (c) =>
        c.query(`INSERT INTO w VALUES (${i}); SELECT pg_switch_wal()`),
      )
    expect(await walStatus()).toBe('unreserved')

    const r = await runTap(['slot', 'status', '--config', config])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^wal_status: unreserved$/m)
    const retained = BigInt(/^retained_bytes: (\d+) /m.exec(r.stdout)?.[1] ?? '0')
    expect(retained).toBeGreaterThan(3n * 16n * 1024n * 1024n)
    const warning = r.stderr.split('\n').filter((l) => l.includes('level=warn'))
    expect(warning).toHaveLength(1)
    expect(warning[0]).toMatch(
      new RegExp(
        `replication slot "${slot}" is unreserved: it retains \\d+ MB of WAL \\(pg_current_wal_lsn\\(\\) - restart_lsn: \\d+ bytes\\), ` +
          'more than max_slot_wal_keep_size allows \\(safe_wal_size -?\\d+ bytes\\), and the next checkpoint may remove WAL it needs, which loses the slot; ' +
          'run a LOG_BASED sync now so it catches up, or raise max_slot_wal_keep_size',
      ),
    )

    const json = await runTap(['slot', 'status', '--json', '--config', config])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ slot_name: slot, wal_status: 'unreserved' })
    expect(json.stderr).toContain('is unreserved')

    const check = await runTap(['check', '--config', config])
    expect(check.code, check.stdout).toBe(0)
    const lines = check.stdout.split('\n').filter((l) => l.includes('replication slot:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(
        `^warn  replication slot: ${slot} is unreserved: it retains \\d+ MB of WAL \\(pg_current_wal_lsn\\(\\) - restart_lsn: \\d+ bytes\\)`,
      ),
    )
  })

  it('after a checkpoint the slot is lost: slot status and check say so, as errors', async () => {
    await withClusterAdmin(cluster, db, (c) => c.query('CHECKPOINT'))
    expect(await walStatus()).toBe('lost')
    const r = await runTap(['slot', 'status', '--config', config])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(
      new RegExp(`^error: replication slot "${slot}" is lost: the server removed WAL it still needed`, 'm'),
    )
    const check = await runTap(['check', '--config', config])
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(new RegExp(`^FAIL  replication slot: ${slot} has lost WAL it needed`, 'm'))
  })
})
