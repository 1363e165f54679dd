/**
 * Whether a sync shows the live progress view on stderr instead of info lines (README "Usage"), and
 * the log level then. Pure: the sync command gives it what the terminal, the flags and the
 * environment say.
 *
 * The view is for a person at a terminal: stderr is a TTY, stdout is not that same terminal (records
 * would scroll through the view), logs are plain text (JSON logs are for machines, Meltano's
 * structured logging among them), and nobody asked for the lines (`--no-progress`, `--verbose`, or a
 * level of info or debug set explicitly). With the view, the level is warning unless one was asked
 * for: warnings and errors still print, above the view; the per-batch `Fetched N rows total`
 * lines, the stream start/end lines and the METRIC lines do not.
 */
import type { LogFormat, LogLevel } from './logger.js'

export interface ViewModeInputs {
  readonly stderrIsTTY: boolean
  /** stdout and stderr are the same file (or the same terminal). */
  readonly stdoutIsStderr: boolean
  readonly format: LogFormat
  /** A level set explicitly (--debug, LOG_LEVEL, TAP_POSTGRES_LOGLEVEL, LOGLEVEL), if any. */
  readonly askedLevel: LogLevel | undefined
  /** --progress (the default) or --no-progress. */
  readonly progress: boolean
  readonly verbose: boolean
}

export interface ViewMode {
  readonly view: boolean
  /** The level to log at; undefined: the logger's own (flags, environment, Meltano's config). */
  readonly level: LogLevel | undefined
}

export function viewMode(i: ViewModeInputs): ViewMode {
  if (i.verbose) return { view: false, level: i.askedLevel === 'debug' ? 'debug' : 'info' }
  const linesAsked = !i.progress || i.askedLevel === 'info' || i.askedLevel === 'debug'
  if (!i.stderrIsTTY || i.stdoutIsStderr || i.format !== 'text' || linesAsked)
    return { view: false, level: undefined }
  return { view: true, level: i.askedLevel ?? 'warning' }
}
