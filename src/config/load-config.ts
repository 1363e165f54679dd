import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { ConfigError } from '../errors.js'
import { SETTINGS, type SettingSpec } from './schema.js'
import { streamOptionsProblems } from './stream-options.js'
import type { TapConfig } from './tap-config.js'

export const ENV_PREFIX = 'TAP_POSTGRES_'

/**
 * `--config ENV`, the Singer SDK's convention: settings come from `TAP_POSTGRES_*` variables and
 * from a `.env` file in the working directory, with no config file. Given with config files, the
 * files are merged and the variables win, wherever ENV stands among them (as in the SDK).
 */
export const ENV_CONFIG = 'ENV'
const DOTENV_FILE = '.env'

export interface LoadedConfig {
  readonly config: TapConfig
  /** Non-fatal findings (unknown keys), for the caller to log. */
  readonly warnings: readonly string[]
  /** The `.env` file read for `--config ENV`, when there was one. */
  readonly dotenvPath?: string
}

/** The `--config` values split into files and the ENV keyword. */
export interface ConfigSources {
  readonly files: readonly string[]
  readonly env: boolean
}

export function configSources(args: readonly string[]): ConfigSources {
  return { files: args.filter((a) => a !== ENV_CONFIG), env: args.includes(ENV_CONFIG) }
}

/** Reads one config file into a plain object; every failure names the file, never its content. */
function readConfigFile(path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot read file'
    throw new ConfigError(`config ${path}: ${reason}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new ConfigError(`config ${path}: not valid JSON`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config ${path}: must be a JSON object`)
  }
  return parsed as Record<string, unknown>
}

/** Settings from `TAP_POSTGRES_<SETTING>` variables (always strings; coerced like file values). */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const s of SETTINGS) {
    const v = env[ENV_PREFIX + s.name.toUpperCase()]
    if (v !== undefined && v !== '') out[s.name] = v
  }
  return out
}

/** Whether any variable names a setting (a `TAP_POSTGRES_*` variable that is not a setting does not count). */
export function hasSettingVariables(env: NodeJS.ProcessEnv): boolean {
  return Object.keys(configFromEnv(env)).length > 0
}

/**
 * The variables of a `.env` file, or undefined when there is none. dotenv's parser only: its
 * `config()` would also log a line on stdout (dotenv 17), which is the Singer stream.
 */
function readDotenv(path: string): Record<string, string> | undefined {
  if (!existsSync(path)) return undefined
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new ConfigError(`config ENV: ${path} cannot be read`)
  }
  return parseDotenv(text)
}

/**
 * Puts `.env` variables into `env` where it has none (dotenv's default, no override): a variable
 * set by the shell, Meltano or the orchestrator wins over the file. Every variable is taken, as
 * the SDK does, so LOG_LEVEL and the like in `.env` apply too. Returns `env`.
 */
export function applyDotenv(
  env: NodeJS.ProcessEnv,
  values: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  for (const [k, v] of Object.entries(values)) if (env[k] === undefined) env[k] = v
  return env
}

/**
 * A string holding a JSON array (`["public","sales"]`): how Meltano passes `kind: array` settings in
 * TAP_POSTGRES_* variables (SettingDefinition.stringify_value is json.dumps for non-strings).
 */
function jsonArray(raw: string): unknown[] | undefined {
  if (!raw.trimStart().startsWith('[')) return undefined
  try {
    const v: unknown = JSON.parse(raw)
    return Array.isArray(v) ? v : undefined
  } catch {
    return undefined
  }
}

/**
 * A string holding a JSON object: how Meltano passes `kind: object` settings in TAP_POSTGRES_*
 * variables (json.dumps, as for arrays).
 */
function jsonObject(raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch {
    return undefined
  }
}

/** The inner shape of object settings; each problem names its key path. */
const OBJECT_CHECKS: Readonly<Record<string, (value: Record<string, unknown>) => string[]>> = {
  stream_options: streamOptionsProblems,
}

type Coerced = { ok: true; value: unknown } | { ok: false; problem: string }

