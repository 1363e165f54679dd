// Long (~630 lines): one scenario per rule of ChangeRecords (routing, TOAST, TRUNCATE, versions), sharing one set of stream and event builders.
import { describe, expect, it } from 'vitest'
import type { ColumnInfo } from '../../src/values/pg-type.js'
import { Logger } from '../../src/log/logger.js'
import { BatchBuilder } from '../../src/replication/batch-builder.js'
import { ChangeRecords, nextVersion } from '../../src/replication/change-records.js'
import type { ReplicatedStream } from '../../src/protocol/messages.js'
import type { RelationRoute } from '../../src/replication/replica-identity.js'
import type { TableName } from '../../src/values/pg-type.js'
import { decodeWal2Json } from '../../src/replication/wal2json.js'
import { renderValue } from '../../src/values/index.js'

const col = (name: string, position: number, type: ColumnInfo['type'], sqlType = 'x'): ColumnInfo => ({
  name,
  position,
  type,
  sqlType,
})
const columns: ColumnInfo[] = [
  col('id', 1, { kind: 'integer', bits: 64 }),
  col('ia', 2, { kind: 'array', element: { kind: 'integer', bits: 32 }, delimiter: ',' }),
  col('h', 3, { kind: 'hstore' }),
  col('big', 4, { kind: 'text' }),
]
const stream = (patch: Partial<ReplicatedStream> = {}): ReplicatedStream => ({
  tapStreamId: 'public-t',
  stream: 'public-t',
  schemaName: 'public',
  tableName: 't',
  columns,
  keyProperties: ['id'],
  deselectedColumns: ['secret'],
  schemaWritten: false,
  bookmark: undefined,
  version: 7,
  ...patch,
})

function setup(
  opts: {
    debugLsn?: boolean
    stream?: Partial<ReplicatedStream>
    live?: ColumnInfo[]
    streams?: ReplicatedStream[]
    now?: () => Date
  } = {},
) {
  const lines: string[] = []
  const logger = new Logger({ level: 'info', format: 'text', secrets: [], sink: (l) => lines.push(l) })
  const reads: string[] = []
  const records = new ChangeRecords({
    streams: opts.streams ?? [stream(opts.stream)],
    debugLsn: opts.debugLsn ?? false,
    logger,
    readColumns: async (s, t) => {
      reads.push(`${s}.${t}`)
      return opts.live
    },
    now: opts.now,
  })
  const out = new BatchBuilder()
  return { records, out, logs: lines, reads }
}

/** The record objects' text, without the line around them. */
function recordTexts(out: BatchBuilder): string[] {
  return out.lines
    .split('\n')
    .filter((l) => l.startsWith('{"type":"RECORD"'))
    .map((l) => l.slice(l.indexOf('"record":') + 9, l.lastIndexOf(',"version":')))
}

const change = (json: string) =>
  decodeWal2Json(json) as Extract<ReturnType<typeof decodeWal2Json>, { action: 'I' | 'U' | 'D' }>
const truncate = (table: string, schema = 'public') =>
  decodeWal2Json(JSON.stringify({ action: 'T', schema, table })) as Extract<
    ReturnType<typeof decodeWal2Json>,
    { action: 'T' }
  >
/** Each line's type, and its version where it has one. */
const shapes = (out: BatchBuilder) =>
  out.lines
    .trimEnd()
    .split('\n')
    .map((l) => {
      const m = JSON.parse(l) as { type: string; stream: string; version?: number }
      return `${m.type} ${m.stream} ${m.version}`
    })
const INSERT =
  '{"action":"I","timestamp":"2026-01-02 03:04:05.5+00","schema":"public","table":"t","columns":[{"name":"id","value":9223372036854775807},{"name":"ia","value":"{1,NULL}"},{"name":"h","value":"\\"a\\"=>NULL"},{"name":"big","value":"x"},{"name":"secret","value":"pw"}]}'
