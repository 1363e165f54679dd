import { describe, expect, it } from 'vitest'
import {
  assessConnectionBudget,
  assessReplication,
  assessSchemas,
  assessServerVersion,
  formatBytes,
  listsPlugin,
  pluginInUse,
  probeBlocker,
} from '../../src/check/assess.js'
import { allPassed, formatFinding, type Finding } from '../../src/check/findings.js'
import type { ServerFacts, SlotFacts } from '../../src/check/server-facts.js'
import { classifyProbeError } from '../../src/check/plugin-probe.js'
import { buildConfig } from '../../src/config/load-config.js'

const config = (extra: Record<string, unknown> = {}) =>
  buildConfig([{ host: 'h', user: 'u', dbname: 'shop', ...extra }]).config
const lines = (fs: readonly Finding[]) => fs.map(formatFinding)

const FACTS: ServerFacts = {
  serverVersion: '15.4',
  serverVersionNum: 150004,
  walLevel: 'logical',
  outputPluginLibraries: null,
  inRecovery: false,
  user: 'u',
  database: 'shop',
  isSuperuser: false,
  canReplicate: true,
  maxConnections: 100,
  reservedConnections: 3,
  clientBackends: 10,
  roleConnLimit: -1,
  roleBackends: 1,
  databaseConnLimit: -1,
  databaseBackends: 5,
  maxWalSenders: 10,
  walSenders: 0,
}
const SLOT: SlotFacts = {
  name: 'pipelinewise_shop',
  plugin: 'wal2json',
  slotType: 'logical',
  database: 'shop',
  active: false,
  activePid: null,
  walStatus: 'reserved',
  lagBytes: 3 * 1024 * 1024,
  retainedBytes: 4n * 1024n * 1024n,
  safeWalSize: null,
}

describe('findings', () => {
  it('prints a padded level, subject and detail on one line', () => {
    expect(formatFinding({ level: 'fail', subject: 'wal_level', detail: 'replica\n(x)' })).toBe(
      'FAIL  wal_level: replica (x)',
    )
    expect(formatFinding({ level: 'ok', subject: 'a', detail: 'b' })).toBe('ok    a: b')
    expect(formatFinding({ level: 'warn', subject: 'a', detail: 'b' })).toBe('warn  a: b')
    expect(allPassed([{ level: 'warn', subject: 'a', detail: 'b' }])).toBe(true)
    expect(allPassed([{ level: 'fail', subject: 'a', detail: 'b' }])).toBe(false)
  })
})

describe('assessServerVersion', () => {
  it('needs PostgreSQL 10', () => {
    expect(formatFinding(assessServerVersion(FACTS))).toBe('ok    server version: 15.4')
    expect(
      formatFinding(assessServerVersion({ ...FACTS, serverVersion: '9.6.24', serverVersionNum: 90624 })),
    ).toBe('FAIL  server version: 9.6.24: tap-postgres needs PostgreSQL 10 or later')
    expect(formatFinding(assessServerVersion({ ...FACTS, inRecovery: true }))).toBe(
      'ok    server version: 15.4 (a standby)',
    )
  })
})

describe('assessSchemas', () => {
  const pub = { schema: 'public', exists: true, usage: true, relations: 3, readable: 3 }
  it('summarises readable relations', () => {
    expect(lines(assessSchemas(config(), [pub]))).toEqual([
      'ok    privileges: 3 tables and views readable in 1 schema',
    ])
  })
  it('warns about schemas without USAGE unless filter_schemas names them', () => {
    const other = { schema: 'other', exists: true, usage: false, relations: 1, readable: 0 }
    expect(lines(assessSchemas(config(), [pub, other]))).toEqual([
      'warn  schema other: no USAGE privilege, its 1 table or view is left out (GRANT USAGE ON SCHEMA ... TO ...)',
      'ok    privileges: 3 tables and views readable in 1 schema',
    ])
    expect(lines(assessSchemas(config({ filter_schemas: 'public,other' }), [pub, other]))[0]).toMatch(
      /^FAIL {2}schema other: no USAGE/,
    )
  })
  it('fails on a listed schema that does not exist and on nothing readable', () => {
    const gone = { schema: 'gone', exists: false, usage: false, relations: 0, readable: 0 }
    expect(lines(assessSchemas(config({ filter_schemas: 'gone' }), [gone]))).toEqual([
      'FAIL  schema gone: does not exist (listed in filter_schemas)',
      'FAIL  privileges: no table or view is readable in filter_schemas: nothing to sync',
    ])
  })
})

