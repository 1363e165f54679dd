import { fstatSync } from 'node:fs'
import { threadId } from 'node:worker_threads'

/** Logs go to stderr (see defaultSink): stdout belongs to Singer messages. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error'
export type LogFormat = 'text' | 'json'

/** `scheme://user:` then the password up to the `@` of the host. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]*@/gi

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 }

export interface LogContext {
  stream?: string
  [key: string]: string | number | boolean | undefined
}

export interface LoggerOptions {
  level: LogLevel
  format: LogFormat
  /** Literal values that must never be printed (password, key paths); replaced by `***`. */
  secrets: readonly string[]
  /** Where a finished line goes; default: process.stderr. */
  sink?: (line: string) => void
  name?: string
}

/** Plain-data options, so a worker thread can build the same logger. */
export type SerializableLoggerOptions = Omit<LoggerOptions, 'sink'>

export class Logger {
  readonly #opts: LoggerOptions
  readonly #context: LogContext
  readonly #sink: (line: string) => void

  constructor(opts: LoggerOptions, context: LogContext = {}) {
    this.#opts = opts
    this.#context = context
    this.#sink = opts.sink ?? defaultSink()
  }

  get options(): SerializableLoggerOptions {
    const { sink: _sink, ...rest } = this.#opts
    return rest
  }

  child(context: LogContext): Logger {
    return new Logger(this.#opts, { ...this.#context, ...context })
  }

  /** The same logger at another level (the sync's live view raises it to warning). */
  withLevel(level: LogLevel): Logger {
    return new Logger({ ...this.#opts, level }, this.#context)
  }

  isEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.#opts.level]
  }

  debug(message: string, extra?: Record<string, unknown>): void {
    this.log('debug', message, extra)
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.log('info', message, extra)
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.log('warning', message, extra)
  }

  log(level: LogLevel, message: string, extra?: Record<string, unknown>): void {
    if (!this.isEnabled(level)) return
    this.#sink(this.redact(this.format(level, message, extra)))
  }

  /**
   * A Singer metric point (JSON text) at info level: `METRIC: {...}` in text; in JSON, as the SDK's
   * StructuredFormatter writes it: message `METRIC` and the point as `metric_info` (and the stream's
   * name as `stream_name`).
   */
  metric(point: string, stream?: string): void {
    if (!this.isEnabled('info')) return
    if (this.#opts.format === 'json') {
      const logger = stream === undefined ? this : this.child({ stream })
      this.#sink(this.redact(logger.format('info', 'METRIC', undefined, { metric_info: point }, 'metrics')))
    } else {
      this.#sink(this.redact(this.format('info', `METRIC: ${point}`)))
    }
  }

  /**
   * The one line that reports a failed run (`error: <what>: <why>`): as it is in text; in JSON an
   * error record with an `exception` object (type, module, message), the shape Meltano renders.
   */
  failure(line: string, errorType: string): void {
    if (this.#opts.format !== 'json') {
      this.#sink(this.redact(line))
      return
    }
    const exception = JSON.stringify({
      type: errorType,
      module: this.#opts.name ?? 'tap-postgres',
      message: line.replace(/^error: /, ''),
    })
    this.#sink(this.redact(this.format('error', line, undefined, { exception })))
  }

  redact(text: string): string {
    // A password inside a URL (`postgres://user:password@host`), wherever it came from.
    let out = text.includes('://') ? text.replace(URL_PASSWORD, '$1***@') : text
    for (const s of this.#opts.secrets) {
      if (s.length < 3) continue
      // As written, and as it appears inside a JSON string (JSON log lines).
      for (const form of [s, JSON.stringify(s).slice(1, -1)])
        if (out.includes(form)) out = out.split(form).join('***')
    }
    return out
  }

  /** `raw`: extra top-level JSON fields, given as JSON text (JSON format only). */
  private format(
    level: LogLevel,
    message: string,
    extra?: Record<string, unknown>,
    raw?: Record<string, string>,
    subLogger?: string,
  ): string {
    const ts = new Date()
    const oneLine = message.replace(/[\r\n]+/g, ' ')
    if (this.#opts.format === 'json') {
      // The keys Meltano's singer-sdk log parser requires (level, pid, logger_name, ts, thread_name,
      // app_name, stream_name, message), then extra: the SDK's StructuredFormatter record.
      const { stream, ...rest } = this.#context
      const name = this.#opts.name ?? 'tap-postgres'
      let line = JSON.stringify({
        level,
        pid: process.pid,
        logger_name: subLogger === undefined ? name : `${name}.${subLogger}`,
        ts: ts.getTime() / 1000,
        thread_name: threadId === 0 ? 'MainThread' : `Worker-${threadId}`,
        app_name: 'tap-postgres',
        stream_name: stream ?? null,
        message: oneLine,
      })
      for (const [k, v] of Object.entries(raw ?? {})) line = `${line.slice(0, -1)},${JSON.stringify(k)}:${v}}`
      return `${line.slice(0, -1)},"extra":${JSON.stringify({ ...rest, ...(extra ?? {}) }, bigintAsText)}}`
    }
    let line = `time=${ts.toISOString()} level=${level}`
    for (const [k, v] of Object.entries(this.#context)) if (v !== undefined) line += ` ${k}=${v}`
    line += ` message=${oneLine}`
    if (extra)
      for (const [k, v] of Object.entries(extra))
        line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v, bigintAsText)}`
    return line
  }
}

let sharedSink: ((line: string) => void) | undefined

/**
 * stderr; but when stdout and stderr are the same file or pipe (`2>&1`: `meltano config test` reads
 * the tap that way), log lines go through stdout's stream, behind the Singer messages already queued
 * there, so a log line never lands inside a long RECORD line that stdout is still writing.
 */
function defaultSink(): (line: string) => void {
  if (sharedSink === undefined) {
    const stream = sameFile(1, 2) ? process.stdout : process.stderr
    sharedSink = (line) => {
      stream.write(line + '\n')
    }
  }
  return sharedSink
}

export function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a)
    const y = fstatSync(b)
    return x.dev === y.dev && x.ino === y.ino
  } catch {
    return false
  }
}

function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

/**
 * The level: --debug, else the first of LOG_LEVEL, TAP_POSTGRES_LOGLEVEL, LOGLEVEL (the Singer SDK's
 * variables), else `fallback` (the level of a SINGER_SDK_LOG_CONFIG file, or info).
 */
export function levelFromEnv(
  env: NodeJS.ProcessEnv,
  debugFlag = false,
  fallback: LogLevel = 'info',
): LogLevel {
  if (debugFlag) return 'debug'
  return envLevel(env) ?? fallback
}

/** The first of LOG_LEVEL, TAP_POSTGRES_LOGLEVEL, LOGLEVEL that names a level. */
export function envLevel(env: NodeJS.ProcessEnv): LogLevel | undefined {
  for (const name of ['LOG_LEVEL', 'TAP_POSTGRES_LOGLEVEL', 'LOGLEVEL']) {
    const v = (env[name] ?? '').trim().toLowerCase()
    if (v === 'debug' || v === 'info' || v === 'error') return v
    if (v === 'warning' || v === 'warn') return 'warning'
    if (v === 'critical') return 'error'
  }
  return undefined
}
