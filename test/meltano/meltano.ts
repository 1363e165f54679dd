// Long (~560 lines): one re-implementation of what Meltano does around an extractor, kept in one file so it reads side by side with Meltano's own modules.
/**
 * What Meltano does around a custom extractor, reproduced for end-to-end tests (Meltano itself is
 * Python and not installed here). Each piece names the Meltano code it follows (meltano/meltano,
 * src/meltano/core/...):
 *
 * - plugin/singer/catalog.py: `select` patterns and `metadata` become MetadataRules applied by a
 *   MetadataExecutor walk of the discovered catalog: `selected` and every metadata key set in the
 *   `[]` breadcrumb *and* (dashes → underscores) on the stream itself (`selected`,
 *   `replication_method`, `replication_key`), `selected` per property breadcrumb; rules run as
 *   `!*.*`, then the select includes, then the select excludes, then `metadata`; later wins.
 * - plugin/singer/tap.py: argv `--config C [--catalog K] [--state S]` (+ `--discover`), stdout of
 *   discovery into `tap.properties.json`, the catalog written back with indent 2.
 * - plugin/singer/base.py: SINGER_SDK_LOG_CONFIG (dictConfig JSON: StructuredFormatter for plugins
 *   with `structured-logging`, else `%(message)s`) and LOGGING_CONF_FILE, every run.
 * - settings_service / setting_definition.py: the config file holds every setting with a value
 *   (meltano.yml `value:` defaults included), and the same values go to TAP_POSTGRES_<SETTING>
 *   variables, non-strings as Python json.dumps text.
 * - plugin_test_service.py: `meltano config <tap> test` reads stdout+stderr (one pipe) until the
 *   first RECORD, then `process.terminate()` (SIGTERM) and waits.
 * - logging/parsers.py: SingerSDKLogParser, the structured log line check.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json'
import {
  BIN,
  REPO_ROOT,
  type parseMessages,
  runTap,
  type RunOptions,
  type TapResult,
} from '../harness/run-tap.js'

// ------------------------------------------------------------------------------- meltano.yml parts

interface MeltanoSetting {
  name: string
  kind: string
  value?: unknown
  sensitive: boolean
}

export interface MeltanoExtractor {
  capabilities: string[]
  settings: MeltanoSetting[]
  config: Record<string, unknown>
  select: string[]
  metadata: Record<string, Record<string, string>>
}

/**
 * The tap-postgres extractor of the repository's meltano.yml. A reader for that file's own shape
 * (two-space YAML, scalars, one level of lists and maps), not a YAML parser.
 */
export function readMeltanoYml(path = join(REPO_ROOT, 'meltano.yml')): MeltanoExtractor {
  const lines = readFileSync(path, 'utf8').split('\n')
  const start = lines.findIndex((l) => /^\s+- name: tap-postgres$/.test(l))
  if (start < 0) throw new Error('no tap-postgres extractor in meltano.yml')
  const indent = lines[start].indexOf('-') + 2
  const body: string[] = []
  for (const l of lines.slice(start + 1)) {
    if (l.trim() !== '' && !l.trim().startsWith('#') && l.search(/\S/) < indent) break
    body.push(l)
  }
  const block = (key: string): string[] => {
    const i = body.findIndex((l) => l.search(/\S/) === indent && l.trim() === `${key}:`)
    if (i < 0) return []
    const out: string[] = []
    for (const l of body.slice(i + 1)) {
      if (l.trim() === '' || l.trim().startsWith('#')) continue
      if (l.search(/\S/) <= indent && !l.trim().startsWith('- ')) break
      if (l.search(/\S/) < indent) break
      out.push(l)
    }
    return out
  }
  const scalar = (v: string): string =>
    v
      .trim()
      .replace(/^'(.*)'$/, '$1')
      .replace(/^"(.*)"$/, '$1')
  const settings: MeltanoSetting[] = []
  for (const l of block('settings')) {
    // `- name: x` at the list's indent, the setting's keys two deeper; deeper lines (options) skipped.
    const item = new RegExp(`^ {${indent}}- name: (\\S+)$`).exec(l)
    if (item) settings.push({ name: item[1], kind: 'string', sensitive: false })
    const m = new RegExp(`^ {${indent + 2}}(\\w+): (.+)$`).exec(l)
    const s = settings[settings.length - 1]
    if (!m || !s) continue
    if (m[1] === 'kind') s.kind = m[2].trim()
    if (m[1] === 'value') s.value = JSON.parse(m[2])
    if (m[1] === 'sensitive') s.sensitive = m[2].trim() === 'true'
  }
  const config: Record<string, unknown> = {}
  for (const l of block('config')) {
    const m = /^\s*(\w+):\s*(.+)$/.exec(l)
    if (m) config[m[1]] = yamlScalar(m[2])
  }
  const metadata: Record<string, Record<string, string>> = {}
  let stream: string | undefined
  for (const l of block('metadata')) {
    const m = /^(\s*)([^:\s]+):\s*(.*)$/.exec(l)
    if (!m) continue
    if (m[3] === '') {
      stream = m[2]
      metadata[stream] = {}
    } else if (stream) {
      metadata[stream][m[2]] = scalar(m[3])
    }
  }
  return {
    capabilities: block('capabilities').map((l) => scalar(l.replace(/^\s*-\s*/, ''))),
    settings,
    config,
    select: block('select').map((l) => scalar(l.replace(/^\s*-\s*/, ''))),
    metadata,
  }
}