describe('assessConnectionBudget', () => {
  it('counts free connections against max_workers + 1, this session excluded', () => {
    // 100 - 3 reserved - 10 in use + 1 (this check) = 88
    expect(formatFinding(assessConnectionBudget(config(), FACTS, true))).toBe(
      'ok    connections: 88 free (max_connections 100, 10 in use, 3 reserved); a run opens up to 5 (max_workers 4 + 1 main)',
    )
  })
  it('names the tightest limit', () => {
    const f = assessConnectionBudget(
      config({ max_workers: 8 }),
      { ...FACTS, databaseConnLimit: 10, databaseBackends: 5 },
      true,
    )
    expect(formatFinding(f)).toBe(
      'FAIL  connections: 6 free (CONNECTION LIMIT 10 of database shop, 5 in use); a run opens up to 9 (max_workers 8 + 1 main): lower max_workers or raise the limit',
    )
  })
  it('counts the walsender in max_connections before PostgreSQL 12', () => {
    const f = assessConnectionBudget(config(), { ...FACTS, serverVersionNum: 110000 }, true)
    expect(formatFinding(f)).toMatch(/a run opens up to 6 \(max_workers 4 \+ 1 main \+ 1 replication\)$/)
  })
})

describe('wal2json helpers', () => {
  it('reads output_plugin_libraries lists', () => {
    expect(listsPlugin('pgoutput, test_decoding, wal2json', 'wal2json')).toBe(true)
    expect(listsPlugin('"$libdir/wal2json.so"', 'wal2json')).toBe(true)
    expect(listsPlugin('pgoutput,wal2json_fork', 'wal2json')).toBe(false)
    expect(listsPlugin('', 'wal2json')).toBe(false)
  })
  it('runs the probe only when it can work', () => {
    expect(probeBlocker(FACTS, 'wal2json')).toBeUndefined()
    expect(probeBlocker({ ...FACTS, walLevel: 'replica' }, 'wal2json')).toBe('wal_level is not logical')
    expect(probeBlocker({ ...FACTS, canReplicate: false }, 'wal2json')).toBe('the user lacks REPLICATION')
    expect(probeBlocker({ ...FACTS, outputPluginLibraries: 'pgoutput' }, 'wal2json')).toBe(
      'output_plugin_libraries does not list it',
    )
  })
  it('classifies the server errors of the probe', () => {
    expect(
      classifyProbeError({
        code: '58P01',
        message: 'could not access file "wal2json": No such file or directory',
      }).status,
    ).toBe('missing')
    expect(
      classifyProbeError({ code: '42501', message: 'library "wal2json" may not be used as an output plugin' })
        .status,
    ).toBe('not-allowed')
    expect(classifyProbeError({ code: '53400', message: 'all replication slots are in use' }).status).toBe(
      'no-free-slot',
    )
    expect(
      classifyProbeError({ code: '57014', message: 'canceling statement due to statement timeout' }).status,
    ).toBe('timeout')
    expect(classifyProbeError({ code: 'XX000', message: 'boom\ndetail' })).toEqual({
      status: 'error',
      message: 'boom',
    })
  })
  it('formats WAL sizes', () => {
    expect(formatBytes(0)).toBe('0 bytes')
    expect(formatBytes(1536)).toBe('1.5 kB')
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GB')
  })
})

