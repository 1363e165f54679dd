/**
 * Vitest global setup: a throwaway PostgreSQL 15 cluster (initdb in a temporary directory, a free
 * port on 127.0.0.1, trust auth, wal_level=logical, log_connections=on) with wal2json and the contrib
 * extensions. As root the server runs as the `postgres` OS user. `PG_TEST_URL` skips all of this and
 * points the tests at an existing server instead. The cluster is removed after the run, also on failure.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCluster {
  host: string
  port: number
  user: string
  /** Server log with one `connection authorized` line per connection; empty with PG_TEST_URL. */
  logPath: string
  dataDir: string
  binDir: string
  /** Run a shell command as the server's OS user (for pg_ctl in fault tests). */
  osUser: string | null
  stop: () => void
}

const PG_MAJOR = process.env.PG_TEST_MAJOR ?? '15'

function findBinDir(): string {
  const candidates = [process.env.PG_BIN_DIR, `/usr/lib/postgresql/${PG_MAJOR}/bin`].filter(
    (x): x is string => !!x,
  )
  for (const c of candidates) if (existsSync(join(c, 'initdb'))) return c
  throw new Error(
    `PostgreSQL ${PG_MAJOR} server binaries not found (looked in ${candidates.join(', ')}); install postgresql-${PG_MAJOR}`,
  )
}

function pkgLibDir(binDir: string): string {
  return execFileSync(join(binDir, 'pg_config'), ['--pkglibdir'], { encoding: 'utf8' }).trim()
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

/** wal2json and contrib (hstore, citext) are needed; install them with apt-get when we can. */
function ensureExtensions(binDir: string): void {
  const lib = (() => {
    try {
      return pkgLibDir(binDir)
    } catch {
      return `/usr/lib/postgresql/${PG_MAJOR}/lib`
    }
  })()
  const missing = ['wal2json.so', 'hstore.so', 'citext.so'].filter((f) => !existsSync(join(lib, f)))
  if (missing.length === 0) return
  if (!isRoot())
    throw new Error(
      `missing ${missing.join(', ')} in ${lib}: install postgresql-${PG_MAJOR}-wal2json and postgresql-contrib (needs root)`,
    )
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env })
  const r = spawnSync(
    'apt-get',
    ['install', '-y', '-qq', `postgresql-${PG_MAJOR}-wal2json`, 'postgresql-contrib'],
    { stdio: 'ignore', env },
  )
  const still = ['wal2json.so', 'hstore.so', 'citext.so'].filter((f) => !existsSync(join(lib, f)))
  if (r.status !== 0 || still.length > 0)
    throw new Error(
      `could not install postgresql-${PG_MAJOR}-wal2json/postgresql-contrib with apt-get (missing ${still.join(', ')})`,
    )
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** Runs a server binary, as the server's OS user when there is one (root runs the server as `postgres`). */
export function asServerUser(osUser: string | null, cmd: string, args: string[]): void {
  const [c, a] = osUser ? ['runuser', ['-u', osUser, '--', cmd, ...args]] : [cmd, args]
  const r = spawnSync(c, a, { encoding: 'utf8' })
  if (r.status !== 0)
    throw new Error(`${cmd} failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`)
}

export interface ClusterOptions {
  /** Keep the cluster in this directory across runs (the benchmark caches its data sets there). */
  persistentDir?: string
  /** Extra postgresql.conf lines. */
  settings?: string[]
}

export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const binDir = findBinDir()
  ensureExtensions(binDir)
  const osUser = isRoot() ? 'postgres' : null
  const base = opts.persistentDir ?? mkdtempSync(join(tmpdir(), 'tap-pg-'))
  const dataDir = join(base, 'data')
  const logPath = join(base, 'server.log')
  const reuse = opts.persistentDir !== undefined && existsSync(join(dataDir, 'PG_VERSION'))
  if (opts.persistentDir !== undefined) mkdirSync(base, { recursive: true })
  if (osUser) {
    const uid = Number(execFileSync('id', ['-u', osUser], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', osUser], { encoding: 'utf8' }).trim())
    chownSync(base, uid, gid)
    chmodSync(base, 0o755)
  }
  if (!reuse)
    asServerUser(osUser, join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ])
  const port = await freePort()
  const conf = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${base}'`,
    'wal_level = logical',
    'max_replication_slots = 20',
    'max_wal_senders = 20',
    'max_connections = 200',
    'log_connections = on',
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'shared_buffers = 128MB',
    `lc_monetary = 'C'`,
    ...(opts.settings ?? []),
  ].join('\n')
  // Some PostgreSQL builds only load output plugins named in output_plugin_libraries; that
  // parameter is absent elsewhere, so it is only set where the server knows it.
  const knowsPluginList = spawnSync(join(binDir, 'postgres'), ['--describe-config'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  }).stdout?.includes('output_plugin_libraries')
  const pluginLine = knowsPluginList ? `\noutput_plugin_libraries = 'pgoutput, test_decoding, wal2json'` : ''
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), conf + pluginLine + '\n')
  if (osUser) execFileSync('chown', [osUser, join(dataDir, 'postgresql.auto.conf')])
  asServerUser(osUser, join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', logPath, '-w', '-t', '60', 'start'])
  const stop = () => {
    try {
      asServerUser(osUser, join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'])
    } catch {
      /* already stopped */
    }
    if (opts.persistentDir === undefined) rmSync(base, { recursive: true, force: true })
  }
  return { host: '127.0.0.1', port, user: 'postgres', logPath, dataDir, binDir, osUser, stop }
}
