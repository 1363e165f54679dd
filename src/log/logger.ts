import { threadId } from 'node:worker_threads'

/** Logs go to stderr only: stdout belongs to Singer messages. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error'
export type LogFormat = 'text' | 'json'

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
    this.#sink = opts.sink ?? ((line) => process.stderr.write(line + '\n'))
  }

  get options(): SerializableLoggerOptions {
    const { sink: _sink, ...rest } = this.#opts
    return rest
  }

  child(context: LogContext): Logger {
    return new Logger(this.#opts, { ...this.#context, ...context })
  }

  isEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.#opts.level]
  }

  debug(message: string, extra?: Record<string, unknown>): void { this.log('debug', message, extra) }
  info(message: string, extra?: Record<string, unknown>): void { this.log('info', message, extra) }
  warn(message: string, extra?: Record<string, unknown>): void { this.log('warning', message, extra) }
  error(message: string, extra?: Record<string, unknown>): void { this.log('error', message, extra) }

  /** A raw line such as `METRIC: {...}`, printed as a message at info level. */
  log(level: LogLevel, message: string, extra?: Record<string, unknown>): void {
    if (!this.isEnabled(level)) return
    this.#sink(this.redact(this.format(level, message, extra)))
  }

  redact(text: string): string {
    let out = text
    for (const s of this.#opts.secrets) {
      if (s.length >= 3 && out.includes(s)) out = out.split(s).join('***')
    }
    return out
  }

  private format(level: LogLevel, message: string, extra?: Record<string, unknown>): string {
    const ts = new Date()
    const oneLine = message.replace(/[\r\n]+/g, ' ')
    if (this.#opts.format === 'json') {
      const { stream, ...rest } = this.#context
      return JSON.stringify({
        level,
        pid: process.pid,
        logger_name: this.#opts.name ?? 'tap-postgres',
        ts: ts.getTime() / 1000,
        thread_name: threadId === 0 ? 'MainThread' : `Worker-${threadId}`,
        app_name: 'tap-postgres',
        stream_name: stream ?? null,
        message: oneLine,
        extra: { ...rest, ...(extra ?? {}) },
      })
    }
    let line = `time=${ts.toISOString()} level=${level}`
    for (const [k, v] of Object.entries(this.#context)) if (v !== undefined) line += ` ${k}=${v}`
    line += ` message=${oneLine}`
    if (extra) for (const [k, v] of Object.entries(extra)) line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`
    return line
  }
}

export function levelFromEnv(env: NodeJS.ProcessEnv, debugFlag = false): LogLevel {
  if (debugFlag) return 'debug'
  const v = (env.LOG_LEVEL ?? '').toLowerCase()
  if (v === 'debug' || v === 'info' || v === 'error') return v
  if (v === 'warning' || v === 'warn') return 'warning'
  return 'info'
}
