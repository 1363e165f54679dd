/**
 * The Meltano emulation the end-to-end tests rely on (test/meltano/meltano.ts), checked against what
 * Meltano's own code does, and the repository's meltano.yml read the way Meltano would read it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../harness/run-tap.js'
import { applyCatalogRules, fnmatch, parseSdkLogLine, readMeltanoYml } from './meltano.js'
import { CAPABILITIES } from '../../src/about.js'
import { SETTINGS } from '../../src/config/schema.js'
import { buildConfig, configFromEnv } from '../../src/config/load-config.js'
import { isColumnDeselected, isStreamSelected, resolveReplication } from '../../src/catalog/metadata.js'
import { parseCatalog } from '../../src/singer/read-inputs.js'
import { parseSdkLogConfig } from '../../src/log/sdk-log-config.js'
import { Logger } from '../../src/log/logger.js'
import { SyncMetrics } from '../../src/log/metrics.js'

function entry(id: string, columns: string[], keys: string[] = ['id']): Record<string, unknown> {
  return {
    table_name: id.split('-')[1],
    stream: id.split('-')[1],
    tap_stream_id: id,
    schema: {
      type: 'object',
      properties: Object.fromEntries(columns.map((c) => [c, { type: ['null', 'string'] }])),
    },
    metadata: [
      {
        breadcrumb: [],
        metadata: { 'table-key-properties': keys, 'schema-name': id.split('-')[0], 'is-view': false },
      },
      ...columns.map((c) => ({
        breadcrumb: ['properties', c],
        metadata: { inclusion: keys.includes(c) ? 'automatic' : 'available', 'selected-by-default': true },
      })),
    ],
  }
}

const DISCOVERED = JSON.stringify(
  {
    streams: [
      entry('public-orders', ['id', 'updated_at', 'secret']),
      entry('public-audit', ['id', 'secret']),
      entry('ops-orders', ['id', 'note']),
    ],
  },
  null,
  2,
)

describe('Meltano catalog rules (emulation of plugin/singer/catalog.py)', () => {
  it('fnmatch behaves as Python: * spans dots, [!x] negates, whole-string match', () => {
    expect(fnmatch('properties.a.properties.b', 'properties.*')).toBe(true)
    expect(fnmatch('public-orders', 'public-*')).toBe(true)
    expect(fnmatch('public-orders', 'public')).toBe(false)
    expect(fnmatch('a', '[!b]')).toBe(true)
    expect(fnmatch('', '')).toBe(true)
    expect(fnmatch('', 'properties.*')).toBe(false)
  })

  it('select patterns: `!*.*` first, includes, then excludes; `selected` in [] metadata, per property and on the stream', () => {
    const out = JSON.parse(
      applyCatalogRules(DISCOVERED, ['public-orders.*', '!*.secret'], {
        'public-orders': { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
      }),
    )
    const [orders, audit, ops] = out.streams
    expect(orders.selected).toBe(true)
    expect(orders.replication_method).toBe('INCREMENTAL')
    expect(orders.replication_key).toBe('updated_at')
    expect(orders.metadata[0].metadata).toMatchObject({
      selected: true,
      'replication-method': 'INCREMENTAL',
      'replication-key': 'updated_at',
    })
    expect(
      orders.metadata.slice(1).map((m: { metadata: { selected: boolean } }) => m.metadata.selected),
    ).toEqual([true, true, false])
    expect(audit.selected).toBe(false)
    expect(audit.metadata[0].metadata.selected).toBe(false)
    expect(ops.selected).toBe(false)

    // What the tap makes of it.
    const catalog = parseCatalog(out)
    expect(catalog.streams.map(isStreamSelected)).toEqual([true, false, false])
    expect(isColumnDeselected(catalog.streams[0], 'secret')).toBe(true)
    expect(isColumnDeselected(catalog.streams[0], 'updated_at')).toBe(false)
    expect(resolveReplication(catalog.streams[0], undefined)).toEqual({
      method: 'INCREMENTAL',
      replicationKey: 'updated_at',
    })
  })

  it('a stream-only pattern selects the stream and all its properties; metadata wildcards reach every stream', () => {
    const out = JSON.parse(
      applyCatalogRules(DISCOVERED, ['ops-orders'], { '*': { 'replication-method': 'FULL_TABLE' } }),
    )
    expect(out.streams.map((s: { selected: boolean }) => s.selected)).toEqual([false, false, true])
    expect(out.streams.map((s: { replication_method: string }) => s.replication_method)).toEqual([
      'FULL_TABLE',
      'FULL_TABLE',
      'FULL_TABLE',
    ])
    expect(
      out.streams[2].metadata
        .slice(1)
        .every((m: { metadata: { selected: boolean } }) => m.metadata.selected === true),
    ).toBe(true)
  })

  it('keeps integers beyond 2^53 exact, as Python does', () => {
    const text = DISCOVERED.replace('"is-view": false', '"is-view": false, "row-count": -9223372036854775808')
    expect(text).toContain('-9223372036854775808')
    expect(applyCatalogRules(text, ['*.*'], {})).toContain('"row-count": -9223372036854775808')
  })
})

describe('meltano.yml', () => {
  const yml = readMeltanoYml()

  it('declares exactly the capabilities --about reports', () => {
    expect(yml.capabilities).toEqual([...CAPABILITIES])
  })

  it('lists every setting with a kind Meltano knows, its default, and sensitive secrets', () => {
    expect(yml.settings.map((s) => s.name)).toEqual(SETTINGS.map((s) => s.name))
    const kinds = new Set([
      'string',
      'integer',
      'decimal',
      'boolean',
      'options',
      'array',
      'object',
      'date_iso8601',
      'file',
      'email',
      'oauth',
    ])
    for (const s of yml.settings) expect(kinds.has(s.kind), `${s.name}: ${s.kind}`).toBe(true)
    for (const spec of SETTINGS) {
      const s = yml.settings.find((x) => x.name === spec.name)
      expect(s?.value).toEqual(spec.default)
      expect(s?.sensitive).toBe(spec.secret === true)
    }
    expect(yml.settings.find((s) => s.name === 'password')).toMatchObject({ kind: 'string', sensitive: true })
  })

  it('its commands run subcommands the tap has', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, unknown>
    }
    const args = [...readFileSync(join(REPO_ROOT, 'meltano.yml'), 'utf8').matchAll(/^\s+args: (.+)$/gm)].map(
      (m) => m[1].trim(),
    )
    expect(args).toEqual(['check', 'slot create', 'slot status', 'slot drop'])
    for (const a of args) expect(Object.keys(manifest.commands)).toContain(a.replace(' ', ':'))
  })

  it('has select and metadata examples for each replication method', () => {
    expect(yml.select).toContain('!*.secret')
    const methods = Object.values(yml.metadata).map((m) => m['replication-method'])
    expect(new Set(methods)).toEqual(new Set(['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED']))
    for (const m of Object.values(yml.metadata))
      if (m['replication-method'] === 'INCREMENTAL') expect(m['replication-key']).toBeTruthy()
  })
})

describe('settings as Meltano passes them in TAP_POSTGRES_* variables', () => {
  it('reads json.dumps text: arrays, booleans, decimals', () => {
    const env = {
      TAP_POSTGRES_FILTER_SCHEMAS: '["public", "sales"]',
      TAP_POSTGRES_SSL: 'false',
      TAP_POSTGRES_POLL_INTERVAL: '2.5',
      TAP_POSTGRES_PORT: '5433',
      TAP_POSTGRES_HOST: 'h',
      TAP_POSTGRES_USER: 'u',
      TAP_POSTGRES_DBNAME: 'd',
    }
    const { config } = buildConfig([configFromEnv(env)])
    expect(config.filter_schemas).toEqual(['public', 'sales'])
    expect(config.ssl).toBe(false)
    expect(config.poll_interval).toBe(2.5)
    expect(config.port).toBe(5433)
    // The pipelinewise comma form still works.
    expect(
      buildConfig([{ host: 'h', user: 'u', dbname: 'd', filter_schemas: 'public, sales' }]).config
        .filter_schemas,
    ).toEqual(['public', 'sales'])
  })
})

describe('structured logging as Meltano asks for it', () => {
  it('reads the formatter from the config file content, not its name', () => {
    const structured = JSON.stringify({
      version: 1,
      formatters: { singer_formatter: { '()': 'singer_sdk.logging.StructuredFormatter' } },
      root: { handlers: ['console'], level: 'DEBUG' },
    })
    const plain = JSON.stringify({
      version: 1,
      formatters: { singer_formatter: { format: '%(message)s' } },
      root: { handlers: ['console'], level: 'WARNING' },
    })
    expect(parseSdkLogConfig(structured)).toEqual({ structured: true, level: 'debug' })
    expect(parseSdkLogConfig(plain)).toEqual({ structured: false, level: 'warning' })
    expect(parseSdkLogConfig('{"root": {"level": 10}}')).toEqual({ structured: false, level: 'debug' })
    expect(parseSdkLogConfig('not a config')).toEqual({ structured: false, level: undefined })
    expect(
      parseSdkLogConfig(
        'version: 1\nformatters:\n  json:\n    (): singer_sdk.logging.StructuredFormatter\nroot:\n  handlers: [console]\n  level: ERROR\n',
      ),
    ).toEqual({ structured: true, level: 'error' })
  })

  it('every line passes singer-sdk log parsing; metrics carry metric_info; the failure line an exception', () => {
    const lines: string[] = []
    const logger = new Logger({
      level: 'info',
      format: 'json',
      secrets: ['hunter2'],
      sink: (l) => lines.push(l),
    })
    logger
      .child({ stream: 'public-orders', worker: 3 })
      .info('Fetched 10 rows total', { big: 12345678901234567890n })
    const metrics = new SyncMetrics(logger)
    metrics.streamStarted('public-orders')
    metrics.recordsWritten('public-orders', 10)
    metrics.streamEnded('public-orders', 'succeeded')
    metrics.close()
    logger.failure('error: cannot connect as x with hunter2 (hint: check)', 'CONNECTION_FAILED')
    const parsed = lines.map(parseSdkLogLine)
    expect(parsed.every((p) => p !== undefined)).toBe(true)
    expect(parsed[0]).toMatchObject({
      level: 20,
      message: 'Fetched 10 rows total',
      loggerName: 'tap-postgres',
      extra: {
        stream_name: 'public-orders',
        worker: 3,
        big: '12345678901234567890',
        app_name: 'tap-postgres',
        thread_name: 'MainThread',
      },
    })
    expect(parsed[1]).toMatchObject({
      message: 'METRIC',
      loggerName: 'tap-postgres.metrics',
      extra: {
        stream_name: 'public-orders',
        metric_info: {
          type: 'counter',
          metric: 'record_count',
          value: 10,
          tags: { stream: 'public-orders' },
        },
      },
    })
    expect(parsed[2]?.extra.metric_info).toMatchObject({
      type: 'timer',
      metric: 'sync_duration',
      tags: { stream: 'public-orders', status: 'succeeded' },
    })
    expect(parsed[3]).toMatchObject({
      level: 40,
      exception: {
        type: 'CONNECTION_FAILED',
        module: 'tap-postgres',
        message: 'cannot connect as x with *** (hint: check)',
      },
    })
    expect(lines.join('\n')).not.toContain('hunter2')
  })
})