/** A plain YAML scalar: integers, booleans, quoted or bare strings. */
function yamlScalar(raw: string): unknown {
  const v = raw.trim()
  if (/^-?\d+$/.test(v)) return Number(v)
  if (v === 'true' || v === 'false') return v === 'true'
  return v.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1')
}

// ------------------------------------------------------------------------------- catalog rules

interface MetadataRule {
  tapStreamId: string | string[]
  breadcrumb: string[]
  key: string
  value: unknown
  negated: boolean
}

/** Python's fnmatch.fnmatch on POSIX: `*`, `?`, `[seq]`, `[!seq]`, whole string, case-sensitive. */
export function fnmatch(name: string, pattern: string): boolean {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*') re += '[\\s\\S]*'
    else if (c === '?') re += '[\\s\\S]'
    else if (c === '[') {
      const j = pattern.indexOf(']', i + 2)
      if (j < 0) re += '\\['
      else {
        let set = pattern.slice(i + 1, j).replace(/\\/g, '\\\\')
        if (set.startsWith('!')) set = '^' + set.slice(1)
        re += `[${set}]`
        i = j
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^(?:${re})$`).test(name)
}

function ruleMatches(rule: MetadataRule, tapStreamId: string, breadcrumb?: string[]): boolean {
  const patterns = Array.isArray(rule.tapStreamId) ? rule.tapStreamId : [rule.tapStreamId]
  let result = patterns.some((p) => fnmatch(tapStreamId, p))
  if (rule.negated) result = !result
  if (breadcrumb !== undefined) result = result && fnmatch(breadcrumb.join('.'), rule.breadcrumb.join('.'))
  return result
}

const propertyBreadcrumb = (props: string[]): string[] => props.flatMap((p) => ['properties', p])

/** catalog.py select_metadata_rules: includes first, then excludes. */
function selectMetadataRules(patterns: readonly string[]): MetadataRule[] {
  const include: MetadataRule[] = []
  const exclude: MetadataRule[] = []
  for (const raw of patterns) {
    const negated = raw.startsWith('!')
    const pattern = negated ? raw.slice(1) : raw
    const dot = pattern.search(/(?<!\\)\./)
    const streamPattern = (dot < 0 ? pattern : pattern.slice(0, dot)).replace(/\\\./g, '.')
    const propPattern = dot < 0 ? undefined : pattern.slice(dot + 1)
    const selected = !negated
    const rules = selected ? include : exclude
    const select = (props: string[] = []): MetadataRule => ({
      tapStreamId: streamPattern,
      breadcrumb: propertyBreadcrumb(props),
      key: 'selected',
      value: selected,
      negated: false,
    })
    if (!propPattern) {
      rules.push(select(), select(['*']))
    } else {
      if (selected || propPattern === '*') rules.push(select())
      const props = propPattern.split('.')
      rules.push(select(props))
      if (selected) for (let idx = 1; idx < props.length; idx++) rules.push(select(props.slice(0, idx)))
    }
  }
  return [...include, ...exclude]
}

/** tap.py config_metadata_rules: `<tap_stream_id>[.<prop>...].<key>: value` from the flattened `metadata`. */
function configMetadataRules(metadata: Record<string, unknown>): MetadataRule[] {
  const flat: Array<[string, unknown]> = []
  const flatten = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v))
        flatten(v as Record<string, unknown>, `${prefix}${k}.`)
      else flat.push([`${prefix}${k}`, v])
    }
  }
  flatten(metadata, '')
  return flat.map(([key, value]) => {
    const parts = key.split('.')
    return {
      tapStreamId: parts[0],
      breadcrumb: propertyBreadcrumb(parts.slice(1, -1)),
      key: parts[parts.length - 1],
      value,
      negated: false,
    }
  })
}

type Node = Record<string, unknown>

/** catalog.py MetadataExecutor(...).visit(catalog), in place. */
function applyMetadataRules(catalog: Node, rules: readonly MetadataRule[]): void {
  let stream: Node | undefined
  const metadataList = (): Node[] => (stream as { metadata: Node[] }).metadata
  const ensureMetadata = (breadcrumb: string[]): void => {
    if (metadataList().some((m) => JSON.stringify(m.breadcrumb) === JSON.stringify(breadcrumb))) return
    metadataList().push({
      breadcrumb,
      metadata: { inclusion: breadcrumb.length <= 2 ? 'automatic' : 'available' },
    })
  }
  const setMetadata = (node: Node, key: string, value: unknown): void => {
    if (key === 'selected' && value === true && node.inclusion === 'unsupported') return
    node[key] = value
  }
  const execute = (kind: 'stream' | 'property' | 'metadata', node: Node, path: string): void => {
    if (kind === 'stream') {
      stream = node
      node.metadata ??= []
      ensureMetadata([])
      for (const r of rules)
        if (ruleMatches(r, node.tap_stream_id as string, []))
          setMetadata(node, r.key.replace(/-/g, '_'), r.value)
    } else if (kind === 'property') {
      ensureMetadata(path.slice(path.indexOf('properties')).split('.'))
    } else {
      const id = (stream as Node).tap_stream_id as string
      for (const r of rules)
        if (ruleMatches(r, id, node.breadcrumb as string[]))
          setMetadata(node.metadata as Node, r.key, r.value)
    }
  }
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) visit(node[i], `${path}[${i}]`)
      return
    }
    if (node === null || typeof node !== 'object' || !isPlainObject(node)) return
    let kind: 'stream' | 'property' | 'metadata' | undefined
    if (/streams\[\d+\]$/.test(path)) kind = 'stream'
    if (/schema(\.properties\.[\p{L}\p{N}_]*)+$/u.test(path)) kind = 'property'
    if (/metadata\[\d+\]$/.test(path) && 'breadcrumb' in (node as Node)) kind = 'metadata'
    if (kind) execute(kind, node as Node, path)
    for (const [key, child] of Object.entries(node as Node)) {
      if (kind === 'property' && (key === 'anyOf' || key === 'type')) continue
      visit(child, `${path}.${key}`)
    }
  }
  visit(catalog, '')
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * tap.py apply_catalog_rules on the text discovery wrote: `!*.*`, the select patterns, the metadata
 * rules; written back with indent 2. Numbers stay exact (Python's json keeps big integers).
 */
export function applyCatalogRules(
  catalogText: string,
  select: readonly string[],
  metadata: Record<string, unknown>,
): string {
  const catalog = parseLossless(catalogText) as Node
  applyMetadataRules(catalog, [
    ...selectMetadataRules(['!*.*']),
    ...selectMetadataRules(select),
    ...configMetadataRules(metadata),
  ])
  return stringifyLossless(catalog, undefined, 2) as string
}

// ------------------------------------------------------------------------------- config, env, logging

/** Python json.dumps of a setting value (", " between array items), as stringify_value does. */
function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`)
      .join(', ')}}`
  return JSON.stringify(v)
}

/** The run directory Meltano prepares for one invocation (.meltano/run/tap-postgres). */
export interface MeltanoRun {
  dir: string
  configPath: string
  catalogPath: string
  statePath: string
  env: Record<string, string>
}

export interface RunSetup {
  /** Setting values: meltano.yml `value:` defaults, then these (config, environment, .env). */
  config: Record<string, unknown>
  /** Meltano's log parser for the plugin: `singer-sdk` (structured-logging) or none (plain). */
  structured: boolean
  /** Meltano's own log level, written as the root level of the logging config. */
  level?: string
}

export function prepareRun(extractor: MeltanoExtractor, setup: RunSetup): MeltanoRun {
  const dir = mkdtempSync(join(tmpdir(), 'meltano-run-'))
  const values: Record<string, unknown> = {}
  for (const s of extractor.settings) if (s.value !== undefined) values[s.name] = s.value
  Object.assign(values, setup.config)
  const config: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined) config[k] = v
  const configPath = join(dir, `tap.${randomUUID()}.config.json`)
  writeFileSync(configPath, JSON.stringify(config, null, 2))
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(config))
    env[`TAP_POSTGRES_${k.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = typeof v === 'string' ? v : pyJson(v)
  const level = setup.level ?? 'INFO'
  const sdkLogging = join(dir, 'tap.singer_sdk_logging.json')
  writeFileSync(
    sdkLogging,
    JSON.stringify(
      {
        version: 1,
        disable_existing_loggers: setup.structured,
        formatters: {
          singer_formatter: setup.structured
            ? { '()': 'singer_sdk.logging.StructuredFormatter' }
            : { format: '%(message)s' },
        },
        handlers: {
          console: {
            class: 'logging.StreamHandler',
            formatter: 'singer_formatter',
            stream: 'ext://sys.stderr',
          },
        },
        root: { handlers: ['console'], level },
      },
      null,
      2,
    ),
  )
  const pipelinewiseLogging = join(dir, 'tap.pipelinewise_logging.conf')
  writeFileSync(
    pipelinewiseLogging,
    `[loggers]\nkeys=root\n\n[handlers]\nkeys=console\n\n[formatters]\nkeys=default\n\n[logger_root]\nhandlers=console\n\n[handler_console]\nclass=StreamHandler\nlevel=${level}\nformatter=default\nargs=(sys.stderr,)\n\n[formatter_default]\nformat=%(message)s\n`,
  )
  env.SINGER_SDK_LOG_CONFIG = sdkLogging
  env.LOGGING_CONF_FILE = pipelinewiseLogging
  return {
    dir,
    configPath,
    catalogPath: join(dir, 'tap.properties.json'),
    statePath: join(dir, 'state.json'),
    env,
  }
}

