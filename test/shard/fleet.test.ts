import { describe, expect, it } from 'vitest'
import type { ServerFacts } from '../../src/check/server-facts.js'
import { buildConfig } from '../../src/config/load-config.js'
import { fleetBudget, shardSlotName } from '../../src/shard/fleet.js'
import { formatPlan } from '../../src/shard/report.js'
import { splitStreams, type SizedStream } from '../../src/shard/split.js'

const config = (extra: Record<string, unknown> = {}) =>
  buildConfig([{ host: 'h', user: 'u', dbname: 'shop', ...extra }]).config

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

const s = (id: string, bytes: number, method: SizedStream['method'] = 'FULL_TABLE'): SizedStream => ({
  tapStreamId: id,
  method,
  bytes,
  rows: bytes / 100,
})
const STREAMS = [
  s('public-a', 9000),
  s('public-b', 5000, 'LOG_BASED'),
  s('public-c', 4000, 'LOG_BASED'),
  s('public-d', 100),
]

describe('fleetBudget', () => {
  it('the fleet: N × (max_workers + 2) at most; N × (max_workers + 1) from max_connections on PostgreSQL 12+', () => {
    const b = fleetBudget(config({ max_workers: 4 }), FACTS, splitStreams(STREAMS, 3))
    expect(b).toMatchObject({
      shards: 3,
      fleetMax: 18,
      clientNeed: 15,
      free: 88,
      logBasedShards: 2,
      walSendersFree: 10,
    })
    expect(b.why).toBe('max_connections 100, 10 in use, 3 reserved')
    expect(b.refusal).toBeUndefined()
  })

  it('refuses N the free connections cannot carry, with the numbers', () => {
    const b = fleetBudget(config({ max_workers: 30 }), FACTS, splitStreams(STREAMS, 3))
    expect(b.refusal).toBe(
      '3 shards need up to 93 connections for table reads and main connections (3 × (max_workers 30 + 1)), the server has 88 free (max_connections 100, 10 in use, 3 reserved)',
    )
    // The tightest limit counts: a role's CONNECTION LIMIT.
    const role = fleetBudget(
      config({ max_workers: 2 }),
      { ...FACTS, roleConnLimit: 8, roleBackends: 1 },
      splitStreams(STREAMS, 3),
    )
    expect(role.refusal).toBe(
      '3 shards need up to 9 connections for table reads and main connections (3 × (max_workers 2 + 1)), the server has 8 free (CONNECTION LIMIT 8 of role u, 1 in use)',
    )
  })

  it("before PostgreSQL 12 each LOG_BASED shard's walsender takes a client slot too", () => {
    const b = fleetBudget(
      config({ max_workers: 4 }),
      { ...FACTS, serverVersionNum: 110010 },
      splitStreams(STREAMS, 3),
    )
    expect(b.clientNeed).toBe(17)
  })

  it('refuses more LOG_BASED shards than free wal senders', () => {
    const b = fleetBudget(
      config({ max_workers: 1 }),
      { ...FACTS, maxWalSenders: 3, walSenders: 2 },
      splitStreams(STREAMS, 3),
    )
    expect(b.refusal).toBe(
      '2 shards stream LOG_BASED changes, one wal sender each, the server has 1 free (max_wal_senders 3, 2 in use)',
    )
  })
})

describe('shardSlotName', () => {
  it('derives one slot per shard from the name a single tap would create', () => {
    expect(shardSlotName(config(), 1)).toBe('pipelinewise_shop_shard_1')
    expect(shardSlotName(config({ tap_id: 'EU-1' }), 2)).toBe('pipelinewise_shop_eu_1_shard_2')
    expect(shardSlotName(config({ replication_slot_name: 'orders_slot' }), 3)).toBe('orders_slot_shard_3')
  })

  it('stays within 63 characters, and distinct per shard', () => {
    const long = config({ replication_slot_name: 'x'.repeat(70) })
    const names = [1, 2, 10, 11].map((i) => shardSlotName(long, i))
    for (const n of names) expect(n.length).toBeLessThanOrEqual(63)
    expect(new Set(names).size).toBe(4)
  })
})

describe('formatPlan', () => {
  const report = (shards: number, streams = STREAMS) => {
    const split = splitStreams(streams, shards)
    return formatPlan(
      {
        catalogPath: 'catalog.json',
        server: 'h:5432/shop as u',
        shards: split,
        files: split.map((x) => `out/shard-${x.index}.catalog.json`),
        budget: fleetBudget(config(), FACTS, split),
        unselected: 2,
        removedFiles: [],
      },
      config(),
    )
  }

  it("lists each shard's streams, the fleet budget and the Meltano select patterns", () => {
    const text = report(3).join('\n')
    expect(text).toContain('Plan: 4 selected streams of catalog.json in 3 shards')
    expect(text).toContain('2 streams not selected in the catalog are left out of the shard catalogs.')
    expect(text).toContain('shard 1: 1 stream, ~90 rows, 9000 bytes -> out/shard-1.catalog.json')
    expect(text).toMatch(/^ {2}public-b {2}LOG_BASED {4}~50 rows, 5000 bytes$/m)
    expect(text).toContain('Connections: the fleet opens at most 3 × (max_workers 4 + 2) = 18 at once')
    expect(text).toContain(
      'Server: 88 connections free (max_connections 100, 10 in use, 3 reserved); the fleet needs up to 15 of them, and 2 of 10 free wal senders',
    )
    expect(text).toContain('  shard 3: public-c.* public-d.*')
    expect(text).toContain(
      'Balance: heaviest shard 9000 bytes, lightest 4100 bytes (shard 1 is one stream: a stream is never split across shards).',
    )
  })

  it('LOG_BASED in two shards: each needs its own slot, with names and the command to create it', () => {
    const text = report(3).join('\n')
    expect(text).toContain('LOG_BASED: shards 2, 3 stream changes; each needs its own replication slot')
    expect(text).toContain(
      '  shard 2: replication_slot_name pipelinewise_shop_shard_2  (TAP_POSTGRES_REPLICATION_SLOT_NAME=pipelinewise_shop_shard_2 tap-postgres slot create --config <config>)',
    )
    expect(text).toContain('  shard 3: replication_slot_name pipelinewise_shop_shard_3')
    expect(text).not.toContain('shard 1: replication_slot_name')
  })

  it('LOG_BASED in one shard: that shard keeps the configured slot', () => {
    const text = report(2, [s('public-a', 9000), s('public-b', 5000, 'LOG_BASED'), s('public-d', 100)]).join(
      '\n',
    )
    expect(text).toContain(
      'LOG_BASED: only shard 2 streams changes, through the slot its settings name (pipelinewise_shop); no other shard may use that slot.',
    )
    expect(text).not.toContain('replication_slot_name pipelinewise')
  })

  it('no LOG_BASED: no slot lines', () => {
    const text = report(2, [s('public-a', 1), s('public-d', 2)]).join('\n')
    expect(text).not.toMatch(/^LOG_BASED/m)
    expect(text).not.toContain('replication_slot_name')
    expect(text).not.toContain('wal senders')
  })
})
