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
})
