import { describe, expect, it } from 'vitest'
import {
  decidePublication,
  type PublicationInfo,
  type PublishedRelation,
  type PublishedStream,
} from '../../src/replication/publication.js'
import type { LogBasedTableFacts, RelationFacts } from '../../src/replication/replica-identity.js'

const pub: PublicationInfo = {
  name: 'tap_pub',
  owner: 'tap',
  allTables: false,
  viaRoot: false,
  operations: ['insert', 'update', 'delete', 'truncate'],
  tables: [],
}

const keyed = (tableName: string, extra: Partial<RelationFacts> = {}): RelationFacts => ({
  schemaName: 'public',
  tableName,
  relkind: 'r',
  replident: 'd',
  hasPrimaryKey: true,
  hasIdentityIndex: false,
  ...extra,
})

const facts = (
  tableName: string,
  extra: Partial<RelationFacts> = {},
  partitions: RelationFacts[] = [],
): LogBasedTableFacts => ({
  ...keyed(tableName, extra),
  partitions,
})

const stream = (tableName: string, extra: Partial<PublishedStream> = {}): PublishedStream => ({
  tapStreamId: `public-${tableName}`,
  schemaName: 'public',
  tableName,
  columns: ['id', 'v'],
  loadsFromScratch: true,
  ...extra,
})

const rel = (tableName: string, extra: Partial<PublishedRelation> = {}): PublishedRelation => ({
  schemaName: 'public',
  tableName,
  relkind: 'r',
  isPartition: false,
  listed: false,
  member: false,
  rowFilter: null,
  columns: null,
  generated: [],
  ...extra,
})

