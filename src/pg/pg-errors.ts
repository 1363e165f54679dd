import { ConnectionError, QueryError, TapError, type ErrorCode } from '../errors.js'

/** The fields of a node-postgres DatabaseError / socket error we branch on. */
interface DriverError {
  message?: string
  code?: string
  severity?: string
}

function asDriverError(e: unknown): DriverError {
  return e !== null && typeof e === 'object' ? (e as DriverError) : { message: String(e) }
}

/** SQLSTATEs (class 08, 28, 3D, 57P) and socket codes that mean "could not get or keep a session". */
export function isConnectionFailure(e: unknown): boolean {
  const code = asDriverError(e).code ?? ''
  return (
    /^(08|28|3D|57P0[1-3])/.test(code) ||
    /^E[A-Z]+$/.test(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      asDriverError(e).message ?? '',
    )
  )
}

/**
 * Turns a driver error met while connecting into a one-line ConnectionError. `where` names the
 * target (`host:port/db as user`), never the password.
 */
export function connectionError(e: unknown, where: string): TapError {
  if (e instanceof TapError) return e
  const d = asDriverError(e)
  const code = d.code ?? ''
  let why: string
  let hint: string | undefined
  switch (code) {
    case 'ECONNREFUSED':
      why = 'connection refused'
      hint = 'check host and port, and that the server is running'
      break
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      why = 'host not found'
      hint = 'check config host'
      break
    case 'ETIMEDOUT':
      why = 'connection timed out'
      break
    case '28P01':
      why = 'password authentication failed'
      hint = 'check config user and password'
      break
    // The server says why (no pg_hba.conf entry for this host/user/SSL, a missing client certificate).
    case '28000':
      why = `authentication rejected: ${(d.message ?? 'pg_hba.conf').split('\n')[0]}`
      hint = 'check pg_hba.conf on the server, sslmode and the client certificate'
      break
    case '3D000':
      why = 'database does not exist'
      hint = 'check config dbname'
      break
    case '53300':
      why = 'too many connections on the server'
      hint = 'lower max_workers or raise max_connections'
      break
    default:
      why = (d.message ?? 'unknown error').split('\n')[0]
  }
  return new ConnectionError(`cannot connect to ${where}: ${why}`, { hint, cause: e })
}

/** Wraps a failure of a statement; `what` says what the tap was doing (`reading public.orders`). */
export function queryError(e: unknown, what: string, code: ErrorCode = 'QUERY_FAILED'): TapError {
  if (e instanceof TapError) return e
  const d = asDriverError(e)
  const msg = (d.message ?? String(e)).split('\n')[0]
  if (isConnectionFailure(e))
    return new ConnectionError(`${what}: connection lost: ${lostReason(d, msg)}`, {
      cause: e,
      hint: RESUME_HINT,
    })
  return new QueryError(code, `${what}: ${msg}${d.code ? ` (SQLSTATE ${d.code})` : ''}`, d.code, {
    cause: e,
    hint: serverLimitHint(d),
  })
}

/** A lost connection is not retried (README "Failure behaviour"): the last STATE resumes the run. */
const RESUME_HINT = 'the run stopped; run again with its last STATE to resume'

/** Socket-level errors say how the connection died, not who closed it: say it. */
function lostReason(d: DriverError, msg: string): string {
  if (d.code === 'EPIPE' || d.code === 'ECONNRESET') return `the server closed the connection (${msg})`
  if (/^Connection terminated unexpectedly$/i.test(msg))
    return 'the server closed the connection unexpectedly'
  return msg
}

/** Server-side limits that stop a long read: say which setting did it. */
function serverLimitHint(d: DriverError): string | undefined {
  if (d.code === '57014' && /statement timeout/i.test(d.message ?? '')) {
    return "the server's statement_timeout cancelled the read; raise it for the tap's user (ALTER ROLE <user> SET statement_timeout = 0), then run again with the last STATE"
  }
  if (d.code === '25P03')
    return "the server's idle_in_transaction_session_timeout closed the session; raise it for the tap's user, then run again with the last STATE"
  if (d.code === '55P03')
    return "the server's lock_timeout expired; raise it for the tap's user or retry when the table is not locked"
  return undefined
}