function coerce(spec: SettingSpec, raw: unknown): Coerced {
  switch (spec.kind) {
    case 'string':
      if (typeof raw === 'string') return { ok: true, value: raw }
      if (typeof raw === 'number' && !spec.secret) return { ok: true, value: String(raw) }
      return { ok: false, problem: 'must be a string' }
    case 'enum': {
      const choices = spec.choices ?? []
      if (typeof raw === 'string' && choices.includes(raw)) return { ok: true, value: raw }
      return { ok: false, problem: `must be one of ${choices.join(', ')}` }
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw }
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim()))
        return { ok: true, value: raw.trim().toLowerCase() === 'true' }
      return { ok: false, problem: 'must be a boolean (true/false)' }
    case 'integer':
    case 'number': {
      let n: number | undefined
      if (typeof raw === 'number') n = raw
      else if (typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) n = Number(raw)
      const what = spec.kind === 'integer' ? 'an integer' : 'a number'
      if (n === undefined || !Number.isFinite(n)) return { ok: false, problem: `must be ${what}` }
      if (spec.kind === 'integer' && !Number.isSafeInteger(n))
        return { ok: false, problem: `must be ${what}` }
      if (spec.minimum !== undefined && n < spec.minimum)
        return { ok: false, problem: `must be at least ${spec.minimum}` }
      if (spec.maximum !== undefined && n > spec.maximum)
        return { ok: false, problem: `must be at most ${spec.maximum}` }
      return { ok: true, value: n }
    }
    case 'string-list': {
      const items =
        typeof raw === 'string' ? (jsonArray(raw) ?? raw.split(',')) : Array.isArray(raw) ? raw : undefined
      if (!items?.every((x) => typeof x === 'string'))
        return { ok: false, problem: 'must be a comma-separated string or an array of strings' }
      const cleaned = (items as string[]).map((x) => x.trim()).filter((x) => x !== '')
      return { ok: true, value: cleaned }
    }
    case 'object': {
      const value = typeof raw === 'string' ? jsonObject(raw) : raw
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return { ok: false, problem: 'must be a JSON object (or its JSON text)' }
      return { ok: true, value }
    }
  }
}

/**
 * Merges config objects (later wins), applies defaults and validates against SETTINGS.
 * Collects every violation, then throws one ConfigError listing them all.
 */
export function buildConfig(sources: readonly Record<string, unknown>[]): LoadedConfig {
  const merged: Record<string, unknown> = Object.assign({}, ...sources)
  const warnings: string[] = []
  const violations: string[] = []
  const out: Record<string, unknown> = {}
  const known = new Set(SETTINGS.map((s) => s.name))
  for (const key of Object.keys(merged).sort()) {
    if (!known.has(key)) warnings.push(`unknown config key '${key}' ignored`)
  }
  for (const spec of SETTINGS) {
    const raw = merged[spec.name]
    if (raw === undefined || raw === null || (raw === '' && !spec.required)) {
      if (spec.required) violations.push(`config['${spec.name}'] is required`)
      else if (spec.default !== undefined) out[spec.name] = spec.default
      continue
    }
    const c = coerce(spec, raw)
    if (c.ok) out[spec.name] = c.value
    else violations.push(`config['${spec.name}'] ${c.problem}`)
    const check = OBJECT_CHECKS[spec.name]
    if (c.ok && check !== undefined) violations.push(...check(c.value as Record<string, unknown>))
  }
  if (out.use_secondary === true) {
    if (out.secondary_host === undefined)
      violations.push(`config['secondary_host'] is required when use_secondary is true`)
    if (out.secondary_port === undefined)
      violations.push(`config['secondary_port'] is required when use_secondary is true`)
  }
  if (typeof out.host === 'string' && out.host.trim() === '')
    violations.push(`config['host'] must not be empty`)
  if (typeof out.dbname === 'string' && out.dbname.trim() === '')
    violations.push(`config['dbname'] must not be empty`)
  if (violations.length > 0) {
    const summary =
      violations.length === 1 ? violations[0] : `${violations.length} problems: ${violations.join('; ')}`
    throw new ConfigError(`invalid config: ${summary}`, violations)
  }
  return { config: Object.freeze(out) as unknown as TapConfig, warnings }
}

/**
 * Files (merged left to right), then `TAP_POSTGRES_*` variables, which win. With `ENV` among
 * `args`, the `.env` file of `cwd` first fills the variables `env` lacks (`env` is changed: it is
 * process.env in the CLI, so the file acts as if its variables had been exported).
 */
export function loadConfig(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): LoadedConfig {
  const { files, env: fromEnv } = configSources(args)
  const sources = files.map(readConfigFile)
  let dotenvPath: string | undefined
  if (fromEnv) {
    const path = join(cwd, DOTENV_FILE)
    const values = readDotenv(path)
    if (values !== undefined) {
      applyDotenv(env, values)
      dotenvPath = path
    }
  }
  sources.push(configFromEnv(env))
  try {
    const loaded = buildConfig(sources)
    return dotenvPath === undefined ? loaded : { ...loaded, dotenvPath }
  } catch (e) {
    if (!fromEnv || !(e instanceof ConfigError)) throw e
    throw new ConfigError(e.message, e.violations, { hint: envHint(e.violations, files.length > 0) })
  }
}

/** Names the variables that would supply the missing settings (`config['host'] is required` → TAP_POSTGRES_HOST). */
function envHint(violations: readonly string[], withFiles: boolean): string {
  const missing = violations
    .map((v) => /^config\['([a-z0-9_]+)'\] is required/.exec(v)?.[1])
    .filter((k): k is string => k !== undefined)
  const where = `in the environment or ./${DOTENV_FILE}`
  if (missing.length === 0)
    return `--config ENV reads TAP_POSTGRES_<SETTING> variables ${where}${withFiles ? ' (they win over the files)' : ''}`
  return `set ${missing.map((k) => ENV_PREFIX + k.toUpperCase()).join(', ')} ${where}${withFiles ? ', or in a config file' : ''}`
}
