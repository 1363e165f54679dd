/** Per-test helpers on the throwaway cluster started by global-setup.ts. */
import { readFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'

export function clusterInfo() {
  return inject('pg')
}

export function adminConfig(database = 'postgres'): pg.ClientConfig {
  const c = clusterInfo()
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database,
    application_name: 'tap-test-admin',
    types: { getTypeParser: () => (v: string) => v },
  }
}

export async function withAdmin<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(adminConfig(database))
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A fresh database for one test file (files run in parallel), with hstore and citext installed. */
export async function createTestDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase()
  await withAdmin('postgres', (c) => c.query(`CREATE DATABASE "${name}"`))
  await withAdmin(name, (c) =>
    c.query('CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS citext'),
  )
  return name
}

export async function dropTestDatabase(name: string): Promise<void> {
  await withAdmin('postgres', async (c) => {
    await c.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`,
      [name],
    )
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  })
}

/** A unique application_name, so a test can count its own connections in the server log. */
export function uniqueAppName(prefix = 'tap'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`
}

/** A config file for the tap pointing at `database`; returns its path. */
export function writeConfig(database: string, extra: Record<string, unknown> = {}): string {
  const c = clusterInfo()
  const dir = mkdtempSync(join(tmpdir(), 'tap-cfg-'))
  const path = join(dir, 'config.json')
  const cfg: Record<string, unknown> = {
    host: c.host,
    port: c.port,
    user: c.user,
    dbname: database,
    ...extra,
  }
  if (c.password) cfg.password = c.password
  writeFileSync(path, JSON.stringify(cfg))
  return path
}

export function writeJsonFile(name: string, value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'tap-json-'))
  const path = join(dir, name)
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value))
  return path
}

/** Number of connections (normal and replication) the server authorised for `applicationName`. */
export function countConnectionsInLog(applicationName: string): number {
  const { logPath } = clusterInfo()
  if (!logPath || !existsSync(logPath))
    throw new Error('connection counting needs the harness cluster (PG_TEST_URL servers have no log here)')
  const text = readFileSync(logPath, 'utf8')
  let n = 0
  for (const line of text.split('\n')) {
    if (line.includes('connection authorized') && line.includes(`application_name=${applicationName}`)) n++
  }
  return n
}

/** Current backends of `applicationName` (pg_stat_activity), counted from another connection. */
export async function countActiveConnections(applicationName: string): Promise<number> {
  return withAdmin('postgres', async (c) => {
    const r = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
      applicationName,
    ])
    return Number(r.rows[0].n)
  })
}
