import { describe, expect, it } from 'vitest'
import { buildConfig, configFromEnv } from '../../src/config/load-config.js'
import { ConfigError } from '../../src/errors.js'

const base = { host: 'db', user: 'u', dbname: 'd' }

function violations(src: Record<string, unknown>): readonly string[] {
  try {
    buildConfig([src])
  } catch (e) {
    if (e instanceof ConfigError) return e.violations
    throw e
  }
  return []
}

describe('buildConfig', () => {
  it('applies the defaults of the seed', () => {
    const { config } = buildConfig([base])
    expect(config.itersize).toBe(5000)
    expect(config.poll_interval).toBe(5)
    expect(config.max_workers).toBe(4)
    expect(config.port).toBe(5432)
    expect(config.break_at_end_lsn).toBe(true)
    expect(config.application_name).toBe('tap-postgres')
  })

  it('merges sources left to right, later wins', () => {
    const { config } = buildConfig([{ ...base, port: 1 }, { port: 2 }])
    expect(config.port).toBe(2)
  })

  it('accepts pipelinewise string booleans and numeric strings', () => {
    const { config } = buildConfig([{ ...base, ssl: 'true', debug_lsn: 'False', port: '6543', filter_schemas: 'a, b' }])
    expect(config.ssl).toBe(true)
    expect(config.debug_lsn).toBe(false)
    expect(config.port).toBe(6543)
    expect(config.filter_schemas).toEqual(['a', 'b'])
  })

  it('reports every violation with its key', () => {
    const v = violations({ port: 'x', max_workers: 0, itersize: 1.5, default_replication_method: 'MAGIC', fast_sync: 'yes' })
    expect(v).toEqual(expect.arrayContaining([
      "config['host'] is required",
      "config['user'] is required",
      "config['dbname'] is required",
      "config['port'] must be an integer",
      "config['max_workers'] must be at least 1",
      "config['itersize'] must be an integer",
      "config['default_replication_method'] must be one of FULL_TABLE, INCREMENTAL, LOG_BASED",
      "config['fast_sync'] must be a boolean (true/false)",
    ]))
  })

  it('requires the secondary host and port with use_secondary', () => {
    expect(violations({ ...base, use_secondary: true })).toEqual([
      "config['secondary_host'] is required when use_secondary is true",
      "config['secondary_port'] is required when use_secondary is true",
    ])
  })

  it('never echoes a secret value in a violation', () => {
    const v = violations({ ...base, password: 12345678 })
    expect(v.join(' ')).not.toContain('12345678')
  })

  it('warns about unknown keys', () => {
    expect(buildConfig([{ ...base, colour: 'red' }]).warnings).toEqual(["unknown config key 'colour' ignored"])
  })

  it('reads TAP_POSTGRES_* variables', () => {
    expect(configFromEnv({ TAP_POSTGRES_HOST: 'h', TAP_POSTGRES_MAX_WORKERS: '2', OTHER: 'x' })).toEqual({ host: 'h', max_workers: '2' })
    const { config } = buildConfig([base, configFromEnv({ TAP_POSTGRES_MAX_WORKERS: '2' })])
    expect(config.max_workers).toBe(2)
  })

  it('stream_options: an object from a file or as JSON text (TAP_POSTGRES_STREAM_OPTIONS, as Meltano passes kind: object)', () => {
    const value = { 'public-orders': { custom_where_clauses: ["status = 'paid'", 'id > 10'] } }
    expect(buildConfig([{ ...base, stream_options: value }]).config.stream_options).toEqual(value)
    // Python's json.dumps spacing, and the variable wins over the file.
    const env = configFromEnv({ TAP_POSTGRES_STREAM_OPTIONS: '{"public-orders": {"custom_where_clauses": ["status = \'paid\'", "id > 10"]}}' })
    expect(buildConfig([{ ...base, stream_options: { 'public-x': {} } }, env]).config.stream_options).toEqual(value)
    expect(buildConfig([base]).config.stream_options).toBeUndefined()
  })

  it('stream_options: every problem names its key path', () => {
    expect(violations({ ...base, stream_options: '{"a": ' })).toEqual(["config['stream_options'] must be a JSON object (or its JSON text)"])
    expect(violations({ ...base, stream_options: ['x'] })).toEqual(["config['stream_options'] must be a JSON object (or its JSON text)"])
    expect(violations({
      ...base,
      stream_options: {
        'public-orders': { custom_where_clauses: ['id > 1', 7, '1=1) OR (true'] },
        'public-items': { custom_where_clause: ['id > 1'] },
        'public-users': { custom_where_clauses: 'id > 1' },
        'public-events': 'id > 1',
        'public-notes': { custom_where_clauses: ['true; DROP TABLE notes', ''] },
      },
    })).toEqual([
      'stream_options.public-orders.custom_where_clauses[1] must be a string',
      'stream_options.public-orders.custom_where_clauses[2] closes a parenthesis it did not open',
      'stream_options.public-items.custom_where_clause is not a stream option (known: custom_where_clauses)',
      'stream_options.public-users.custom_where_clauses must be an array of strings',
      'stream_options.public-events must be an object (e.g. {"custom_where_clauses": ["..."]})',
      'stream_options.public-notes.custom_where_clauses[0] contains ";" (a clause is one boolean expression, not statements)',
      'stream_options.public-notes.custom_where_clauses[1] is empty',
    ])
  })
})
