/**
 * Helpers of the fault and bad-input suite: a private cluster for the tests that restart a server
 * or change its configuration (the shared one serves the other test files in parallel), configs
 * and admin connections for it, "what a target committed", a seeded random generator, polling.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { expect } from 'vitest'
import { startCluster, type ClusterOptions, type TestCluster } from '../harness/pg-cluster.js'
import type { SingerMessage, TapResult } from '../harness/run-tap.js'

export type OwnCluster = TestCluster

/** A private PostgreSQL 15 cluster (2-3 s to start); stop it in afterAll. */
export function startOwnCluster(opts: ClusterOptions = {}): Promise<OwnCluster> {
  return startCluster(opts)
}

/** pg_ctl as the server's OS user; throws with its stderr on failure. */
export function pgCtl(cluster: OwnCluster, args: string[]): void {
  const cmd = join(cluster.binDir, 'pg_ctl')
  const full = ['-D', cluster.dataDir, '-l', cluster.logPath, ...args]
  const [c, a] = cluster.osUser ? ['runuser', ['-u', cluster.osUser, '--', cmd, ...full]] : [cmd, full]
  const r = spawnSync(c, a, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`)
}

function adminOf(
  cluster: Pick<OwnCluster, 'host' | 'port' | 'user'>,
  database = 'postgres',
): pg.ClientConfig {
  return {
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    database,
    application_name: 'tap-test-admin',
    types: { getTypeParser: () => (v: string) => v },
  }
}

export async function withClusterAdmin<T>(
  cluster: Pick<OwnCluster, 'host' | 'port' | 'user'>,
  database: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(adminOf(cluster, database))
  client.on('error', () => undefined)
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A config file for `cluster`; returns its path. */
export function configFor(
  cluster: Pick<OwnCluster, 'host' | 'port' | 'user'>,
  dbname: string,
  extra: Record<string, unknown> = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'tap-rel-cfg-'))
  const path = join(dir, 'config.json')
  writeFileSync(
    path,
    JSON.stringify({ host: cluster.host, port: cluster.port, user: cluster.user, dbname, ...extra }),
  )
  return path
}

export type StateValue = {
  currently_syncing: string | null
  bookmarks: Record<string, Record<string, unknown>>
}

/** What a target would have committed: the records up to the last STATE, and that STATE. */
export function committed(
  messages: readonly SingerMessage[],
  stream: string,
  key = 'id',
): { keys: number[]; state: StateValue | undefined } {
  let last = -1
  messages.forEach((m, i) => {
    if (m.type === 'STATE') last = i
  })
  const keys = messages
    .slice(0, last + 1)
    .filter((m) => m.type === 'RECORD' && m.stream === stream)
    .map((m) => (m.record as Record<string, unknown>)[key] as number)
  return { keys, state: last >= 0 ? (messages[last].value as StateValue) : undefined }
}

/** The keys 1..n that `seen` lacks (the first few). */
export function missingKeys(seen: Iterable<number>, n: number): number[] {
  const set = new Set(seen)
  const missing: number[] = []
  for (let i = 1; i <= n && missing.length < 10; i++) if (!set.has(i)) missing.push(i)
  return missing
}

/** A clean failure: exit `code`, exactly one `error:` line matching `message`, no stack trace, no RECORD. */
export function expectCleanError(
  r: TapResult,
  code: number,
  message: RegExp,
  opts: { records?: boolean } = {},
): string {
  if (r.code !== code)
    throw new Error(
      `expected exit ${code}, got ${r.code} (signal ${r.signal}); stderr: ${r.stderr.slice(-2000)}`,
    )
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
  expect(errors, r.stderr).toHaveLength(1)
  expect(errors[0]).toMatch(message)
  expect(r.stderr).not.toMatch(STACK_LINE)
  if (!opts.records) expect(r.stdout).not.toContain('"type":"RECORD"')
  return errors[0]
}

/** A line of a JavaScript stack trace. */
export const STACK_LINE = /^\s+at .+(\(|:\d+)/m

/** mulberry32: a small seeded generator, so a failing sequence can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Polls `fn` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    if (await fn()) return
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Backends of `applicationName` still on the server, normal and walsender. */
async function backendsOf(
  cluster: Pick<OwnCluster, 'host' | 'port' | 'user'>,
  applicationName: string,
): Promise<number> {
  return withClusterAdmin(cluster, 'postgres', async (c) => {
    const r = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
      applicationName,
    ])
    return Number(r.rows[0].n)
  })
}

/** The server may take a moment to notice a killed client's sockets: wait until none is left. */
export async function expectNoBackendsLeft(
  cluster: Pick<OwnCluster, 'host' | 'port' | 'user'>,
  applicationName: string,
  timeoutMs = 5000,
): Promise<void> {
  await waitFor(
    `no connection of ${applicationName}`,
    async () => (await backendsOf(cluster, applicationName)) === 0,
    timeoutMs,
  )
}