/** SingerTap.exec_args: `--config C`, `--catalog K` if it has data, `--state S` if it has data. */
function execArgs(run: MeltanoRun, opts: { catalog: boolean; state: boolean }): string[] {
  return [
    '--config',
    run.configPath,
    ...(opts.catalog ? ['--catalog', run.catalogPath] : []),
    ...(opts.state ? ['--state', run.statePath] : []),
  ]
}

/**
 * `meltano run`'s discovery: `<exec args> --discover`, stdout written to tap.properties.json (a
 * failed discovery removes the file), then the catalog rules applied to it.
 */
export async function discoverAndApplyRules(
  extractor: MeltanoExtractor,
  run: MeltanoRun,
  opts: { state: boolean; select?: string[]; metadata?: Record<string, unknown> },
): Promise<TapResult> {
  const r = await runTap([...execArgs(run, { catalog: false, state: opts.state }), '--discover'], {
    env: { ...run.env, LOG_LEVEL: undefined },
  })
  if (r.code !== 0) return r
  writeFileSync(run.catalogPath, r.stdout)
  writeFileSync(
    run.catalogPath,
    applyCatalogRules(r.stdout, opts.select ?? extractor.select, opts.metadata ?? extractor.metadata),
  )
  return r
}

/** The sync invocation: `--config C --catalog K [--state S]`. */
export function sync(run: MeltanoRun, opts: { state: boolean } & RunOptions): Promise<TapResult> {
  const { state, ...runOpts } = opts
  return runTap(execArgs(run, { catalog: true, state }), {
    ...runOpts,
    env: { ...run.env, LOG_LEVEL: undefined, ...runOpts.env },
  })
}

