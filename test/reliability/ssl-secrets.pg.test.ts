// Long (~540 lines): every case needs the one private SSL cluster and CA built in beforeAll, too slow to build twice.
/**
 * SSL and secrets on a private cluster (ssl = on, a CA made here with openssl, a password role
 * that pg_hba.conf only lets in over SSL with scram-sha-256, a role that logs in by client
 * certificate):
 * - sslmode verify-full / verify-ca / require, `ssl: true`, client certificates: discover, table
 *   reads on the pool and LOG_BASED streaming all work; a wrong CA, a host the certificate does
 *   not name, no SSL, or no client certificate are one clear error line.
 * - No secret (password, sslkey contents, a URL with a password) appears in any output of a broad
 *   set of invocations, successful or not: every stdout and stderr is searched.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterInfo, writeJsonFile } from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import type { Catalog } from '../../src/singer/catalog-types.js'
import { records, selectStreams, writeCatalog } from '../sync/catalog-helpers.js'
import {
  committed,
  expectCleanError,
  expectNoBackendsLeft,
  startOwnCluster,
  STACK_LINE,
  withClusterAdmin,
  type OwnCluster,
} from './helpers.js'

const enabled = clusterInfo().dataDir !== ''
const DB = 'sslsecrets'
/** The secret every output is searched for: a quote and a backslash, so JSON escaping is covered too. */
const PASSWORD = 'Tap-Secret"Pa55\\w0rd-7f3a'
const WRONG_PASSWORD = 'Wr0ng-Pa55w0rd-c41d'
const URL_PASSWORD = 'Url-Pa55w0rd-9e2b'

let cluster: OwnCluster
let dir: string
let catalog: Catalog
let clientKey: string

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
}

/** A key pair signed by `ca` (or self-signed when ca is undefined), EC P-256: fast to make. */
function makeCert(name: string, subject: string, ca: string | undefined, san?: string): void {
  if (ca === undefined) {
    openssl([
      'req',
      '-x509',
      '-new',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '3',
      '-subj',
      subject,
    ])
    return
  }
  openssl([
    'req',
    '-new',
    '-nodes',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ])
  const ext = join(dir, `${name}.ext`)
  writeFileSync(ext, san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n')
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '3',
    '-extfile',
    ext,
  ])
}

/** Server files must belong to the server's OS user; the key must not be readable by others. */
function serverFile(name: string): string {
  const path = join(dir, name)
  if (cluster?.osUser ?? clusterInfo().osUser) {
    const user = (cluster?.osUser ?? clusterInfo().osUser) as string
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim())
    chownSync(path, uid, gid)
  }
  chmodSync(path, 0o600)
  return path
}

const path = (name: string): string => join(dir, name)

