/**
 * A streaming replica (hot standby) of a test cluster: pg_basebackup -R into a temporary directory,
 * started on a free port as the cluster's OS user, polled until its WAL receiver is streaming.
 * Replay can be paused and resumed (pg_wal_replay_pause/resume) to make the replica lag on purpose.
 * `stop()` stops it and removes its directory. Needs the server binaries (not PG_TEST_URL).
 */
import { execFileSync } from 'node:child_process'
import { appendFileSync, chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { parseLsn } from '../../src/pg/lsn.js'
import { asServerUser, freePort, type TestCluster } from './pg-cluster.js'

export type StandbyPrimary = Pick<TestCluster, 'host' | 'port' | 'user' | 'binDir' | 'osUser'>

export interface Standby {
  host: string
  port: number
  user: string
  /** pg_last_wal_replay_lsn() on the standby. */
  replayedLsn(): Promise<bigint>
  /** Waits until the standby has replayed everything the primary had written when called. */
  catchUp(): Promise<void>
  /** pg_wal_replay_pause(): nothing after the current position is replayed until resume(). */
  pauseReplay(): Promise<void>
  resumeReplay(): Promise<void>
  /** The last statement of each session of `applicationName` on the standby (pg_stat_activity.query). */
  sessionQueries(applicationName: string): Promise<string[]>
  stop(): void
}

/** Generous bounds: the machine running the tests may be slow and busy. */
const STREAMING_TIMEOUT_MS = 120_000
const POLL_MS = 200

async function query<T extends Record<string, string | null>>(
  server: { host: string; port: number; user: string },
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    database: 'postgres',
    application_name: 'tap-test-admin',
    types: { getTypeParser: () => (v: string) => v },
  })
  client.on('error', () => undefined)
  await client.connect()
  try {
    return (await client.query<T>(text, values)).rows
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function poll(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STREAMING_TIMEOUT_MS
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // not accepting connections yet
    }
    if (Date.now() > deadline)
      throw new Error(`standby: ${what} not reached within ${STREAMING_TIMEOUT_MS / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

export async function startStandby(primary: StandbyPrimary): Promise<Standby> {
  if (primary.binDir === '')
    throw new Error('a standby needs the local server binaries (the harness cluster, not PG_TEST_URL)')
  const base = mkdtempSync(join(tmpdir(), 'tap-standby-'))
  const dataDir = join(base, 'data')
  const logPath = join(base, 'server.log')
  if (primary.osUser) {
    const uid = Number(execFileSync('id', ['-u', primary.osUser], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', primary.osUser], { encoding: 'utf8' }).trim())
    chownSync(base, uid, gid)
    chmodSync(base, 0o755)
  }
  const pgCtl = join(primary.binDir, 'pg_ctl')
  let started = false
  const stop = () => {
    if (started) {
      try {
        asServerUser(primary.osUser, pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop'])
      } catch {
        /* already stopped */
      }
    }
    rmSync(base, { recursive: true, force: true })
  }
  try {
    // -R: standby.signal and primary_conninfo; WAL streamed alongside, so the copy is consistent.
    asServerUser(primary.osUser, join(primary.binDir, 'pg_basebackup'), [
      '-h',
      primary.host,
      '-p',
      String(primary.port),
      '-U',
      primary.user,
      '-D',
      dataDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ])
    const port = await freePort()
    // The copy carries the primary's port and socket directory: later lines win.
    appendFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      `\nport = ${port}\nunix_socket_directories = '${base}'\nhot_standby = on\n`,
    )
    asServerUser(primary.osUser, pgCtl, ['-D', dataDir, '-l', logPath, '-w', '-t', '120', 'start'])
    started = true
    const server = { host: '127.0.0.1', port, user: primary.user }
    await poll(
      'WAL receiver streaming',
      async () =>
        (await query<{ status: string }>(server, 'SELECT status FROM pg_stat_wal_receiver'))[0]?.status ===
        'streaming',
    )
    const replayedLsn = async () =>
      parseLsn((await query<{ lsn: string }>(server, 'SELECT pg_last_wal_replay_lsn()::text AS lsn'))[0].lsn)
    const standby: Standby = {
      ...server,
      replayedLsn,
      async catchUp() {
        const [row] = await query<{ lsn: string }>(primary, 'SELECT pg_current_wal_lsn()::text AS lsn')
        const target = parseLsn(row.lsn)
        await poll(`replay of ${row.lsn}`, async () => (await replayedLsn()) >= target)
      },
      async pauseReplay() {
        await query(server, 'SELECT pg_wal_replay_pause()')
      },
      async resumeReplay() {
        await query(server, 'SELECT pg_wal_replay_resume()')
      },
      async sessionQueries(applicationName) {
        return (
          await query<{ query: string }>(
            server,
            'SELECT query FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          )
        ).map((r) => r.query)
      },
      stop,
    }
    await standby.catchUp()
    return standby
  } catch (e) {
    stop()
    throw e
  }
}