const UPDATE_TOAST =
  '{"action":"U","timestamp":"2026-01-02 03:04:05.5+00","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"ia","value":"{}"},{"name":"h","value":null},{"name":"secret","value":"pw"}]}'
const DELETE =
  '{"action":"D","timestamp":"2026-01-02 03:04:05.5+00","schema":"public","table":"t","identity":[{"name":"id","value":1}]}'

describe('ChangeRecords', () => {
  it('renders inserts with the shared renderer, _sdc_deleted_at null, deselected columns left out', () => {
    const { records, out } = setup()
    expect(records.change(0x10n, change(INSERT), out)).toBeUndefined()
    expect(recordTexts(out)).toEqual([
      '{"id":9223372036854775807,"ia":[1,null],"h":{"a":null},"big":"x","_sdc_deleted_at":null}',
    ])
    expect(out.lines).toMatch(
      /^\{"type":"RECORD","stream":"public-t","record":\{.*\},"version":7,"time_extracted":"[^"]+Z"\}\n$/,
    )
    expect(out.records).toBe(1)
    expect([...out.counts]).toEqual([['public-t', 1]])
  })

  it('writes an update without its unchanged TOAST column (never null) and counts it, after one look at the table', async () => {
    const { records, out, reads, logs } = setup({ live: columns })
    await records.change(0x10n, change(UPDATE_TOAST), out)
    expect(records.change(0x11n, change(UPDATE_TOAST), out)).toBeUndefined()
    expect(reads).toEqual(['public.t'])
    expect(recordTexts(out)).toEqual(Array(2).fill('{"id":1,"ia":[],"h":null,"_sdc_deleted_at":null}'))
    expect(records.reports()[0]).toMatchObject({ toastRecords: 2, toastColumns: ['big'] })
    expect(logs.join('\n')).not.toMatch(/dropped|renamed/)
  })

  it('says a column the table no longer has was dropped or renamed, never TOAST, for updates and inserts', async () => {
    const live = [
      col('id', 1, { kind: 'integer', bits: 64 }),
      col('ia2', 2, { kind: 'array', element: { kind: 'integer', bits: 32 }, delimiter: ',' }),
      col('h', 3, { kind: 'hstore' }),
    ]
    const { records, out, reads, logs } = setup({ live })
    // `ia` renamed to `ia2`, `big` dropped: the update has the new name and lacks both.
    await records.change(
      0x10n,
      change(
        '{"action":"U","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"ia2","value":"{2}"},{"name":"h","value":null}]}',
      ),
      out,
    )
    await records.change(
      0x11n,
      change(
        '{"action":"I","schema":"public","table":"t","columns":[{"name":"id","value":2},{"name":"ia2","value":"{3}"},{"name":"h","value":null}]}',
      ),
      out,
    )
    expect(
      records.change(
        0x12n,
        change(
          '{"action":"U","schema":"public","table":"t","columns":[{"name":"id","value":2},{"name":"ia2","value":"{4}"},{"name":"h","value":null}]}',
        ),
        out,
      ),
    ).toBeUndefined()
    expect(reads).toEqual(['public.t', 'public.t'])
    expect(recordTexts(out)).toEqual([
      '{"id":1,"ia2":[2],"h":null,"_sdc_deleted_at":null}',
      '{"id":2,"ia2":[3],"h":null,"_sdc_deleted_at":null}',
      '{"id":2,"ia2":[4],"h":null,"_sdc_deleted_at":null}',
    ])
    expect(records.reports()[0]).toMatchObject({ toastRecords: 0, toastColumns: [] })
    const text = logs.join('\n')
    expect(text).toContain('Columns ia, big of public.t are no longer in the table (dropped or renamed)')
    expect(text).toContain('new in the same change: ia2')
    expect(text.match(/no longer in the table \(dropped/g)).toHaveLength(1)
  })

  it('counts only the still existing columns of an update as TOAST when others were dropped', async () => {
    const live = columns.filter((c) => c.name !== 'h')
    const { records, out, logs } = setup({ live })
    await records.change(
      0x10n,
      change(
        '{"action":"U","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"ia","value":"{}"}]}',
      ),
      out,
    )
    expect(records.reports()[0]).toMatchObject({ toastRecords: 1, toastColumns: ['big'] })
    expect(logs.join('\n')).toContain('Column h of public.t is no longer in the table (dropped or renamed)')
  })

  it('an update made before a rename (it carries the old name) lacks the new name: says so, not TOAST', async () => {
    const live = [
      ...columns.filter((c) => c.name !== 'ia'),
      col('ia2', 2, { kind: 'array', element: { kind: 'integer', bits: 32 }, delimiter: ',' }),
    ]
    // The stream's columns were read after the rename: the change is older than them.
    const { records, out, logs } = setup({ live, stream: { columns: live } })
    await records.change(
      0x10n,
      change(
        '{"action":"U","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"ia","value":"{5}"},{"name":"h","value":null}]}',
      ),
      out,
    )
    await records.change(
      0x11n,
      change(
        '{"action":"I","schema":"public","table":"t","columns":[{"name":"id","value":2},{"name":"ia","value":"{6}"},{"name":"h","value":null},{"name":"big","value":"b"}]}',
      ),
      out,
    )
    // `ia` is no column of the table now: a new column of unknown type, sent as its text.
    expect(recordTexts(out)).toEqual([
      '{"id":1,"h":null,"ia":"{5}","_sdc_deleted_at":null}',
      '{"id":2,"h":null,"big":"b","ia":"{6}","_sdc_deleted_at":null}',
    ])
    expect(records.reports()[0]).toMatchObject({ toastRecords: 0, toastColumns: [] })
    const text = logs.join('\n')
    expect(text).toContain(
      'Updates of public.t made before a column was renamed or dropped (they carry ia, which the table no longer has) come without ia2, big: added or renamed since, or unchanged TOAST values',
    )
    expect(text).toContain(
      'Inserts into public.t made before column ia2 existed under that name (added, or renamed, since) come without it',
    )
  })

  it('says it cannot tell what a missing column was when the table itself is gone', async () => {
    const { records, out, logs } = setup({ live: undefined })
    await records.change(0x10n, change(UPDATE_TOAST), out)
    expect(out.records).toBe(1)
    expect(logs.join('\n')).toContain(
      'public.t no longer exists: whether the column big its changes lack were unchanged TOAST values or were dropped or renamed cannot be told',
    )
  })

  it('says so when an insert lacks a column the table has', async () => {
    const { records, out, logs } = setup({ live: columns })
    await records.change(
      0x10n,
      change(
        '{"action":"I","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"ia","value":"{}"},{"name":"h","value":null}]}',
      ),
      out,
    )
    expect(recordTexts(out)).toEqual(['{"id":1,"ia":[],"h":null,"_sdc_deleted_at":null}'])
    expect(logs.join('\n')).toContain(
      'Inserts into public.t made before column big existed under that name (added, or renamed, since) come without it',
    )
    expect(records.reports()[0].toastRecords).toBe(0)
  })

  it('writes a delete as its key with the commit time, and _sdc_lsn with debug_lsn', () => {
    const { records, out } = setup({ debugLsn: true })
    records.change(0x1_0000_0000n, change(DELETE), out)
    expect(recordTexts(out)).toEqual([
      '{"id":1,"_sdc_deleted_at":"2026-01-02T03:04:05.500000+00:00","_sdc_lsn":"4294967296"}',
    ])
    expect(records.reports()[0].toastRecords).toBe(0)
  })

  it('skips changes of transactions its bookmark already covers (wal2json: the commit end is at or before it)', () => {
    const { records, out } = setup({ stream: { bookmark: 500n } })
    records.begin({ end: 500n })
    records.change(0x10n, change(INSERT), out)
    records.commit()
    records.begin({ end: 501n })
    records.change(0x10n, change(INSERT), out)
    records.commit()
    expect(out.records).toBe(1)
    expect(records.reports()[0].skipped).toBe(1)
  })

  it('skips changes of transactions its bookmark already covers (pgoutput: the commit record starts before it)', () => {
    const { records, out } = setup({ stream: { bookmark: 500n } })
    records.begin({ start: 499n })
    records.change(0x10n, change(INSERT), out)
    records.commit()
    records.begin({ start: 500n })
    records.change(0x10n, change(INSERT), out)
    records.commit()
    records.begin(undefined)
    records.change(0x10n, change(INSERT), out)
    records.commit()
    expect(out.records).toBe(2)
    expect(records.reports()[0].skipped).toBe(1)
  })

  it('re-reads the table once per new column set and writes a SCHEMA before the first record that has it', async () => {
    const live = [...columns, col('added', 6, { kind: 'numeric', precision: 10, scale: 2 }, 'numeric(10,2)')]
    const { records, out, reads, logs } = setup({ live })
    const withAdded =
      '{"action":"I","schema":"public","table":"t","columns":[{"name":"id","value":2},{"name":"added","value":1.50}]}'
    const p = records.change(0x20n, change(withAdded), out)
    expect(p).toBeInstanceOf(Promise)
    await p
    expect(records.change(0x21n, change(withAdded), out)).toBeUndefined()
    expect(reads).toEqual(['public.t'])
    const [schema, ...rest] = out.lines.trimEnd().split('\n')
    const parsed = JSON.parse(schema) as {
      type: string
      schema: { properties: Record<string, unknown> }
      key_properties: string[]
      bookmark_properties: string[]
    }
    expect(parsed.type).toBe('SCHEMA')
    expect(Object.keys(parsed.schema.properties)).toEqual([
      'id',
      'ia',
      'h',
      'big',
      'added',
      '_sdc_deleted_at',
    ])
    expect(parsed.key_properties).toEqual(['id'])
    expect(parsed.bookmark_properties).toEqual(['lsn'])
    expect(rest).toHaveLength(2)
    expect(recordTexts(out)).toEqual(Array(2).fill('{"id":2,"added":1.50,"_sdc_deleted_at":null}'))
    expect(logs.join('\n')).toContain('New column added in public.t')
  })

  it('sends a new column the table no longer has as text', async () => {
    const { records, out, logs } = setup({ live: columns })
    await records.change(
      0x20n,
      change(
        '{"action":"I","schema":"public","table":"t","columns":[{"name":"id","value":3},{"name":"gone","value":12}]}',
      ),
      out,
    )
    expect(recordTexts(out)).toEqual(['{"id":3,"gone":"12","_sdc_deleted_at":null}'])
    expect(logs.join('\n')).toContain('gone no longer in the table; sent as text')
  })

  it('ignores tables outside the run', () => {
    const { records, out } = setup()
    records.change(
      1n,
      change('{"action":"I","schema":"other","table":"t","columns":[{"name":"id","value":1}]}'),
      out,
    )
    expect(out.records).toBe(0)
  })

  it('turns a TRUNCATE into a version switch: ACTIVATE_VERSION at its place, the later records under the new version', () => {
    const { records, out } = setup({ now: () => new Date(1_700_000_000_000) })
    records.begin(undefined)
    records.change(0x10n, change(INSERT), out)
    records.truncate(truncate('t'), out)
    records.change(0x12n, change(INSERT), out)
    records.commit()
    expect(shapes(out)).toEqual([
      'RECORD public-t 7',
      'ACTIVATE_VERSION public-t 1700000000000',
      'RECORD public-t 1700000000000',
    ])
    expect(out.lines.split('\n')[1]).toBe(
      '{"type":"ACTIVATE_VERSION","stream":"public-t","version":1700000000000}',
    )
    expect(out.versions).toEqual([
      { tapStreamId: 'public-t', stream: 'public-t', table: 'public.t', version: 1_700_000_000_000 },
    ])
    expect(out.records).toBe(2)
    // The next batch goes on under the new version, and carries no switch of its own.
    out.reset()
    records.change(0x13n, change(INSERT), out)
    expect(shapes(out)).toEqual(['RECORD public-t 1700000000000'])
    expect(out.versions).toEqual([])
  })

  it('gives each TRUNCATE a version above the last one, even within the same millisecond', () => {
    const { records, out } = setup({
      stream: { version: 1_700_000_000_005 },
      now: () => new Date(1_700_000_000_000),
    })
    records.truncate(truncate('t'), out)
    records.truncate(truncate('t'), out)
    expect(out.versions.map((v) => v.version)).toEqual([1_700_000_000_006, 1_700_000_000_007])
    expect(nextVersion(undefined, 42)).toBe(42)
    expect(nextVersion(41, 42)).toBe(42)
    expect(nextVersion(42, 42)).toBe(43)
    expect(nextVersion(50, 42)).toBe(51)
  })

  it('switches each stream a multi-table TRUNCATE names, and ignores tables outside the run', () => {
    const a = stream({ tapStreamId: 'public-a', stream: 'public-a', tableName: 'a', version: 1 })
    const b = stream({ tapStreamId: 'public-b', stream: 'public-b', tableName: 'b', version: 2 })
    const { records, out } = setup({ streams: [a, b], now: () => new Date(1000) })
    for (const t of ['a', 'other', 'b']) records.truncate(truncate(t), out)
    records.truncate(truncate('a', 'elsewhere'), out)
    expect(shapes(out)).toEqual(['ACTIVATE_VERSION public-a 1000', 'ACTIVATE_VERSION public-b 1000'])
    expect(out.versions.map((v) => [v.tapStreamId, v.table])).toEqual([
      ['public-a', 'public.a'],
      ['public-b', 'public.b'],
    ])
  })

  it('skips a TRUNCATE its bookmark already covers (the switch was written then)', () => {
    const { records, out } = setup({ stream: { bookmark: 500n } })
    records.begin({ end: 500n })
    records.truncate(truncate('t'), out)
    records.commit()
    expect(out.lines).toBe('')
    expect(out.versions).toEqual([])
    expect(records.reports()[0].skipped).toBe(1)
  })

  it('renders bytea from wal2json (hex without \\x, or the full text of a domain) as a table read does', () => {
    const bytes: ColumnInfo[] = [
      col('id', 1, { kind: 'integer', bits: 32 }),
      col('b', 2, { kind: 'bytea' }),
      col('ba', 3, { kind: 'array', element: { kind: 'bytea' }, delimiter: ',' }),
    ]
    const { records, out } = setup({ stream: { columns: bytes } })
    const row = (b: string | null, ba: string | null) =>
      `{"action":"I","schema":"public","table":"t","columns":[{"name":"id","value":1},{"name":"b","value":${JSON.stringify(b)}},{"name":"ba","value":${JSON.stringify(ba)}}]}`
    // As wal2json 2.5 sends them: a bytea column without `\x`, a domain over bytea and arrays with it.
    records.change(1n, change(row('0a0bff', '{"\\\\x0a",NULL}')), out)
    records.change(2n, change(row('\\x0c0d', null)), out)
    records.change(3n, change(row('', '{}')), out)
    records.change(4n, change(row(null, null)), out)
    const table = (text: string | null) => renderValue({ kind: 'bytea' }, text)
    expect(recordTexts(out)).toEqual([
      `{"id":1,"b":${table('\\x0a0bff')},"ba":["0a",null],"_sdc_deleted_at":null}`,
      `{"id":1,"b":${table('\\x0c0d')},"ba":null,"_sdc_deleted_at":null}`,
      `{"id":1,"b":${table('\\x')},"ba":[],"_sdc_deleted_at":null}`,
      `{"id":1,"b":null,"ba":null,"_sdc_deleted_at":null}`,
    ])
    expect(recordTexts(out)[0]).toContain('"b":"0a0bff"')
  })
})

describe('ChangeRecords: partitioned tables', () => {
  const parentColumns: ColumnInfo[] = [
    col('id', 1, { kind: 'integer', bits: 32 }),
    col('region', 2, { kind: 'text' }),
    col('v', 3, { kind: 'text' }),
  ]
  const parent = (patch: Partial<ReplicatedStream> = {}): ReplicatedStream => ({
    tapStreamId: 'public-parted',
    stream: 'public-parted',
    schemaName: 'public',
    tableName: 'parted',
    columns: parentColumns,
    keyProperties: ['id', 'region'],
    deselectedColumns: [],
    schemaWritten: false,
    bookmark: undefined,
    version: 1,
    partitions: [{ schemaName: 'public', tableName: 'parted_eu' }],
    ...patch,
  })
  const keyed = (ancestors: TableName[], patch: Partial<RelationRoute> = {}): RelationRoute => ({
    relkind: 'r',
    replident: 'd',
    hasPrimaryKey: true,
    hasIdentityIndex: false,
    ancestors,
    ...patch,
  })

  function setupParted(streams: ReplicatedStream[], routes: Record<string, RelationRoute | undefined> = {}) {
    const lines: string[] = []
    const logger = new Logger({ level: 'info', format: 'text', secrets: [], sink: (l) => lines.push(l) })
    const lookups: string[][] = []
    const records = new ChangeRecords({
      streams,
      debugLsn: false,
      logger,
      readColumns: async () => parentColumns,
      readRoutes: async (relations) => {
        lookups.push(relations.map((r) => `${r.schemaName}.${r.tableName}`))
        return relations.map((r) => routes[`${r.schemaName}.${r.tableName}`])
      },
    })
    return { records, out: new BatchBuilder(), logs: lines, lookups }
  }

  const ins = (table: string, cols: Array<[string, string | number]>) =>
    change(
      JSON.stringify({
        action: 'I',
        schema: table.split('.')[0],
        table: table.split('.')[1],
        columns: cols.map(([name, value]) => ({ name, value })),
      }),
    )
  const del = (table: string, cols: Array<[string, string | number]>) =>
    change(
      JSON.stringify({
        action: 'D',
        timestamp: '2026-01-02 03:04:05+00',
        schema: table.split('.')[0],
        table: table.split('.')[1],
        identity: cols.map(([name, value]) => ({ name, value })),
      }),
    )

  it("writes a known partition's changes under the parent's stream, columns in the parent's order, with no lookup", () => {
    const { records, out, lookups } = setupParted([parent()])
    expect(
      records.change(
        1n,
        ins('public.parted_eu', [
          ['v', 'x'],
          ['region', 'eu'],
          ['id', 1],
        ]),
        out,
      ),
    ).toBeUndefined()
    expect(recordTexts(out)).toEqual(['{"id":1,"region":"eu","v":"x","_sdc_deleted_at":null}'])
    expect([...out.counts]).toEqual([['public-parted', 1]])
    expect(lookups).toEqual([])
  })

  it('a row moved between partitions: the DELETE, then the INSERT, both under the parent', async () => {
    const { records, out } = setupParted([parent()], {
      'public.parted_us': keyed([{ schemaName: 'public', tableName: 'parted' }]),
    })
    records.change(
      1n,
      del('public.parted_eu', [
        ['id', 3],
        ['region', 'eu'],
      ]),
      out,
    )
    await records.change(
      2n,
      ins('public.parted_us', [
        ['id', 3],
        ['region', 'us'],
        ['v', 'moved'],
      ]),
      out,
    )
    expect(recordTexts(out)).toEqual([
      '{"id":3,"region":"eu","_sdc_deleted_at":"2026-01-02T03:04:05+00:00"}',
      '{"id":3,"region":"us","v":"moved","_sdc_deleted_at":null}',
    ])
  })

  it('looks a relation name up once, and routes a new partition to every selected ancestor', async () => {
    const sub = parent({
      tapStreamId: 'public-parted_asia',
      stream: 'public-parted_asia',
      tableName: 'parted_asia',
      partitions: [],
    })
    const { records, out, lookups, logs } = setupParted([parent(), sub], {
      'public.parted_asia_1': keyed([
        { schemaName: 'public', tableName: 'parted_asia' },
        { schemaName: 'public', tableName: 'parted' },
      ]),
      'public.unrelated': keyed([]),
    })
    await records.change(
      1n,
      ins('public.parted_asia_1', [
        ['id', 1],
        ['region', 'asia'],
        ['v', 'a'],
      ]),
      out,
    )
    expect(
      records.change(
        2n,
        ins('public.parted_asia_1', [
          ['id', 2],
          ['region', 'asia'],
          ['v', 'b'],
        ]),
        out,
      ),
    ).toBeUndefined()
    await records.change(3n, ins('public.unrelated', [['id', 9]]), out)
    expect(records.change(4n, ins('public.unrelated', [['id', 9]]), out)).toBeUndefined()
    expect(lookups).toEqual([['public.parted_asia_1'], ['public.unrelated']])
    expect(
      out.lines
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { stream: string }).stream),
    ).toEqual(['public-parted_asia', 'public-parted', 'public-parted_asia', 'public-parted'])
    expect(logs.join('\n')).toContain(
      'New partition public.parted_asia_1: its changes go to stream public-parted',
    )
  })

  it('refuses a new partition without a usable replica identity, unless the stream is inserts-only', async () => {
    const route = {
      'public.parted_bare': keyed([{ schemaName: 'public', tableName: 'parted' }], { hasPrimaryKey: false }),
    }
    const strict = setupParted([parent()], route)
    await expect(
      strict.records.change(1n, ins('public.parted_bare', [['id', 1]]), strict.out),
    ).rejects.toThrow(
      /stream public-parted: partition public.parted_bare of public.parted, new since the run started, has no primary key/,
    )
    const lenient = setupParted([parent({ insertsOnly: true })], route)
    await lenient.records.change(
      1n,
      ins('public.parted_bare', [
        ['id', 1],
        ['region', 'x'],
        ['v', 'y'],
      ]),
      lenient.out,
    )
    expect(lenient.out.records).toBe(1)
  })

  it('at the end, refuses a table it ignored that is now a partition (attached during the run)', async () => {
    const routes: Record<string, RelationRoute | undefined> = { 'other.t3': keyed([]) }
    const { records, out, lookups } = setupParted([parent()], routes)
    await records.change(1n, ins('other.t3', [['id', 1]]), out)
    await records.checkIgnored()
    routes['other.t3'] = keyed([{ schemaName: 'public', tableName: 'parted' }])
    await expect(records.checkIgnored()).rejects.toThrow(
      /stream public-parted: other.t3 became a partition of public.parted during the run/,
    )
    expect(lookups).toEqual([['other.t3'], ['other.t3'], ['other.t3']])
    expect(out.records).toBe(0)
  })

  it('warns about a relation that no longer exists', async () => {
    const { records, out, logs } = setupParted([parent()], {})
    await records.change(1n, ins('public.vanished', [['id', 1]]), out)
    expect(out.records).toBe(0)
    expect(logs.join('\n')).toContain('Changes of public.vanished ignored: no such table any more')
  })

  it('without a partitioned stream, never looks a relation up', () => {
    const { records, out, lookups } = setupParted([parent({ partitions: undefined })])
    expect(records.change(1n, ins('public.parted_eu', [['id', 1]]), out)).toBeUndefined()
    expect(lookups).toEqual([])
    expect(out.records).toBe(0)
  })
})