beforeAll(async () => {
  if (!enabled) return
  dir = mkdtempSync(join(tmpdir(), 'tap-ssl-'))
  chmodSync(dir, 0o755)
  makeCert('ca', '/CN=tap-test-ca', undefined)
  makeCert('rogue-ca', '/CN=tap-rogue-ca', undefined)
  makeCert('server', '/CN=127.0.0.1', 'ca', 'IP:127.0.0.1,DNS:localhost')
  makeCert('elsewhere', '/CN=elsewhere.invalid', 'ca', 'DNS:elsewhere.invalid')
  makeCert('client', '/CN=certuser', 'ca')
  for (const f of ['server.key', 'server.crt', 'elsewhere.key', 'elsewhere.crt', 'ca.crt']) serverFile(f)
  // The files the server reads; swapped for elsewhere.* to test host name checks.
  copyFileSync(path('server.crt'), path('live.crt'))
  copyFileSync(path('server.key'), path('live.key'))
  serverFile('live.crt')
  serverFile('live.key')
  clientKey = readFileSync(path('client.key'), 'utf8')

  cluster = await startOwnCluster({
    settings: [
      'ssl = on',
      `ssl_cert_file = '${path('live.crt')}'`,
      `ssl_key_file = '${path('live.key')}'`,
      `ssl_ca_file = '${path('ca.crt')}'`,
      "password_encryption = 'scram-sha-256'",
    ],
  })
  // pwuser only over SSL with its password; certuser only with a client certificate; the rest as before.
  const hba = join(cluster.dataDir, 'pg_hba.conf')
  const before = readFileSync(hba, 'utf8')
  writeFileSync(
    hba,
    [
      'hostssl all pwuser 127.0.0.1/32 scram-sha-256',
      'hostssl all certuser 127.0.0.1/32 cert',
      'host all pwuser 0.0.0.0/0 reject',
      'host all certuser 0.0.0.0/0 reject',
      before,
    ].join('\n'),
  )
  await withClusterAdmin(cluster, 'postgres', async (c) => {
    await c.query(`CREATE ROLE pwuser LOGIN REPLICATION PASSWORD '${PASSWORD.replace(/'/g, "''")}'`)
    await c.query('CREATE ROLE certuser LOGIN REPLICATION')
    await c.query(`CREATE DATABASE ${DB}`)
    await c.query('SELECT pg_reload_conf()')
  })
  await withClusterAdmin(cluster, DB, (c) =>
    c.query(`
    CREATE TABLE a (id int PRIMARY KEY, v text);
    CREATE TABLE b (id int PRIMARY KEY, v text);
    INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 3000) g;
    INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 3000) g;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO pwuser, certuser;
    -- The least-privilege way to pgoutput: an administrator makes the publications (the roles own
    -- neither the tables nor the database); slot create then only makes the slot.
    CREATE PUBLICATION ssl_slot FOR TABLE a;
    CREATE PUBLICATION secret_slot FOR TABLE b;
  `),
  )
  const r = await runTap(['discover', '--config', sslConfig()])
  if (r.code !== 0) throw new Error(`discover over SSL failed: ${r.stderr}`)
  catalog = JSON.parse(r.stdout) as Catalog
})

afterAll(() => {
  cluster?.stop()
})

/** pwuser over verify-full with the CA, plus `extra`. */
function sslConfig(extra: Record<string, unknown> = {}): string {
  const cfg: Record<string, unknown> = {
    host: '127.0.0.1',
    port: cluster.port,
    user: 'pwuser',
    password: PASSWORD,
    dbname: DB,
    sslmode: 'verify-full',
    sslrootcert: path('ca.crt'),
    max_workers: 2,
    itersize: 500,
    ...extra,
  }
  for (const [k, v] of Object.entries(cfg)) if (v === undefined) delete cfg[k]
  return writeJsonFile('config.json', cfg)
}

const fullCatalog = (): string =>
  writeCatalog(selectStreams(catalog, { a: { method: 'FULL_TABLE' }, b: { method: 'FULL_TABLE' } }))

function expectBothTables(r: TapResult): void {
  expect(r.code, r.stderr).toBe(0)
  expect(records(r.messages, 'public-a')).toHaveLength(3000)
  expect(records(r.messages, 'public-b')).toHaveLength(3000)
}

async function swapServerCert(name: 'server' | 'elsewhere'): Promise<void> {
  copyFileSync(path(`${name}.crt`), path('live.crt'))
  copyFileSync(path(`${name}.key`), path('live.key'))
  await withClusterAdmin(cluster, 'postgres', (c) => c.query('SELECT pg_reload_conf()'))
  await new Promise((r) => setTimeout(r, 300))
}