describe('assessReplication', () => {
  const run = (
    extra: Record<string, unknown>,
    facts: Partial<ServerFacts>,
    slots: SlotFacts[],
    probe: Parameters<typeof assessReplication>[1]['probe'] = { status: 'ok' },
    publication?: Parameters<typeof assessReplication>[1]['publication'],
  ) => {
    const c = config(extra)
    return lines(
      assessReplication(c, {
        facts: { ...FACTS, ...facts },
        slots,
        plugin: pluginInUse(c, slots),
        probe,
        publication,
      }),
    )
  }

  it('reports everything ok with a healthy slot', () => {
    expect(run({}, {}, [SLOT])).toEqual([
      'ok    wal_level: logical',
      'ok    replication privilege: u has REPLICATION',
      'ok    wal2json: usable (a temporary slot with it was created and dropped)',
      'ok    replication slot: pipelinewise_shop (wal2json, holds 3.0 MB of WAL)',
      'ok    wal senders: 10 of 10 free (max_wal_senders)',
    ])
  })

  it('makes LOG_BASED problems failures only when LOG_BASED is the default', () => {
    // No slot yet: the plugin checked is what `slot create` makes (pgoutput).
    const facts = { walLevel: 'replica', outputPluginLibraries: 'test_decoding' }
    const probe = { status: 'skipped' as const, reason: 'wal_level is not logical' }
    const soft = run({}, facts, [], probe)
    const hard = run({ default_replication_method: 'LOG_BASED' }, facts, [], probe)
    expect(soft).toContain(
      'warn  wal_level: replica (LOG_BASED needs logical: set wal_level = logical and restart the server)',
    )
    expect(hard).toContain(
      'FAIL  wal_level: replica (LOG_BASED needs logical: set wal_level = logical and restart the server)',
    )
    expect(hard).toContain(
      "FAIL  output_plugin_libraries: 'test_decoding' does not list pgoutput (add it and reload the server configuration)",
    )
    expect(hard).toContain(
      'FAIL  replication slot: pipelinewise_shop does not exist; `tap-postgres slot create` creates pipelinewise_shop',
    )
    expect(hard).toContain('warn  pgoutput: not checked: wal_level is not logical')
    expect(soft.some((l) => l.startsWith('FAIL'))).toBe(false)
  })

  it('reports a missing wal2json with the package to install', () => {
    expect(
      run({ default_replication_method: 'LOG_BASED' }, {}, [SLOT], { status: 'missing', message: 'x' }),
    ).toContain(
      'FAIL  wal2json: not installed on the server (install wal2json for PostgreSQL 15, e.g. the postgresql-15-wal2json package; or use a pgoutput slot, which needs no extension)',
    )
  })

  it('uses the first default slot that exists, and explains unusable slots', () => {
    const withTap = { tap_id: 'etl', default_replication_method: 'LOG_BASED' }
    const second = { ...SLOT, name: 'pipelinewise_shop_etl', lagBytes: null }
    expect(run(withTap, {}, [second])).toContain('ok    replication slot: pipelinewise_shop_etl (wal2json)')
    expect(run(withTap, {}, [second, { ...SLOT, plugin: 'test_decoding' }])).toContain(
      'FAIL  replication slot: pipelinewise_shop uses the plugin test_decoding, not pgoutput or wal2json',
    )
    expect(run(withTap, {}, [{ ...SLOT, database: 'other', walStatus: 'lost' }])).toContain(
      'FAIL  replication slot: pipelinewise_shop decodes database other, not shop; has lost WAL it needed (drop it, create it again and resync the LOG_BASED streams)',
    )
    expect(run(withTap, {}, [{ ...SLOT, active: true, activePid: 42 }])).toContain(
      'FAIL  replication slot: pipelinewise_shop is in use by process 42 (another run?): a LOG_BASED run could not stream from it now',
    )
    expect(run({ default_replication_method: 'LOG_BASED' }, { walSenders: 10 }, [SLOT])).toContain(
      'FAIL  wal senders: all 10 in use (max_wal_senders): a LOG_BASED run could not start streaming',
    )
  })

  it('warns about an unreserved slot with the WAL it retains, without failing (the slot still works until the next checkpoint)', () => {
    const unreserved = { ...SLOT, walStatus: 'unreserved', retainedBytes: 50331648n, safeWalSize: -1024n }
    const out = run({ default_replication_method: 'LOG_BASED' }, {}, [unreserved])
    expect(out).toContain(
      'warn  replication slot: pipelinewise_shop is unreserved: it retains 48 MB of WAL (pg_current_wal_lsn() - restart_lsn: 50331648 bytes), ' +
        'more than max_slot_wal_keep_size allows (safe_wal_size -1024 bytes), and the next checkpoint may remove WAL it needs, which loses the slot; ' +
        'run a LOG_BASED sync now so it catches up, or raise max_slot_wal_keep_size',
    )
    expect(out.some((l) => l.startsWith('FAIL'))).toBe(false)
    const active = run({ default_replication_method: 'LOG_BASED' }, {}, [
      { ...unreserved, active: true, activePid: 7 },
    ]).filter((l) => l.includes('replication slot'))
    expect(active).toHaveLength(2)
    expect(active[0]).toMatch(/^FAIL {2}replication slot: pipelinewise_shop is in use by process 7/)
    expect(active[1]).toMatch(/^warn {2}replication slot: pipelinewise_shop is unreserved/)
  })

  it("checks the plugin of the slot runs will use, and a pgoutput slot's publication", () => {
    const pgoutput = { ...SLOT, plugin: 'pgoutput' }
    const info = {
      name: 'pipelinewise_shop',
      owner: 'u',
      allTables: false,
      viaRoot: false,
      operations: ['insert', 'update', 'delete', 'truncate'],
      tables: [{ schemaName: 'public', tableName: 'orders' }],
    }
    const lb = { default_replication_method: 'LOG_BASED' }
    const found = run(
      lb,
      { outputPluginLibraries: 'pgoutput' },
      [pgoutput],
      { status: 'ok' },
      { name: 'pipelinewise_shop', info },
    )
    expect(found).toEqual([
      'ok    wal_level: logical',
      'ok    replication privilege: u has REPLICATION',
      'ok    output_plugin_libraries: lists pgoutput (pgoutput)',
      'ok    pgoutput: usable (a temporary slot with it was created and dropped)',
      'ok    replication slot: pipelinewise_shop (pgoutput, holds 3.0 MB of WAL)',
      'ok    publication: pipelinewise_shop covers 1 table (public.orders)',
      'ok    wal senders: 10 of 10 free (max_wal_senders)',
    ])
    expect(run(lb, {}, [pgoutput], { status: 'ok' }, { name: 'p', info: undefined })).toContain(
      'FAIL  publication: p does not exist, and one created now cannot be decoded for the WAL the slot already holds: drop the slot and run `tap-postgres slot create`, which creates the publication first',
    )
    expect(
      run(
        lb,
        {},
        [pgoutput],
        { status: 'ok' },
        { name: 'p', info: { ...info, operations: ['insert', 'update', 'delete'] } },
      ),
    ).toContain('FAIL  publication: p does not publish truncate (ALTER PUBLICATION ... SET (publish = ...))')
    expect(run(lb, {}, [pgoutput], { status: 'ok' }, { name: 'p', info: { ...info, tables: [] } })).toContain(
      'ok    publication: p covers no table yet (a LOG_BASED run adds the tables it streams)',
    )
  })
})
