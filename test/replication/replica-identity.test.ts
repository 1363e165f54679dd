import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.js'
import {
  decideReplicaIdentity,
  identityProblem,
  type LogBasedTableFacts,
  type RelationFacts,
} from '../../src/replication/replica-identity.js'
import { thrownBy } from '../harness/thrown.js'

const rel = (tableName: string, patch: Partial<RelationFacts> = {}): RelationFacts => ({
  schemaName: 'public',
  tableName,
  relkind: 'r',
  replident: 'd',
  hasPrimaryKey: true,
  hasIdentityIndex: false,
  ...patch,
})
const table = (tableName: string, patch: Partial<LogBasedTableFacts> = {}): LogBasedTableFacts => ({
  ...rel(tableName),
  partitions: [],
  ...patch,
})
const stream = (tableName: string) => ({
  tapStreamId: `public-${tableName}`,
  schemaName: 'public',
  tableName,
})

describe('identityProblem', () => {
  it('accepts a primary key under DEFAULT, FULL, and USING INDEX while the index exists', () => {
    expect(identityProblem(rel('t'))).toBeUndefined()
    expect(identityProblem(rel('t', { replident: 'f', hasPrimaryKey: false }))).toBeUndefined()
    expect(
      identityProblem(rel('t', { replident: 'i', hasPrimaryKey: false, hasIdentityIndex: true })),
    ).toBeUndefined()
  })

  it('names what is missing otherwise', () => {
    expect(identityProblem(rel('t', { hasPrimaryKey: false }))).toBe(
      'has no primary key and REPLICA IDENTITY DEFAULT',
    )
    expect(identityProblem(rel('t', { replident: 'n' }))).toBe('has REPLICA IDENTITY NOTHING')
    expect(identityProblem(rel('t', { replident: 'i' }))).toMatch(
      /USING INDEX on an index that no longer exists/,
    )
    expect(identityProblem(rel('t', { relkind: 'f' }))).toMatch(/foreign table/)
  })

  it("leaves a partitioned table's own setting alone (its changes come from its partitions)", () => {
    expect(identityProblem(rel('t', { relkind: 'p', hasPrimaryKey: false }))).toBeUndefined()
  })
})

describe('decideReplicaIdentity', () => {
  it('passes tables with a usable identity, and gives partitioned ones their leaf partitions', () => {
    const d = decideReplicaIdentity(
      [stream('a'), stream('p')],
      [
        table('a'),
        table('p', {
          relkind: 'p',
          hasPrimaryKey: false,
          partitions: [
            rel('p_1'),
            rel('p_sub', { relkind: 'p' }),
            rel('p_sub_1', { replident: 'f', hasPrimaryKey: false }),
          ],
        }),
      ],
    )
    expect(d.warnings).toEqual([])
    expect(d.streams.get('public-a')).toEqual({ partitions: undefined, insertsOnly: false })
    expect(d.streams.get('public-p')).toEqual({
      partitions: [
        { schemaName: 'public', tableName: 'p_1' },
        { schemaName: 'public', tableName: 'p_sub_1' },
      ],
      insertsOnly: false,
    })
  })

  it('refuses a table without a usable identity, naming the stream, the table, what was found and the fixes', () => {
    const e = thrownBy(InputError, () =>
      decideReplicaIdentity(
        [stream('ok'), stream('nopk')],
        [table('ok'), table('nopk', { hasPrimaryKey: false })],
      ),
    )
    expect(e.code).toBe('STREAM_INVALID')
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe(
      'stream public-nopk: table public.nopk has no primary key and REPLICA IDENTITY DEFAULT; its UPDATEs and DELETEs cannot be streamed (logical decoding has no key to send for them)',
    )
    expect(e.hint).toMatch(
      /a primary key .*ALTER TABLE "public"."nopk" REPLICA IDENTITY FULL .*USING INDEX.*add public-nopk to the log_based_inserts_only setting/,
    )
  })

  it('refuses a partitioned table for its partitions, naming each, in one line', () => {
    const e = thrownBy(InputError, () =>
      decideReplicaIdentity(
        [stream('p'), stream('n')],
        [
          table('p', {
            relkind: 'p',
            partitions: [rel('p_1', { hasPrimaryKey: false }), rel('p_2', { replident: 'n' }), rel('p_3')],
          }),
          table('n', { replident: 'n' }),
        ],
      ),
    )
    expect(e.message).toBe(
      'LOG_BASED streams whose UPDATEs and DELETEs cannot be streamed (logical decoding has no key to send for them): ' +
        'stream public-p: partitions of public.p: public.p_1 has no primary key and REPLICA IDENTITY DEFAULT, public.p_2 has REPLICA IDENTITY NOTHING; ' +
        'stream public-n: table public.n has REPLICA IDENTITY NOTHING',
    )
    expect(e.message).not.toMatch(/\n/)
  })

  it('allows inserts alone for the streams log_based_inserts_only lists, and says so', () => {
    const d = decideReplicaIdentity(
      [stream('nopk')],
      [table('nopk', { hasPrimaryKey: false })],
      ['public-nopk'],
    )
    expect(d.streams.get('public-nopk')).toEqual({ partitions: undefined, insertsOnly: true })
    expect(d.warnings).toEqual([
      'stream public-nopk: inserts only (log_based_inserts_only): table public.nopk has no primary key and REPLICA IDENTITY DEFAULT, so its UPDATEs and DELETEs are not streamed',
    ])
  })

  it('lets one listed stream through, never another', () => {
    const e = thrownBy(InputError, () =>
      decideReplicaIdentity(
        [stream('a'), stream('b')],
        [table('a', { hasPrimaryKey: false }), table('b', { hasPrimaryKey: false })],
        ['public-a'],
      ),
    )
    expect(e.message).toMatch(/^stream public-b: /)
    expect(e.message).not.toContain('public-a')
  })

  it('warns about entries that are not selected LOG_BASED streams or that need no waiver', () => {
    const d = decideReplicaIdentity([stream('a')], [table('a')], ['public-a', 'public-zzz'])
    expect(d.warnings).toEqual([
      'log_based_inserts_only lists public-zzz, which is not a selected LOG_BASED stream; ignored',
      'log_based_inserts_only lists public-a, whose changes all have a key: its UPDATEs and DELETEs are streamed too',
    ])
    expect(d.streams.get('public-a')?.insertsOnly).toBe(false)
  })

  it('never waives a foreign partition (not even its inserts are in the WAL)', () => {
    const e = thrownBy(InputError, () =>
      decideReplicaIdentity(
        [stream('p')],
        [table('p', { relkind: 'p', partitions: [rel('p_remote', { relkind: 'f' })] })],
        ['public-p'],
      ),
    )
    expect(e.message).toMatch(/partition public.p_remote of public.p is a foreign table/)
    expect(e.hint).toMatch(/FULL_TABLE/)
  })

  it('leaves streams whose table has no facts to the plan', () => {
    expect(decideReplicaIdentity([stream('gone')], []).streams.size).toBe(0)
  })
})