describe('decidePublication', () => {
  it('adds a table the publication lacks when its stream loads from scratch and it has a replica identity', () => {
    const d = decidePublication(pub, [stream('t')], [facts('t')], [rel('t')])
    expect(d).toEqual({ add: [{ schemaName: 'public', tableName: 't' }], refusals: [], adminSql: [] })
  })

  it('leaves a covered table, and everything under FOR ALL TABLES, as it is', () => {
    expect(
      decidePublication(pub, [stream('t')], [facts('t')], [rel('t', { listed: true, member: true })]),
    ).toEqual({
      add: [],
      refusals: [],
      adminSql: [],
    })
    expect(
      decidePublication({ ...pub, allTables: true }, [stream('t')], [facts('t')], [rel('t')]).add,
    ).toEqual([])
  })

  it('refuses a streaming table the publication lacks: its changes since the bookmark were never sent', () => {
    const d = decidePublication(pub, [stream('t', { loadsFromScratch: false })], [facts('t')], [rel('t')])
    expect(d.add).toEqual([])
    expect(d.refusals).toEqual([
      'stream public-t: table public.t is not in publication "tap_pub", so its changes since the stream\'s bookmark were never sent (pgoutput sends a table\'s changes from when it joins the publication)',
    ])
    expect(d.adminSql).toEqual(['ALTER PUBLICATION "tap_pub" ADD TABLE "public"."t"'])
  })

  it('never adds a table without a usable replica identity', () => {
    const d = decidePublication(pub, [stream('k')], [facts('k', { hasPrimaryKey: false })], [rel('k')])
    expect(d.add).toEqual([])
    expect(d.refusals[0]).toMatch(
      /^stream public-k: table public\.k is not in publication "tap_pub" and is not added: public\.k has no primary key and REPLICA IDENTITY DEFAULT, .*refuse the application's UPDATEs and DELETEs/,
    )
  })

  it('adds a partitioned table itself (its partitions, future ones too, publish under their own names)', () => {
    const parts = [keyed('p1', { relkind: 'r' }), keyed('p2', { relkind: 'r' })]
    const f = facts('p', { relkind: 'p', hasPrimaryKey: false }, parts)
    const rels = [
      rel('p', { relkind: 'p' }),
      rel('p1', { isPartition: true, listed: true }),
      rel('p2', { isPartition: true }),
    ]
    expect(decidePublication(pub, [stream('p')], [f], rels).add).toEqual([
      { schemaName: 'public', tableName: 'p' },
    ])
    // Its partitions listed one by one is not enough: one attached later would not be.
    rels[2] = rel('p2', { isPartition: true, listed: true })
    expect(decidePublication(pub, [stream('p')], [f], rels).add).toEqual([
      { schemaName: 'public', tableName: 'p' },
    ])
    rels[0] = rel('p', { relkind: 'p', member: true })
    expect(decidePublication(pub, [stream('p')], [f], rels)).toEqual({ add: [], refusals: [], adminSql: [] })
  })

  it('does not add a partitioned table one of whose partitions has no usable replica identity', () => {
    const f = facts('p', { relkind: 'p' }, [keyed('p1'), keyed('p2', { replident: 'n' })])
    const d = decidePublication(pub, [stream('p')], [f], [rel('p', { relkind: 'p' })])
    expect(d.add).toEqual([])
    expect(d.refusals[0]).toContain('public.p2 has REPLICA IDENTITY NOTHING')
  })

  it('refuses publish_via_partition_root for a partitioned table or a partition: a TRUNCATE of one partition is not sent', () => {
    const viaRoot = { ...pub, viaRoot: true }
    const f = facts('p', { relkind: 'p' }, [keyed('p1')])
    const d = decidePublication(
      viaRoot,
      [stream('p'), stream('p1'), stream('plain')],
      [f, facts('p1'), facts('plain')],
      [
        rel('p', { relkind: 'p', member: true }),
        rel('p1', { isPartition: true }),
        rel('plain', { listed: true }),
      ],
    )
    expect(d.refusals).toHaveLength(2)
    expect(d.refusals[0]).toMatch(
      /^stream public-p: publication "tap_pub" has publish_via_partition_root = true/,
    )
    expect(d.refusals[1]).toContain('of the table public.p1 belongs to at all')
    expect(d.adminSql).toEqual(['ALTER PUBLICATION "tap_pub" SET (publish_via_partition_root = false)'])
  })

  it('refuses a publication that leaves operations out', () => {
    const d = decidePublication(
      { ...pub, operations: ['insert', 'update'] },
      [stream('t')],
      [facts('t')],
      [rel('t', { listed: true })],
    )
    expect(d.refusals).toEqual([
      'publication "tap_pub" does not publish delete, truncate: those changes would never reach the tap',
    ])
    expect(d.adminSql).toEqual([
      `ALTER PUBLICATION "tap_pub" SET (publish = 'insert, update, delete, truncate')`,
    ])
  })

  it('refuses a row filter, and a column list without every column the stream emits', () => {
    const filtered = decidePublication(
      pub,
      [stream('t')],
      [facts('t')],
      [rel('t', { listed: true, rowFilter: '(id > 10)' })],
    )
    expect(filtered.refusals).toEqual([
      'stream public-t: publication "tap_pub" publishes only the rows of public.t where (id > 10)',
    ])
    const narrow = decidePublication(
      pub,
      [stream('t')],
      [facts('t')],
      [rel('t', { listed: true, columns: ['id', 'other'] })],
    )
    expect(narrow.refusals).toEqual([
      'stream public-t: publication "tap_pub" leaves column v of public.t out (a column list)',
    ])
    // Deselected columns may be left out.
    const wide = decidePublication(
      pub,
      [stream('t', { columns: ['id'] })],
      [facts('t')],
      [rel('t', { listed: true, columns: ['id', 'x'] })],
    )
    expect(wide.refusals).toEqual([])
  })

  it('refuses a selected generated column (pgoutput never sends it); a deselected one is fine', () => {
    const d = decidePublication(
      pub,
      [stream('t')],
      [facts('t')],
      [rel('t', { listed: true, generated: ['v'] })],
    )
    expect(d.refusals).toEqual([
      'stream public-t: column v of public.t is generated, and pgoutput does not send generated columns; deselect it, or stream the table through a wal2json slot',
    ])
    const deselected = decidePublication(
      pub,
      [stream('t', { columns: ['id'] })],
      [facts('t')],
      [rel('t', { listed: true, generated: ['v'] })],
    )
    expect(deselected.refusals).toEqual([])
    // Not added either.
    const notYet = decidePublication(pub, [stream('t')], [facts('t')], [rel('t', { generated: ['v'] })])
    expect(notYet.add).toEqual([])
    expect(notYet.refusals).toHaveLength(1)
  })

  it('passes over a table gone since the plan', () => {
    expect(decidePublication(pub, [stream('gone')], [], [])).toEqual({ add: [], refusals: [], adminSql: [] })
  })
})
