import { describe, expect, it } from 'vitest'
import { SlotError, TapError } from '../../src/errors.js'
import {
  assertUsable,
  prettyBytes,
  replicationError,
  unreservedSlotWarning,
  type SlotInfo,
} from '../../src/replication/slot.js'

const slot: SlotInfo = {
  name: 's',
  plugin: 'wal2json',
  database: 'db',
  active: false,
  activePid: null,
  confirmedFlushLsn: 10n,
  restartLsn: 5n,
  walStatus: 'reserved',
  lagBytes: 0n,
  retainedBytes: 0n,
  safeWalSize: null,
}

describe('replicationError', () => {
  it.each([
    [
      { code: '58P01', message: 'could not access file "wal2json": No such file or directory' },
      'REPLICATION_UNAVAILABLE',
      'not installed',
    ],
    [
      { code: '55000', message: 'logical decoding requires wal_level >= logical' },
      'REPLICATION_UNAVAILABLE',
      'wal_level',
    ],
    [
      { code: '42704', message: 'replication slot "s" does not exist' },
      'SLOT_ERROR',
      'tap-postgres slot create',
    ],
    [{ code: '55006', message: 'replication slot "s" is active for PID 7' }, 'SLOT_ERROR', 'in use'],
    [
      { code: '42501', message: 'must be superuser or replication role to use replication slots' },
      'REPLICATION_UNAVAILABLE',
      'REPLICATION',
    ],
    [
      { code: '42704', message: 'publication "tap_pub" does not exist' },
      'PUBLICATION_INVALID',
      'creates the publication first',
    ],
    [
      { code: '42501', message: 'library "wal2json" may not be used as an output plugin' },
      'REPLICATION_UNAVAILABLE',
      'or use a pgoutput slot',
    ],
    [
      { code: '42501', message: 'library "pgoutput" may not be used as an output plugin' },
      'REPLICATION_UNAVAILABLE',
      'add pgoutput to output_plugin_libraries',
    ],
    [{ code: 'XX000', message: 'something else\nsecond line' }, 'REPLICATION_FAILED', 'something else'],
  ])('maps %o to %s', (err, code, text) => {
    const e = replicationError(err, 's', 'starting replication')
    expect(e.code).toBe(code)
    expect(`${e.message} ${e.hint ?? ''}`).toContain(text)
    expect(e.message).not.toContain('\n')
  })

  it('keeps a TapError as it is', () => {
    const t = new TapError('OUTPUT_CLOSED', 'x')
    expect(replicationError(t, 's', 'w')).toBe(t)
  })
})

describe('assertUsable', () => {
  it('accepts a wal2json or pgoutput slot of this database', () => {
    expect(() => assertUsable(slot, 'db')).not.toThrow()
    expect(() => assertUsable({ ...slot, plugin: 'pgoutput' }, 'db')).not.toThrow()
  })
  it.each([
    [{ plugin: 'test_decoding' }, 'uses the test_decoding plugin, not pgoutput or wal2json'],
    [{ plugin: null, database: null }, 'physical replication'],
    [{ database: 'other' }, 'belongs to database "other"'],
    [{ walStatus: 'lost' }, 'is lost'],
  ])('refuses %o', (patch, text) => {
    expect(() => assertUsable({ ...slot, ...patch } as SlotInfo, 'db')).toThrow(SlotError)
    expect(() => assertUsable({ ...slot, ...patch } as SlotInfo, 'db')).toThrow(text)
  })
})

describe('unreservedSlotWarning', () => {
  it('says nothing for reserved, extended or unknown status', () => {
    for (const walStatus of ['reserved', 'extended', null])
      expect(unreservedSlotWarning({ ...slot, walStatus })).toBeUndefined()
  })
  it('warns about an unreserved slot with the WAL it retains and safe_wal_size when known', () => {
    const row = { walStatus: 'unreserved', retainedBytes: 50331648n, safeWalSize: -16777216n }
    expect(unreservedSlotWarning(row)).toBe(
      'is unreserved: it retains 48 MB of WAL (pg_current_wal_lsn() - restart_lsn: 50331648 bytes), more than max_slot_wal_keep_size allows ' +
        '(safe_wal_size -16777216 bytes), and the next checkpoint may remove WAL it needs, which loses the slot; run a LOG_BASED sync now so it catches up, or raise max_slot_wal_keep_size',
    )
    expect(unreservedSlotWarning({ ...row, retainedBytes: null, safeWalSize: null })).toMatch(
      /^is unreserved: more than max_slot_wal_keep_size allows, and the next checkpoint/,
    )
  })
})

describe('prettyBytes', () => {
  it.each([
    [0n, '0 bytes'],
    [10239n, '10239 bytes'],
    [10240n, '10 kB'],
    [123456789n, '118 MB'],
    [-20480n, '-20 kB'],
  ])('%s → %s', (b, s) => {
    expect(prettyBytes(b)).toBe(s)
  })
})
