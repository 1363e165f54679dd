/**
 * `--config ENV` end to end through the built CLI: every setting from TAP_POSTGRES_* variables and a
 * `.env` file in the tap's working directory, no config file; variables already set win over the
 * file; a missing setting is one line naming the variable; a secret is never printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterInfo, createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  records,
  selectStreams,
  writeCatalog,
} from '../sync/catalog-helpers.js'

// The harness server trusts local connections, so a password is accepted and ignored: enough to
// prove it is redacted and never echoed.
const SECRET = 's3cret-Pa55-in-dotenv'

let db: string
let catalog: string

/** Every TAP_POSTGRES_* variable of the test process removed, so only what a test gives counts. */
const CLEAN_ENV: Record<string, string | undefined> = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k.startsWith('TAP_POSTGRES_') || k === 'LOG_LEVEL' || k === 'LOGLEVEL')
    .map((k) => [k, undefined]),
)

/** A fresh working directory holding a `.env` with `lines`. */
function workDir(lines: Record<string, string | number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tap-envcwd-'))
  writeFileSync(
    join(dir, '.env'),
    Object.entries(lines)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  )
  return dir
}

function connectionLines(extra: Record<string, string | number> = {}): Record<string, string | number> {
  const c = clusterInfo()
  return {
    TAP_POSTGRES_HOST: c.host,
    TAP_POSTGRES_PORT: c.port,
    TAP_POSTGRES_USER: c.user,
    TAP_POSTGRES_DBNAME: db,
    TAP_POSTGRES_PASSWORD: c.password ?? SECRET,
    ...extra,
  }
}

function expectNoSecret(r: TapResult): void {
  expect(r.stdout).not.toContain(SECRET)
  expect(r.stderr).not.toContain(SECRET)
}

beforeAll(async () => {
  db = await createTestDatabase('config_env')
  await withAdmin(db, (c) =>
    c.query(`
    CREATE TABLE items (id int PRIMARY KEY, name text);
    INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 25) g;
  `),
  )
  catalog = writeCatalog(
    selectStreams(await discoverCatalog(writeConfig(db)), { items: { method: 'FULL_TABLE' } }),
  )
})

afterAll(async () => {
  await dropTestDatabase(db)
})

describe('--config ENV', () => {
  it('discover: every setting from ./.env, no config file (both command forms)', async () => {
    const cwd = workDir(connectionLines())
    for (const args of [
      ['--config', 'ENV', '--discover'],
      ['discover', '--config=ENV', '--debug'],
    ]) {
      const r = await runTap(args, { cwd, env: CLEAN_ENV })
      expect(r.code, r.stderr).toBe(0)
      expect(
        (JSON.parse(r.stdout) as { streams: Array<{ tap_stream_id: string }> }).streams.map(
          (s) => s.tap_stream_id,
        ),
      ).toEqual(['public-items'])
      expectNoSecret(r)
    }
  })

  it('sync: records from the settings of ./.env; --debug says where they came from, without values', async () => {
    const cwd = workDir(connectionLines())
    const r = await runTap(['sync', '--config', 'ENV', '--catalog', catalog, '--debug'], {
      cwd,
      env: CLEAN_ENV,
    })
    expectSuccess(r)
    expect(records(r.messages, 'public-items')).toHaveLength(25)
    expect(r.stderr).toContain(`settings from TAP_POSTGRES_* variables and ${join(cwd, '.env')}`)
    expectNoSecret(r)
  })

  it('variables already set win over ./.env', async () => {
    // .env names a database that does not exist; the variable set by the caller names the right one.
    const cwd = workDir(connectionLines({ TAP_POSTGRES_DBNAME: 'no_such_database_here' }))
    const r = await runTap(['--config', 'ENV', '--catalog', catalog], {
      cwd,
      env: { ...CLEAN_ENV, TAP_POSTGRES_DBNAME: db },
    })
    expectSuccess(r)
    expect(records(r.messages, 'public-items')).toHaveLength(25)
    // And without the variable, the file's value is used (and fails on the missing database).
    const fromFile = await runTap(['--config', 'ENV', '--catalog', catalog], { cwd, env: CLEAN_ENV })
    expect(fromFile.code).toBe(1)
    expect(fromFile.stderr).toContain('no_such_database_here')
    expectNoSecret(fromFile)
  })

  it('with a config file: merged, the variables (and ./.env) win over the file', async () => {
    // The file alone points at a closed port; .env corrects it.
    const file = writeConfig(db, { port: 1, application_name: 'from_file' })
    const cwd = workDir({ TAP_POSTGRES_PORT: clusterInfo().port })
    const r = await runTap(['sync', '--config', file, '--config', 'ENV', '--catalog', catalog], {
      cwd,
      env: CLEAN_ENV,
    })
    expectSuccess(r)
    expect(records(r.messages, 'public-items')).toHaveLength(25)
    // Without ENV, .env is not read: the file's closed port fails the run.
    const without = await runTap(['sync', '--config', file, '--catalog', catalog], { cwd, env: CLEAN_ENV })
    expect(without.code).toBe(1)
  })

  it('a missing required setting: one line naming the variable to set, exit 2, no secret', async () => {
    const { TAP_POSTGRES_DBNAME: _omit, ...lines } = connectionLines()
    const cwd = workDir(lines)
    const r = await runTap(['discover', '--config', 'ENV'], { cwd, env: CLEAN_ENV })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      "error: invalid config: config['dbname'] is required (hint: set TAP_POSTGRES_DBNAME in the environment or ./.env)\n",
    )
    expectNoSecret(r)
  })

  it('no .env and no variables: every required setting named on one line', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tap-envcwd-'))
    const r = await runTap(['discover', '--config', 'ENV'], { cwd, env: CLEAN_ENV })
    expect(r.code).toBe(2)
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(
      'set TAP_POSTGRES_HOST, TAP_POSTGRES_USER, TAP_POSTGRES_DBNAME in the environment or ./.env',
    )
  })

  it('without --config, a TAP_POSTGRES_* variable that is no setting does not stand in for the config', async () => {
    const cwd = workDir(connectionLines())
    const r = await runTap(['discover'], { cwd, env: { ...CLEAN_ENV, TAP_POSTGRES_NOT_A_SETTING: '1' } })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'error: missing --config: give a config JSON file (hint: or --config ENV to read every setting from TAP_POSTGRES_* variables and ./.env)\n',
    )
  })
})