export interface ConfigTestResult {
  /** True when a RECORD arrived (what `meltano config test` reports as success). */
  recordReceived: boolean
  code: number | null
  signal: NodeJS.Signals | null
  /** ms from SIGTERM to the process exit. */
  exitMs: number
  /** stdout and stderr as one stream, as Meltano reads them. */
  lines: string[]
}

/**
 * plugin_test_service.py ExtractorTestService.validate: the sync invocation with stderr into the
 * stdout pipe; each line parsed as JSON, the first RECORD (or BATCH) → terminate() (SIGTERM); then
 * wait. Meltano keeps reading into its buffer meanwhile (asyncio), so this reads on too.
 */
export function configTest(run: MeltanoRun, opts: { timeoutMs?: number } = {}): Promise<ConfigTestResult> {
  return new Promise((resolve, reject) => {
    // `2>&1` in a shell that then becomes the tap: one pipe for both streams, as Meltano asks for.
    const child = spawn(
      '/bin/sh',
      ['-c', 'exec "$0" "$@" 2>&1', process.execPath, BIN, ...execArgs(run, { catalog: true, state: false })],
      {
        env: { ...process.env, ...run.env, LOG_LEVEL: undefined },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const lines: string[] = []
    let pending = ''
    let recordReceived = false
    let termAt = 0
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      pending += chunk
      let i: number
      while ((i = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, i).trim()
        pending = pending.slice(i + 1)
        lines.push(line)
        if (recordReceived) continue
        let type: unknown
        try {
          type = (JSON.parse(line) as { type?: unknown }).type
        } catch {
          continue
        }
        if (type === 'RECORD' || type === 'BATCH') {
          recordReceived = true
          termAt = performance.now()
          child.kill('SIGTERM')
        }
      }
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`config test timed out; last lines: ${lines.slice(-5).join('\n')}`))
    }, opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (pending.trim() !== '') lines.push(pending.trim())
      resolve({ recordReceived, code, signal, exitMs: termAt === 0 ? 0 : performance.now() - termAt, lines })
    })
  })
}

