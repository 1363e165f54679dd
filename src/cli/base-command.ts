import { Command, Errors } from '@oclif/core'
import { ConfigError, InputError, TapError, isTapError } from '../errors.js'
import { ENV_CONFIG, hasSettingVariables, loadConfig } from '../config/load-config.js'
import type { TapConfig } from '../config/tap-config.js'
import { Logger, levelFromEnv, type LogFormat } from '../log/logger.js'
import { SECRET_SETTINGS } from '../config/schema.js'
import { readSdkLogConfig, type SdkLogConfig } from '../log/sdk-log-config.js'

/**
 * Every command extends this. Errors reach the user only through `catch()`: one line on stderr
 * (`error: <what>: <why>` and a hint), the exit code of docs/behaviour.md#exit-codes-and-errors, a stack trace only with --debug.
 */
export abstract class BaseCommand extends Command {
  #debug = false
  protected logger: Logger = this.makeLogger({}, [])

  protected makeLogger(
    flags: { debug?: boolean; 'log-format'?: string },
    secrets: readonly string[],
  ): Logger {
    const sdk = readSdkLogConfig(process.env.SINGER_SDK_LOG_CONFIG)
    const level = levelFromEnv(process.env, flags.debug === true, sdk?.level)
    this.#debug = level === 'debug'
    return new Logger({ level, format: logFormat(flags['log-format'], sdk), secrets })
  }

  /**
   * Loads config from `--config` files and TAP_POSTGRES_* variables (which win); `--config ENV` also
   * reads ./.env (see load-config.ts). Without any --config, variables naming settings are enough:
   * `meltano invoke tap-postgres:<command>` passes nothing else. Sets up the logger with the secrets.
   */
  protected loadTapConfig(
    args: readonly string[] | undefined,
    flags: { debug?: boolean; 'log-format'?: string },
  ): TapConfig {
    this.logger = this.makeLogger(flags, [])
    if ((args === undefined || args.length === 0) && !hasSettingVariables(process.env)) {
      throw new ConfigError('missing --config: give a config JSON file', [], {
        hint: `or --config ${ENV_CONFIG} to read every setting from TAP_POSTGRES_* variables and ./.env`,
      })
    }
    const { config, warnings, dotenvPath } = loadConfig(args ?? [])
    const secrets = SECRET_SETTINGS.map((k) => (config as unknown as Record<string, unknown>)[k]).filter(
      (v): v is string => typeof v === 'string',
    )
    // .env may have set LOG_LEVEL or TAP_POSTGRES_LOGLEVEL: the level is read again here.
    this.logger = this.makeLogger(flags, secrets)
    if (dotenvPath !== undefined)
      this.logger.debug(
        `settings from TAP_POSTGRES_* variables and ${dotenvPath} (variables already set win)`,
      )
    for (const w of warnings) this.logger.warn(w)
    return config
  }

  override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // this.exit() and --help/--version arrive here as oclif's own ExitError: let oclif finish them.
    if (err instanceof Errors.ExitError) throw err
    const tapErr = toTapError(err)
    // stdout closed by its reader (docs/behaviour.md#signals-and-a-closed-stdout): quiet, non-zero, no trace.
    if (tapErr.code === 'OUTPUT_CLOSED') {
      this.logger.debug(tapErr.message)
      process.exitCode = tapErr.exitCode
      return undefined
    }
    const line = `error: ${this.logger.redact(tapErr.message)}${tapErr.hint ? ` (hint: ${tapErr.hint})` : ''}`
    this.logger.failure(line, tapErr.code)
    if (this.#debug && err.stack) {
      if (this.logger.options.format === 'json') this.logger.debug('stack trace', { stack: err.stack })
      else process.stderr.write(this.logger.redact(err.stack) + '\n')
    }
    process.exitCode = tapErr.exitCode
    return undefined
  }
}

/**
 * `--log-format` wins; else JSON when SINGER_SDK_LOG_CONFIG names a config whose formatter is the
 * SDK's StructuredFormatter (what Meltano writes for plugins with `structured-logging`); else text.
 */
function logFormat(flag: string | undefined, sdk: SdkLogConfig | undefined): LogFormat {
  if (flag === 'json' || flag === 'text') return flag
  return sdk?.structured === true ? 'json' : 'text'
}

/**
 * oclif's message on one line. A flag value it cannot parse comes as `Parsing --shards \n\tExpected
 * an integer greater than or equal to 1 but received: 0`: the reason is on the second line.
 */
function usageLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
  return lines.length > 1 && lines[0].startsWith('Parsing ')
    ? `${lines[0]}: ${lines[1]}`
    : message.split('\n')[0]
}

/** oclif's parse errors (unknown flag, bad option) are usage errors: exit 2. */
function toTapError(err: Error & { oclif?: { exit?: number } }): TapError {
  if (isTapError(err)) return err
  if (err instanceof Errors.CLIError || (err.name.endsWith('Error') && 'parse' in (err as object))) {
    return new InputError('USAGE', usageLine(err.message).replace(/^Error: /, ''), { hint: 'see --help' })
  }
  if ((err as { oclif?: unknown }).oclif !== undefined) {
    return new InputError('USAGE', err.message.split('\n')[0], { hint: 'see --help' })
  }
  return new TapError('INTERNAL', `internal error: ${err.message.split('\n')[0]}`, {
    hint: 'rerun with --debug for the stack trace',
  })
}
