import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  applyDotenv,
  buildConfig,
  configFromEnv,
  configSources,
  hasSettingVariables,
  loadConfig,
} from '../../src/config/load-config.js'
import { ConfigError } from '../../src/errors.js'
import { thrownBy } from '../harness/thrown.js'

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
    const { config } = buildConfig([
      { ...base, ssl: 'true', debug_lsn: 'False', port: '6543', filter_schemas: 'a, b' },
    ])
    expect(config.ssl).toBe(true)
    expect(config.debug_lsn).toBe(false)
    expect(config.port).toBe(6543)
    expect(config.filter_schemas).toEqual(['a', 'b'])
  })

  it('reports every violation with its key', () => {
    const v = violations({
      port: 'x',
      max_workers: 0,
      itersize: 1.5,
      default_replication_method: 'MAGIC',
      fast_sync: 'yes',
    })
    expect(v).toEqual(
      expect.arrayContaining([
        "config['host'] is required",
        "config['user'] is required",
        "config['dbname'] is required",
        "config['port'] must be an integer",
        "config['max_workers'] must be at least 1",
        "config['itersize'] must be an integer",
        "config['default_replication_method'] must be one of FULL_TABLE, INCREMENTAL, LOG_BASED",
        "config['fast_sync'] must be a boolean (true/false)",
      ]),
    )
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
    expect(buildConfig([{ ...base, colour: 'red' }]).warnings).toEqual([
      "unknown config key 'colour' ignored",
    ])
  })

  it('reads TAP_POSTGRES_* variables', () => {
    expect(configFromEnv({ TAP_POSTGRES_HOST: 'h', TAP_POSTGRES_MAX_WORKERS: '2', OTHER: 'x' })).toEqual({
      host: 'h',
      max_workers: '2',
    })
    const { config } = buildConfig([base, configFromEnv({ TAP_POSTGRES_MAX_WORKERS: '2' })])
    expect(config.max_workers).toBe(2)
  })

  it('stream_options: an object from a file or as JSON text (TAP_POSTGRES_STREAM_OPTIONS, as Meltano passes kind: object)', () => {
    const value = { 'public-orders': { custom_where_clauses: ["status = 'paid'", 'id > 10'] } }
    expect(buildConfig([{ ...base, stream_options: value }]).config.stream_options).toEqual(value)
    // Python's json.dumps spacing, and the variable wins over the file.
    const env = configFromEnv({
      TAP_POSTGRES_STREAM_OPTIONS:
        '{"public-orders": {"custom_where_clauses": ["status = \'paid\'", "id > 10"]}}',
    })
    expect(buildConfig([{ ...base, stream_options: { 'public-x': {} } }, env]).config.stream_options).toEqual(
      value,
    )
    expect(buildConfig([base]).config.stream_options).toBeUndefined()
  })

  it('stream_options: every problem names its key path', () => {
    expect(violations({ ...base, stream_options: '{"a": ' })).toEqual([
      "config['stream_options'] must be a JSON object (or its JSON text)",
    ])
    expect(violations({ ...base, stream_options: ['x'] })).toEqual([
      "config['stream_options'] must be a JSON object (or its JSON text)",
    ])
    expect(
      violations({
        ...base,
        stream_options: {
          'public-orders': { custom_where_clauses: ['id > 1', 7, '1=1) OR (true'] },
          'public-items': { custom_where_clause: ['id > 1'] },
          'public-users': { custom_where_clauses: 'id > 1' },
          'public-events': 'id > 1',
          'public-notes': { custom_where_clauses: ['true; DROP TABLE notes', ''] },
        },
      }),
    ).toEqual([
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

/** A temp working directory, with a `.env` holding `dotenv` when given, and optional config files. */
function workDir(dotenv?: string, files: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tap-env-'))
  if (dotenv !== undefined) writeFileSync(join(dir, '.env'), dotenv)
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(value))
  return dir
}

describe('--config ENV', () => {
  it('splits the ENV keyword from config files, wherever it stands', () => {
    expect(configSources(['a.json', 'ENV', 'b.json'])).toEqual({ files: ['a.json', 'b.json'], env: true })
    expect(configSources(['a.json'])).toEqual({ files: ['a.json'], env: false })
    // Only the exact keyword: a file called env is a file.
    expect(configSources(['env', './ENV'])).toEqual({ files: ['env', './ENV'], env: false })
  })

  it('reads every setting from .env in the working directory, with no config file', () => {
    const dir = workDir(
      'TAP_POSTGRES_HOST=db.example\nTAP_POSTGRES_USER=u\nTAP_POSTGRES_DBNAME=shop\nTAP_POSTGRES_MAX_WORKERS=3\nTAP_POSTGRES_FILTER_SCHEMAS=["public","sales"]\n# a comment\nTAP_POSTGRES_PASSWORD="p#ss word"\n',
    )
    const env: NodeJS.ProcessEnv = {}
    const { config, dotenvPath } = loadConfig(['ENV'], env, dir)
    expect(config).toMatchObject({
      host: 'db.example',
      user: 'u',
      dbname: 'shop',
      max_workers: 3,
      filter_schemas: ['public', 'sales'],
      password: 'p#ss word',
    })
    expect(dotenvPath).toBe(join(dir, '.env'))
    // The file acts as exported variables (the SDK's set_as_environment_variables).
    expect(env.TAP_POSTGRES_DBNAME).toBe('shop')
  })

  it('variables already set win over .env (no override)', () => {
    const dir = workDir(
      'TAP_POSTGRES_HOST=from-file\nTAP_POSTGRES_USER=u\nTAP_POSTGRES_DBNAME=d\nLOG_LEVEL=debug\n',
    )
    const env: NodeJS.ProcessEnv = { TAP_POSTGRES_HOST: 'from-shell', LOG_LEVEL: 'warning' }
    const { config } = loadConfig(['ENV'], env, dir)
    expect(config.host).toBe('from-shell')
    expect(env.LOG_LEVEL).toBe('warning')
    expect(applyDotenv({ A: '1' }, { A: '2', B: '3' })).toEqual({ A: '1', B: '3' })
  })

  it('without .env, the variables alone', () => {
    const { config, dotenvPath } = loadConfig(
      ['ENV'],
      { TAP_POSTGRES_HOST: 'h', TAP_POSTGRES_USER: 'u', TAP_POSTGRES_DBNAME: 'd' },
      workDir(),
    )
    expect(config.host).toBe('h')
    expect(dotenvPath).toBeUndefined()
  })

  it('with config files: the files merge left to right, then the variables (shell, then .env) win, wherever ENV stands', () => {
    const dir = workDir('TAP_POSTGRES_PORT=7000\n', {
      'a.json': { ...base, port: 1, max_workers: 2, tap_id: 'a' },
      'b.json': { port: 2, tap_id: 'b' },
    })
    for (const args of [
      [join(dir, 'a.json'), 'ENV', join(dir, 'b.json')],
      ['ENV', join(dir, 'a.json'), join(dir, 'b.json')],
      [join(dir, 'a.json'), join(dir, 'b.json'), 'ENV'],
    ]) {
      const { config } = loadConfig(args, { TAP_POSTGRES_MAX_WORKERS: '5' }, dir)
      expect(config).toMatchObject({ host: 'db', port: 7000, max_workers: 5, tap_id: 'b' })
    }
  })

  it('.env is read only for ENV: a plain config file ignores it', () => {
    const dir = workDir('TAP_POSTGRES_PORT=7000\n', { 'a.json': base })
    const env: NodeJS.ProcessEnv = {}
    expect(loadConfig([join(dir, 'a.json')], env, dir).config.port).toBe(5432)
    expect(env.TAP_POSTGRES_PORT).toBeUndefined()
  })

  it('a missing required setting: one line naming the setting and the variable to set, no value echoed', () => {
    const dir = workDir('TAP_POSTGRES_HOST=h\nTAP_POSTGRES_PASSWORD=hunter2-secret\n')
    const e = thrownBy(ConfigError, () => loadConfig(['ENV'], {}, dir))
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe(
      "invalid config: 2 problems: config['user'] is required; config['dbname'] is required",
    )
    expect(e.hint).toBe('set TAP_POSTGRES_USER, TAP_POSTGRES_DBNAME in the environment or ./.env')
    expect(`${e.message} ${e.hint}`).not.toContain('hunter2')
    expect(`${e.message} ${e.hint}`).not.toContain('\n')
  })

  it('a bad value from .env names the setting, not the value', () => {
    const dir = workDir(
      'TAP_POSTGRES_HOST=h\nTAP_POSTGRES_USER=u\nTAP_POSTGRES_DBNAME=d\nTAP_POSTGRES_PORT=not-a-port\n',
    )
    const e = thrownBy(ConfigError, () => loadConfig(['ENV'], {}, dir))
    expect(e.message).toBe("invalid config: config['port'] must be an integer")
    expect(e.hint).toContain('TAP_POSTGRES_<SETTING>')
  })

  it('only variables that name a setting count as settings from the environment', () => {
    expect(hasSettingVariables({ TAP_POSTGRES_NOT_A_SETTING: '1', TAP_POSTGRES_LOGLEVEL: 'debug' })).toBe(
      false,
    )
    expect(hasSettingVariables({ TAP_POSTGRES_HOST: 'h' })).toBe(true)
  })
})
