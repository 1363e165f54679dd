/** The bench's server: PG_BENCH_URL, the bench cluster when it is already up, or one started here; and what its log says. */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startCluster, type TestCluster } from '../../test/harness/pg-cluster.js'
import { REPO } from './paths.js'

export interface Server {
  host: string
  port: number
  user: string
  password?: string
  logPath: string
  stop: () => void
}

export async function server(): Promise<Server> {
  const url = process.env.PG_BENCH_URL
  if (url) {
    const u = new URL(url)
    return {
      host: u.hostname,
      port: Number(u.port || 5432),
      user: decodeURIComponent(u.username),
      password: u.password ? decodeURIComponent(u.password) : undefined,
      logPath: process.env.PG_BENCH_LOG ?? '',
      stop: () => undefined,
    }
  }
  const dir = join(REPO, '.tmp', 'bench-cluster')
  const running = runningCluster(dir)
  if (running) return running
  const c: TestCluster = await startCluster({
    persistentDir: dir,
    settings: ['shared_buffers = 512MB', 'max_wal_size = 4GB'],
  })
  return { ...c }
}

/** The bench cluster when it is already up (another bench run, or started by hand): used, not stopped. */
function runningCluster(dir: string): Server | undefined {
  try {
    // postmaster.pid: pid, data directory, start time, port, socket directory, listen address, ...
    const lines = readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')
    process.kill(Number(lines[0]), 0)
    process.stderr.write(`using the bench cluster already running on port ${lines[3]}\n`)
    return {
      host: '127.0.0.1',
      port: Number(lines[3]),
      user: 'postgres',
      logPath: join(dir, 'server.log'),
      stop: () => undefined,
    }
  } catch {
    return undefined
  }
}

export const DB = 'bench'

/** The `tables` case's database: thousands of tables would slow every other case's discovery. */
export const BENCH_TABLES_DB = 'bench_tables'

export function psqlArgs(s: Server, db = DB): string[] {
  return ['-h', s.host, '-p', String(s.port), '-U', s.user, '-d', db]
}

export function logSize(s: Server): number {
  try {
    return s.logPath ? statSync(s.logPath).size : 0
  } catch {
    return 0
  }
}

/** Sessions opened by `appName`, from the server log written since byte `from`. */
export function countConnections(s: Server, appName: string, from: number): number | undefined {
  if (!s.logPath) return undefined
  const fd = openSync(s.logPath, 'r')
  try {
    const size = fstatSync(fd).size
    const buf = Buffer.alloc(Math.max(0, size - from))
    readSync(fd, buf, 0, buf.length, from)
    return buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.includes('connection authorized') && l.includes(`application_name=${appName}`)).length
  } finally {
    closeSync(fd)
  }
}
