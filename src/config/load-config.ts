import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import { SETTINGS, type SettingSpec } from './schema.js'
import { streamOptionsProblems } from './stream-options.js'
import type { TapConfig } from './tap-config.js'

export const ENV_PREFIX = 'TAP_POSTGRES_'

export interface LoadedConfig {
  readonly config: TapConfig
  /** Non-fatal findings (unknown keys), for the caller to log. */
  readonly warnings: readonly string[]
}

/** Reads one config file into a plain object; every failure names the file, never its content. */
export function readConfigFile(path: string): Record<string, unknown> {
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
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim())) return { ok: true, value: raw.trim().toLowerCase() === 'true' }
      return { ok: false, problem: 'must be a boolean (true/false)' }
    case 'integer':
    case 'number': {
      let n: number | undefined
      if (typeof raw === 'number') n = raw
      else if (typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) n = Number(raw)
      const what = spec.kind === 'integer' ? 'an integer' : 'a number'
      if (n === undefined || !Number.isFinite(n)) return { ok: false, problem: `must be ${what}` }
      if (spec.kind === 'integer' && !Number.isSafeInteger(n)) return { ok: false, problem: `must be ${what}` }
      if (spec.minimum !== undefined && n < spec.minimum) return { ok: false, problem: `must be at least ${spec.minimum}` }
      if (spec.maximum !== undefined && n > spec.maximum) return { ok: false, problem: `must be at most ${spec.maximum}` }
      return { ok: true, value: n }
    }
    case 'string-list': {
      const items = typeof raw === 'string' ? jsonArray(raw) ?? raw.split(',') : Array.isArray(raw) ? raw : undefined
      if (!items || !items.every((x) => typeof x === 'string')) return { ok: false, problem: 'must be a comma-separated string or an array of strings' }
      const cleaned = (items as string[]).map((x) => x.trim()).filter((x) => x !== '')
      return { ok: true, value: cleaned }
    }
    case 'object': {
      const value = typeof raw === 'string' ? jsonObject(raw) : raw
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'must be a JSON object (or its JSON text)' }
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
    if (out.secondary_host === undefined) violations.push(`config['secondary_host'] is required when use_secondary is true`)
    if (out.secondary_port === undefined) violations.push(`config['secondary_port'] is required when use_secondary is true`)
  }
  if (typeof out.host === 'string' && out.host.trim() === '') violations.push(`config['host'] must not be empty`)
  if (typeof out.dbname === 'string' && out.dbname.trim() === '') violations.push(`config['dbname'] must not be empty`)
  if (violations.length > 0) {
    const summary = violations.length === 1 ? violations[0] : `${violations.length} problems: ${violations.join('; ')}`
    throw new ConfigError(`invalid config: ${summary}`, violations)
  }
  return { config: Object.freeze(out) as unknown as TapConfig, warnings }
}

/** Files (merged left to right), then `TAP_POSTGRES_*` variables, which win. */
export function loadConfig(paths: readonly string[], env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const sources = paths.map(readConfigFile)
  sources.push(configFromEnv(env))
  return buildConfig(sources)
}
