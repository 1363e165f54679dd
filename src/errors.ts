/**
 * The only error list of the tap. Every failure that reaches the user is a TapError: it carries a
 * stable `code`, the process `exitCode` (docs/behaviour.md#exit-codes-and-errors: 2 = bad usage or input, 1 = runtime failure) and
 * an optional `hint`. The base command prints `error: <message>` (+ hint) on one stderr line.
 *
 * Messages must never contain a secret: build them from setting names and public facts only.
 */

/** Stable error codes. Each is documented where it is thrown; add new ones here only. */
export type ErrorCode =
  /** Flags or subcommand usage are wrong. */
  | 'USAGE'
  /** A config file is missing, unreadable, not JSON, or violates the settings schema. */
  | 'CONFIG_INVALID'
  /** A catalog file is missing, not JSON, or not the Singer catalog shape. */
  | 'CATALOG_INVALID'
  /** A state file is missing, not JSON, or not the Singer state shape. */
  | 'STATE_INVALID'
  /** A LOG_BASED bookmark is behind the replication slot's confirmed_flush_lsn (src/sync/behind-slot.ts). */
  | 'STATE_BEHIND_SLOT'
  /** A stream's replication method or key cannot be used. */
  | 'STREAM_INVALID'
  /** The server could not be reached or refused us (host, port, auth, database). */
  | 'CONNECTION_FAILED'
  /** A query failed on the server. */
  | 'QUERY_FAILED'
  /** Discovery could not read the catalog. */
  | 'DISCOVERY_FAILED'
  /** A table read failed. */
  | 'SYNC_FAILED'
  /** The replication slot is missing, lost or in use. */
  | 'SLOT_ERROR'
  /** The server cannot do logical replication as configured (wal_level, the output plugin). */
  | 'REPLICATION_UNAVAILABLE'
  /**
   * pgoutput: the slot's publication is missing, or leaves out a selected LOG_BASED table (or part of
   * its changes) and cannot be made to cover it (src/replication/publication.ts).
   */
  | 'PUBLICATION_INVALID'
  /** Logical replication failed while streaming. */
  | 'REPLICATION_FAILED'
  /** use_secondary: the replica has not replayed the WAL a LOG_BASED initial load read there needs. */
  | 'REPLICA_BEHIND'
  /** stdout was closed by its reader. */
  | 'OUTPUT_CLOSED'
  /** A bug: anything not classified above. */
  | 'INTERNAL'

export interface TapErrorOptions {
  hint?: string
  cause?: unknown
  exitCode?: number
}

export class TapError extends Error {
  readonly code: ErrorCode
  readonly exitCode: number
  readonly hint: string | undefined

  constructor(code: ErrorCode, message: string, options: TapErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.exitCode = options.exitCode ?? 1
    this.hint = options.hint
  }
}

/** Bad input: exit 2. */
export class InputError extends TapError {
  constructor(code: ErrorCode, message: string, options: TapErrorOptions = {}) {
    super(code, message, { exitCode: 2, ...options })
  }
}

export class ConfigError extends InputError {
  /** One entry per violation, each naming its key. */
  readonly violations: readonly string[]
  constructor(message: string, violations: readonly string[] = [], options: TapErrorOptions = {}) {
    super('CONFIG_INVALID', message, options)
    this.violations = violations
  }
}

export class ConnectionError extends TapError {
  constructor(message: string, options: TapErrorOptions = {}) {
    super('CONNECTION_FAILED', message, options)
  }
}

/** A server-side failure, with the SQLSTATE kept so callers can branch on it. */
export class QueryError extends TapError {
  readonly sqlState: string | undefined
  constructor(code: ErrorCode, message: string, sqlState?: string, options: TapErrorOptions = {}) {
    super(code, message, options)
    this.sqlState = sqlState
  }
}

export class SlotError extends TapError {
  readonly slotName: string
  constructor(slotName: string, message: string, options: TapErrorOptions = {}) {
    super('SLOT_ERROR', message, options)
    this.slotName = slotName
  }
}

export function isTapError(e: unknown): e is TapError {
  return e instanceof TapError
}

/** The TapError classes, by name: a serialized error is rebuilt as the class it was thrown as. */
export type TapErrorKind =
  | 'TapError'
  | 'InputError'
  | 'ConfigError'
  | 'ConnectionError'
  | 'QueryError'
  | 'SlotError'

/**
 * A plain-data form of a TapError that survives postMessage between threads (the table workers'
 * task results, the replication worker's `end` message, and every comlink rejection: see
 * src/protocol/control-plane.ts). `deserializeError` rebuilds the same class with the same fields.
 */
export interface SerializedTapError {
  code: ErrorCode
  message: string
  exitCode: number
  /** Absent: a plain TapError (results written before the class travelled too). */
  kind?: TapErrorKind
  hint?: string
  sqlState?: string
  slotName?: string
  violations?: readonly string[]
}

function kindOf(e: TapError): TapErrorKind {
  if (e instanceof ConfigError) return 'ConfigError'
  if (e instanceof InputError) return 'InputError'
  if (e instanceof ConnectionError) return 'ConnectionError'
  if (e instanceof QueryError) return 'QueryError'
  if (e instanceof SlotError) return 'SlotError'
  return 'TapError'
}

export function serializeError(e: unknown): SerializedTapError {
  if (e instanceof TapError) {
    const out: SerializedTapError = {
      code: e.code,
      message: e.message,
      exitCode: e.exitCode,
      kind: kindOf(e),
    }
    if (e.hint !== undefined) out.hint = e.hint
    if (e instanceof QueryError && e.sqlState !== undefined) out.sqlState = e.sqlState
    if (e instanceof SlotError) out.slotName = e.slotName
    if (e instanceof ConfigError) out.violations = [...e.violations]
    return out
  }
  const message = e instanceof Error ? e.message : String(e)
  return { code: 'INTERNAL', message, exitCode: 1, kind: 'TapError' }
}

export function deserializeError(s: SerializedTapError): TapError {
  const options: TapErrorOptions = { hint: s.hint, exitCode: s.exitCode }
  switch (s.kind) {
    case 'ConfigError':
      return new ConfigError(s.message, s.violations ?? [], options)
    case 'InputError':
      return new InputError(s.code, s.message, options)
    case 'ConnectionError':
      return new ConnectionError(s.message, options)
    case 'SlotError':
      return new SlotError(s.slotName ?? '', s.message, options)
    case 'QueryError':
      return new QueryError(s.code, s.message, s.sqlState, options)
    default:
      // An older result without `kind`: a SQLSTATE still says it was a QueryError.
      if (s.sqlState !== undefined) return new QueryError(s.code, s.message, s.sqlState, options)
      return new TapError(s.code, s.message, options)
  }
}