/** The Singer messages among mixed lines: each line parsed on its own, as Meltano does. */
export function singerMessages(lines: readonly string[]): ReturnType<typeof parseMessages> {
  return lines.flatMap((l) => {
    try {
      const m = JSON.parse(l) as { type?: unknown }
      return typeof m.type === 'string' ? [m as ReturnType<typeof parseMessages>[number]] : []
    } catch {
      return []
    }
  })
}

// ------------------------------------------------------------------------------- structured logs

export interface ParsedLogRecord {
  level: number
  message: string
  extra: Record<string, unknown>
  timestamp?: string
  loggerName: string
  exception?: { type: string; module: string; message: string }
}

const PY_LEVELS: Record<string, number> = {
  CRITICAL: 50,
  FATAL: 50,
  ERROR: 40,
  WARN: 30,
  WARNING: 30,
  INFO: 20,
  DEBUG: 10,
  NOTSET: 0,
}

/** logging/parsers.py SingerSDKLogParser.parse: undefined where Meltano would fall back to a plain line. */
export function parseSdkLogLine(raw: string): ParsedLogRecord | undefined {
  const line = raw.trim()
  if (!(line.startsWith('{') && line.endsWith('}'))) return undefined
  let data: Record<string, unknown>
  try {
    data = JSON.parse(line) as Record<string, unknown>
  } catch {
    return undefined
  }
  const required = ['level', 'pid', 'logger_name', 'ts', 'thread_name', 'app_name', 'stream_name', 'message']
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !required.every((k) => k in data))
    return undefined
  const { level, logger_name, ts, message, exception, extra, ...rest } = data
  if (typeof level !== 'string') return undefined
  let exc: ParsedLogRecord['exception']
  if (exception) {
    const e = exception as Record<string, unknown>
    // PluginException.from_dict: type, module and message are required.
    if (typeof e.type !== 'string' || typeof e.module !== 'string' || typeof e.message !== 'string')
      return undefined
    exc = { type: e.type, module: e.module, message: e.message }
  }
  return {
    level: PY_LEVELS[level.toUpperCase()] ?? 20,
    message: message as string,
    extra: { ...rest, ...((extra as Record<string, unknown> | undefined) ?? {}) },
    timestamp: ts ? String(ts) : undefined,
    loggerName: logger_name as string,
    exception: exc,
  }
}