describe.skipIf(!enabled)('SSL against a cluster with a CA made by openssl', () => {
  it('verify-full with the CA: table reads on two workers', async () => {
    expectBothTables(await runTap(['sync', '--config', sslConfig(), '--catalog', fullCatalog()]))
  })

  it('verify-full: LOG_BASED streaming over SSL (the replication connection too)', async () => {
    const app = 'tap_ssl_lb'
    const config = sslConfig({ application_name: app, replication_slot_name: 'ssl_slot' })
    expect((await runTap(['slot', 'create', '--config', config])).code).toBe(0)
    const cat = writeCatalog(selectStreams(catalog, { a: { method: 'LOG_BASED' } }))
    const first = await runTap(['sync', '--config', config, '--catalog', cat])
    expect(first.code, first.stderr).toBe(0)
    await withClusterAdmin(cluster, DB, (c) =>
      c.query(
        `BEGIN; SET LOCAL synchronous_commit = on; INSERT INTO a SELECT g, 'new' FROM generate_series(3001, 3100) g; COMMIT`,
      ),
    )
    const second = await runTap([
      'sync',
      '--config',
      config,
      '--catalog',
      cat,
      '--state',
      writeJsonFile('s.json', committed(first.messages, 'public-a').state),
    ])
    expect(second.code, second.stderr).toBe(0)
    expect(records(second.messages, 'public-a').map((r) => r.id)).toEqual(
      Array.from({ length: 100 }, (_, i) => 3001 + i),
    )
    await expectNoBackendsLeft(cluster, app)
    await withClusterAdmin(cluster, DB, (c) =>
      c.query(`DELETE FROM a WHERE id > 3000; SELECT pg_drop_replication_slot('ssl_slot')`),
    )
  })

  it('verify-ca with a client certificate (cert authentication, no password)', async () => {
    const config = sslConfig({
      user: 'certuser',
      password: undefined,
      sslmode: 'verify-ca',
      sslcert: path('client.crt'),
      sslkey: path('client.key'),
    })
    expectBothTables(await runTap(['sync', '--config', config, '--catalog', fullCatalog()]))
  })

  it("require (encrypted, certificate not checked) and pipelinewise's ssl: true", async () => {
    expectBothTables(
      await runTap([
        'sync',
        '--config',
        sslConfig({ sslmode: 'require', sslrootcert: undefined }),
        '--catalog',
        fullCatalog(),
      ]),
    )
    expectBothTables(
      await runTap([
        'sync',
        '--config',
        sslConfig({ sslmode: undefined, sslrootcert: undefined, ssl: 'true' }),
        '--catalog',
        fullCatalog(),
      ]),
    )
  })

  it("a CA that did not sign the server's certificate: one clear line, exit 1", async () => {
    for (const sslmode of ['verify-ca', 'verify-full']) {
      const r = await runTap([
        'sync',
        '--config',
        sslConfig({ sslmode, sslrootcert: path('rogue-ca.crt') }),
        '--catalog',
        fullCatalog(),
      ])
      expectCleanError(
        r,
        1,
        /^error: cannot connect to 127\.0\.0\.1:\d+\/sslsecrets as pwuser: .*(self[- ]signed|unable to (get|verify)).*certificate/i,
      )
    }
  })

  it('a certificate for another host: verify-full refuses it, verify-ca accepts it', async () => {
    await swapServerCert('elsewhere')
    try {
      const full = await runTap(['sync', '--config', sslConfig(), '--catalog', fullCatalog()])
      expectCleanError(
        full,
        1,
        /^error: cannot connect to 127\.0\.0\.1:\d+\/sslsecrets as pwuser: .*(IP: 127\.0\.0\.1 is not in the cert's list|does not match|altnames)/i,
      )
      expectBothTables(
        await runTap(['sync', '--config', sslConfig({ sslmode: 'verify-ca' }), '--catalog', fullCatalog()]),
      )
    } finally {
      await swapServerCert('server')
    }
  })

  it('no SSL where pg_hba.conf requires it, and no client certificate where one is required: one clear line, exit 1', async () => {
    expectCleanError(
      await runTap(['sync', '--config', sslConfig({ sslmode: 'disable' }), '--catalog', fullCatalog()]),
      1,
      /^error: cannot connect to 127\.0\.0\.1:\d+\/sslsecrets as pwuser: authentication rejected: .*pg_hba\.conf.* for host "127\.0\.0\.1", user "pwuser", database "sslsecrets", no encryption \(hint: .*\)$/,
    )
    expectCleanError(
      await runTap([
        'sync',
        '--config',
        sslConfig({ user: 'certuser', password: undefined }),
        '--catalog',
        fullCatalog(),
      ]),
      1,
      /^error: cannot connect to 127\.0\.0\.1:\d+\/sslsecrets as certuser: authentication rejected: connection requires a valid client certificate \(hint: .*\)$/,
    )
  })

  it('an unreadable sslkey file: one clear line naming the setting, exit 2', async () => {
    const r = await runTap([
      'sync',
      '--config',
      sslConfig({ sslcert: path('client.crt'), sslkey: '/nonexistent/client.key' }),
      '--catalog',
      fullCatalog(),
    ])
    expectCleanError(r, 2, /^error: invalid config: config\['sslkey'\] file cannot be read$/)
  })
})

describe.skipIf(!enabled)('no secret in any output', () => {
  const outputs: Array<{ what: string; r: TapResult; debug: boolean }> = []
  const run = async (what: string, args: string[], env?: Record<string, string>): Promise<TapResult> => {
    const r = await runTap(args, { env, timeoutMs: 60_000 })
    outputs.push({ what, r, debug: args.includes('--debug') || env?.LOG_LEVEL === 'debug' })
    return r
  }
  /** pwuser with its password and a client certificate and key, over verify-full. */
  const secretConfig = (extra: Record<string, unknown> = {}): string =>
    sslConfig({
      sslcert: path('client.crt'),
      sslkey: path('client.key'),
      replication_slot_name: 'secret_slot',
      ...extra,
    })

  it('a broad set of invocations, successful and failing, then every stdout and stderr searched', async () => {
    const config = secretConfig()
    const cat = fullCatalog()
    const logCat = writeCatalog(selectStreams(catalog, { b: { method: 'LOG_BASED' } }))
    const ok = (r: TapResult) => expect(r.code, r.stderr).toBe(0)

    ok(await run('about', ['--about']))
    ok(await run('about json', ['about', '--format', 'json']))
    ok(await run('about markdown', ['about', '--format', 'markdown']))
    ok(await run('discover', ['--config', config, '--discover']))
    ok(
      await run('discover debug json logs', [
        'discover',
        '--config',
        config,
        '--debug',
        '--log-format',
        'json',
      ]),
    )
    ok(await run('check', ['check', '--config', config]))
    ok(await run('slot create', ['slot', 'create', '--config', config]))
    ok(await run('slot status', ['slot', 'status', '--config', config]))
    ok(await run('slot status json', ['slot', 'status', '--config', config, '--json']))
    ok(
      await run('sync diagnostic_mode debug', [
        'sync',
        '--config',
        secretConfig({ diagnostic_mode: true }),
        '--catalog',
        cat,
        '--debug',
      ]),
    )
    ok(
      await run('sync json logs', ['sync', '--config', config, '--catalog', cat, '--log-format', 'json'], {
        LOG_LEVEL: 'debug',
      }),
    )
    const lb = await run('sync LOG_BASED debug', ['sync', '--config', config, '--catalog', logCat], {
      LOG_LEVEL: 'debug',
    })
    ok(lb)
    ok(
      await run(
        'sync LOG_BASED again',
        [
          'sync',
          '--config',
          config,
          '--catalog',
          logCat,
          '--state',
          writeJsonFile('s.json', committed(lb.messages, 'public-b').state),
        ],
        { LOG_LEVEL: 'debug' },
      ),
    )
    ok(
      await run(
        'secrets from TAP_POSTGRES_* variables',
        ['sync', '--config', sslConfig({ password: undefined }), '--catalog', cat],
        {
          TAP_POSTGRES_PASSWORD: PASSWORD,
          TAP_POSTGRES_SSLKEY: path('client.key'),
          TAP_POSTGRES_SSLCERT: path('client.crt'),
        },
      ),
    )
    ok(await run('slot drop', ['slot', 'drop', '--config', config]))

    const failing: Array<[string, string[], Record<string, string>?]> = [
      ['wrong database', ['sync', '--config', secretConfig({ dbname: 'nope' }), '--catalog', cat, '--debug']],
      ['unreachable port', ['--config', secretConfig({ port: 1 }), '--discover', '--debug']],
      [
        'wrong password',
        ['sync', '--config', secretConfig({ password: WRONG_PASSWORD }), '--catalog', cat, '--debug'],
      ],
      ['wrong password, check', ['check', '--config', secretConfig({ password: WRONG_PASSWORD })]],
      [
        'bad catalog',
        ['sync', '--config', config, '--catalog', writeJsonFile('c.json', '{"streams": 1}'), '--debug'],
      ],
      ['bad state', ['sync', '--config', config, '--catalog', cat, '--state', writeJsonFile('s.json', '[]')]],
      ['bad config value', ['sync', '--config', secretConfig({ port: 'x' }), '--catalog', cat]],
      ['missing slot', ['sync', '--config', config, '--catalog', logCat, '--debug']],
      [
        'a URL with a password as host',
        [
          'sync',
          '--config',
          secretConfig({ host: `postgres://pwuser:${URL_PASSWORD}@127.0.0.1:${cluster.port}/${DB}` }),
          '--catalog',
          cat,
          '--debug',
        ],
      ],
      [
        'a URL with a password as host, discover',
        [
          '--config',
          secretConfig({ host: `postgresql://pwuser:${URL_PASSWORD}@db.invalid/x` }),
          '--discover',
        ],
      ],
      [
        'a URL with a password as host, check',
        ['check', '--config', secretConfig({ host: `postgres://pwuser:${URL_PASSWORD}@db.invalid/x` })],
      ],
      [
        'a URL with a password as host, slot status',
        [
          'slot',
          'status',
          '--config',
          secretConfig({ host: `postgres://pwuser:${URL_PASSWORD}@db.invalid/x` }),
          '--json',
        ],
      ],
      [
        'a URL with a password as secondary host',
        [
          'sync',
          '--config',
          secretConfig({
            use_secondary: true,
            secondary_host: `postgres://u:${URL_PASSWORD}@db.invalid`,
            secondary_port: 5432,
          }),
          '--catalog',
          cat,
        ],
      ],
      [
        'a password in the variables, unreachable',
        ['--config', sslConfig({ password: undefined, port: 1 }), '--discover'],
        { TAP_POSTGRES_PASSWORD: PASSWORD },
      ],
    ]
    for (const [what, args, env] of failing) {
      const r = await run(what, args, env)
      expect(r.code, `${what}: ${r.stderr}`).not.toBe(0)
      // check reports a failed connection as its finding on stdout; the others as an error line.
      if (args[0] === 'check') expect(r.stdout, what).toMatch(/^FAIL/m)
      else expect(r.stderr, what).toMatch(/^error: /m)
    }

    const keyBody = clientKey.split('\n').filter((l) => l !== '' && !l.startsWith('-----'))
    expect(keyBody.length).toBeGreaterThan(0)
    const forbidden = [
      PASSWORD,
      JSON.stringify(PASSWORD).slice(1, -1),
      WRONG_PASSWORD,
      URL_PASSWORD,
      ...keyBody,
    ]
    const leaks: string[] = []
    for (const { what, r, debug } of outputs) {
      for (const [stream, text] of [
        ['stdout', r.stdout],
        ['stderr', r.stderr],
      ] as const) {
        for (const secret of forbidden)
          if (text.includes(secret))
            leaks.push(`${what} (${stream}): ${text.split('\n').find((l) => l.includes(secret))}`)
      }
      // Failures are one line without a trace unless --debug asked for one.
      if (!debug) expect(r.stderr, what).not.toMatch(STACK_LINE)
    }
    expect(leaks).toEqual([])
    expect(outputs.length).toBeGreaterThanOrEqual(29)
  }, 300_000)
})
