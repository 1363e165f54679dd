/**
 * What a Singer SDK logging config asks of us (docs/behaviour.md#logging-and-metrics). Meltano always sets SINGER_SDK_LOG_CONFIG
 * for Singer plugins, to a file it writes before each run (`.meltano/run/<plugin>/
 * tap.singer_sdk_logging.json`, Python `logging.config.dictConfig` JSON; users may point it at YAML).
 * Its formatter is `{"()": "singer_sdk.logging.StructuredFormatter"}` when Meltano wants structured
 * logs (the plugin declares the `structured-logging` capability) and `{"format": "%(message)s"}`
 * otherwise, under the same path: so the file's content decides, never its name. `root.level` is
 * Meltano's own log level. (meltano/meltano src/meltano/core/plugin/singer/base.py, setup_logging_hook.)
 */
import { readFileSync } from 'node:fs'
import type { LogLevel } from './logger.js'

export interface SdkLogConfig {
  /** A formatter names singer_sdk's StructuredFormatter: one JSON object per line. */
  readonly structured: boolean
  /** The root logger's level, when the file gives one we know. */
  readonly level?: LogLevel
}

/** Reads the file `path` names; undefined when there is none or it cannot be read (plain logs then). */
export function readSdkLogConfig(path: string | undefined): SdkLogConfig | undefined {
  if (path === undefined || path === '') return undefined
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
  return parseSdkLogConfig(text)
}

/** Pure: the file's text → what it asks for. A textual check, so JSON and YAML files both work. */
export function parseSdkLogConfig(text: string): SdkLogConfig {
  const structured = /StructuredFormatter/.test(text)
  return { structured, level: rootLevel(text) }
}

function rootLevel(text: string): LogLevel | undefined {
  let raw: unknown
  try {
    raw = (JSON.parse(text) as { root?: { level?: unknown } }).root?.level
  } catch {
    // YAML: `root:` then an indented `level: X`.
    raw = /^root:[ \t]*\r?\n(?:[ \t]+.*\r?\n)*?[ \t]+level:[ \t]*["']?(\w+)/m.exec(text)?.[1]
  }
  return typeof raw === 'string' || typeof raw === 'number' ? pythonLevel(String(raw)) : undefined
}

/** Python logging level names (and numbers) → ours; CRITICAL counts as error. */
function pythonLevel(name: string): LogLevel | undefined {
  switch (name.trim().toUpperCase()) {
    case 'DEBUG':
    case 'NOTSET':
    case '10':
      return 'debug'
    case 'INFO':
    case '20':
      return 'info'
    case 'WARNING':
    case 'WARN':
    case '30':
      return 'warning'
    case 'ERROR':
    case 'CRITICAL':
    case 'FATAL':
    case '40':
    case '50':
      return 'error'
    default:
      return undefined
  }
}
