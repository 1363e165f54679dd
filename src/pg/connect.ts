import { readFileSync } from 'node:fs'
import net from 'node:net'
import pg from 'pg'
import type { ConnectionOptions } from 'node:tls'
import { ConfigError } from '../errors.js'
import type { TapConfig } from '../config/tap-config.js'
import { connectionError } from './pg-errors.js'

/**
 * The only place where connection parameters are built and pg.Client objects are created.
 * Every connection carries `application_name` and the session settings of docs/behaviour.md#full_table, sent as startup
 * options so they cost no round trip and also apply to replication connections.
 */

/** Which server a connection goes to: table reads and discovery may use the replica. */
export type ConnectionTarget = 'primary' | 'read'

/** Rows come back as the server's text: we render values ourselves (exact, and ~3x faster). */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as const

function escapeOption(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/ /g, '\\ ')
}

function sessionOptions(config: TapConfig): string {
  // bytea_output=hex: a server or database set to `escape` would otherwise reach wal2json, which
  // cuts two characters off the front of every bytea value on the assumption that they are `\x`.
  const settings = [
    'TimeZone=UTC',
    'DateStyle=ISO',
    'IntervalStyle=iso_8601',
    'extra_float_digits=3',
    'bytea_output=hex',
  ]
  if (config.work_mem !== undefined) settings.push(`work_mem=${config.work_mem}`)
  return settings.map((s) => `-c ${escapeOption(s)}`).join(' ')
}

function readSslFile(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    throw new ConfigError(`invalid config: config['${setting}'] file cannot be read`)
  }
}

function sslOptions(config: TapConfig): false | ConnectionOptions {
  const mode = config.sslmode ?? (config.ssl ? 'require' : 'disable')
  if (mode === 'disable') return false
  const tls: ConnectionOptions = {}
  if (config.sslcert !== undefined) tls.cert = readSslFile('sslcert', config.sslcert)
  if (config.sslkey !== undefined) tls.key = readSslFile('sslkey', config.sslkey)
  if (config.sslrootcert !== undefined) tls.ca = readSslFile('sslrootcert', config.sslrootcert)
  if (mode === 'verify-full') {
    tls.rejectUnauthorized = true
  } else if (mode === 'verify-ca') {
    tls.rejectUnauthorized = true
    // verify-ca checks the chain but not the host name, as libpq does.
    tls.checkServerIdentity = () => undefined
  } else {
    // require (and allow/prefer, which we treat as require): encrypted, certificate not checked.
    tls.rejectUnauthorized = false
  }
  return tls
}

export interface ClientOptions {
  target: ConnectionTarget
  /** Open a walsender (logical replication) session. */
  replication?: boolean
}

export function describeTarget(config: TapConfig, target: ConnectionTarget): string {
  const useSecondary = target === 'read' && config.use_secondary
  const host = useSecondary ? config.secondary_host : config.host
  const port = useSecondary ? config.secondary_port : config.port
  return `${host}:${port}/${config.dbname} as ${config.user}`
}

export function clientConfig(config: TapConfig, opts: ClientOptions): pg.ClientConfig {
  const useSecondary = opts.target === 'read' && config.use_secondary
  const out: pg.ClientConfig = {
    host: useSecondary ? config.secondary_host : config.host,
    port: useSecondary ? config.secondary_port : config.port,
    user: config.user,
    database: config.dbname,
    application_name: config.application_name,
    options: sessionOptions(config),
    ssl: sslOptions(config),
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
    types: TEXT_TYPES,
  }
  if (config.password !== undefined) out.password = config.password
  if (opts.replication) (out as pg.ClientConfig & { replication: string }).replication = 'database'
  return out
}

/** Opens one connection; failures become a one-line ConnectionError without secrets. */
export async function openClient(config: TapConfig, opts: ClientOptions): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(config, opts))
  try {
    await client.connect()
  } catch (e) {
    await client.end().catch(() => undefined)
    throw connectionError(e, describeTarget(config, opts.target))
  }
  return client
}

/** Runs `fn` on a short-lived connection that is always closed afterwards. */
export async function withClient<T>(
  config: TapConfig,
  opts: ClientOptions,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await openClient(config, opts)
  // A socket error between queries must not crash the process; the next query reports it.
  client.on('error', () => undefined)
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/**
 * Asks the server to cancel what `client` is running (a COPY being read): a CancelRequest on a
 * socket of its own, which the server answers by closing it; no session is opened or logged in.
 * Best effort: when it fails, the statement simply runs to its end. Resolves once the server closed
 * the socket, i.e. had signalled the backend: a next statement sent after that cannot be hit by the
 * cancel (a backend waiting for a command ignores it).
 */
export function requestCancel(config: TapConfig, client: pg.Client, target: ConnectionTarget): Promise<void> {
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null }
  if (processID === null || secretKey === null) return Promise.resolve()
  const cc = clientConfig(config, { target })
  const host = cc.host ?? 'localhost'
  const port = cc.port ?? 5432
  const packet = Buffer.alloc(16)
  packet.writeInt32BE(16, 0)
  packet.writeInt32BE(80877102, 4)
  packet.writeInt32BE(processID, 8)
  packet.writeInt32BE(secretKey, 12)
  const socket = host.startsWith('/') ? net.connect(`${host}/.s.PGSQL.${port}`) : net.connect(port, host)
  socket.setTimeout(10_000, () => socket.destroy())
  socket.on('error', () => undefined)
  socket.once('connect', () => socket.end(packet))
  return new Promise<void>((resolve) => socket.once('close', () => resolve()))
}
