import { Command, Errors } from '@oclif/core'
import { ConfigError, InputError, TapError, isTapError } from '../errors.js'
import { loadConfig } from '../config/load-config.js'
import type { TapConfig } from '../config/tap-config.js'
import { Logger, levelFromEnv, type LogFormat } from '../log/logger.js'
import { SECRET_SETTINGS } from '../config/schema.js'

/**
 * Every command extends this. Errors reach the user only through `catch()`: one line on stderr
 * (`error: <what>: <why>` and a hint), the exit code of spec §1, a stack trace only with --debug.
 */
export abstract class BaseCommand extends Command {
  #debug = false
  protected logger: Logger = this.makeLogger({}, [])

  protected makeLogger(flags: { debug?: boolean; 'log-format'?: string }, secrets: readonly string[]): Logger {
    this.#debug = flags.debug === true || (process.env.LOG_LEVEL ?? '').toLowerCase() === 'debug'
    return new Logger({ level: levelFromEnv(process.env, flags.debug === true), format: logFormat(flags['log-format']), secrets })
  }

  /** Loads config from `--config` files and TAP_POSTGRES_* variables; sets up the logger with its secrets. */
  protected loadTapConfig(paths: readonly string[] | undefined, flags: { debug?: boolean; 'log-format'?: string }): TapConfig {
    this.logger = this.makeLogger(flags, [])
    const hasEnv = Object.keys(process.env).some((k) => k.startsWith('TAP_POSTGRES_'))
    if ((paths === undefined || paths.length === 0) && !hasEnv) {
      throw new ConfigError('missing --config: give a config JSON file (or TAP_POSTGRES_* variables)')
    }
    const { config, warnings } = loadConfig(paths ?? [])
    const secrets = SECRET_SETTINGS.map((k) => (config as unknown as Record<string, unknown>)[k]).filter((v): v is string => typeof v === 'string')
    this.logger = this.makeLogger(flags, secrets)
    for (const w of warnings) this.logger.warn(w)
    return config
  }

  override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // this.exit() and --help/--version arrive here as oclif's own ExitError: let oclif finish them.
    if (err instanceof Errors.ExitError) throw err
    const tapErr = toTapError(err)
    const line = `error: ${this.logger.redact(tapErr.message)}${tapErr.hint ? ` (hint: ${tapErr.hint})` : ''}`
    process.stderr.write(line + '\n')
    if (this.#debug && err.stack) process.stderr.write(this.logger.redact(err.stack) + '\n')
    process.exitCode = tapErr.exitCode
    return undefined
  }
}

function logFormat(flag: string | undefined): LogFormat {
  if (flag === 'json' || flag === 'text') return flag
  // Meltano asks for structured logs by pointing SINGER_SDK_LOG_CONFIG at a StructuredFormatter config.
  const sdk = process.env.SINGER_SDK_LOG_CONFIG
  if (sdk && /structured|json/i.test(sdk)) return 'json'
  return 'text'
}

/** oclif's parse errors (unknown flag, bad option) are usage errors: exit 2. */
function toTapError(err: Error & { oclif?: { exit?: number } }): TapError {
  if (isTapError(err)) return err
  if (err instanceof Errors.CLIError || err.name.endsWith('Error') && 'parse' in (err as object)) {
    return new InputError('USAGE', err.message.split('\n')[0].replace(/^Error: /, ''), { hint: 'see --help' })
  }
  if ((err as { oclif?: unknown }).oclif !== undefined) {
    return new InputError('USAGE', err.message.split('\n')[0], { hint: 'see --help' })
  }
  return new TapError('INTERNAL', `internal error: ${err.message.split('\n')[0]}`, { hint: 'rerun with --debug for the stack trace' })
}
