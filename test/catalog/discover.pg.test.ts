import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { discoverTables } from '../../src/catalog/discover.js'
import { buildCatalog } from '../../src/catalog/build-catalog.js'
import { jsonSchemaForType } from '../../src/catalog/json-schema.js'
import type { PgValueType, TableInfo } from '../../src/values/pg-type.js'
import type { CatalogEntry } from '../../src/singer/catalog-types.js'
import { buildConfig } from '../../src/config/load-config.js'
import type { TapConfig } from '../../src/config/tap-config.js'
import { stringifyJson } from '../../src/singer/json.js'
import { clusterInfo, createTestDatabase, dropTestDatabase, withAdmin } from '../harness/pg.js'

const FIXTURE = `
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TYPE pair AS (x int, y text);
CREATE DOMAIN money_amount AS numeric(10,2);
CREATE DOMAIN int_list AS int[];
CREATE TABLE all_types (
  id bigint PRIMARY KEY,
  c_smallint smallint, c_integer integer, c_bigint bigint, c_serial serial,
  c_numeric_38_10 numeric(38,10), c_numeric numeric, c_real real, c_double double precision, c_money money,
  c_boolean boolean, c_bit1 bit(1), c_bit bit, c_bit3 bit(3), c_varbit bit varying,
  c_text text, c_varchar20 varchar(20), c_varchar varchar, c_char5 char(5), c_citext citext, c_name name, c_qchar "char",
  c_uuid uuid, c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8, c_xml xml,
  c_tsvector tsvector, c_tsquery tsquery, c_pg_lsn pg_lsn, c_oid oid,
  c_point point, c_box box, c_polygon polygon, c_int4range int4range, c_tstzrange tstzrange, c_int4multirange int4multirange,
  c_pair pair, c_mood mood, c_money_amount money_amount, c_int_list int_list,
  c_json json, c_jsonb jsonb, c_hstore hstore, c_bytea bytea,
  c_date date, c_timestamp timestamp, c_timestamp3 timestamp(3), c_timestamptz timestamptz, c_time time, c_timetz timetz, c_interval interval,
  c_int_2d int[][], c_text_arr text[], c_numeric_arr numeric(10,2)[], c_timestamptz_arr timestamptz[], c_hstore_arr hstore[],
  c_box_arr box[], c_amount_arr money_amount[], c_mood_arr mood[], c_varchar_arr varchar(8)[], c_bit1_arr bit(1)[]
);
INSERT INTO all_types (id) SELECT g FROM generate_series(1, 3) g;
ANALYZE all_types;

CREATE TABLE no_key (a int, b text);
CREATE TABLE composite_key (a int, b text, c int, PRIMARY KEY (c, a));
CREATE TABLE with_dropped (id int PRIMARY KEY, gone text, kept text);
ALTER TABLE with_dropped DROP COLUMN gone;
CREATE VIEW v_orders AS SELECT id, c_numeric_38_10 FROM all_types;
CREATE MATERIALIZED VIEW mv_orders AS SELECT id, c_text FROM all_types;
CREATE VIEW v_literal AS SELECT B'101' AS bits, 'x'::varchar(3) AS short;
CREATE TABLE events (id int, at date, payload jsonb, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."MixedCase" ("CamelCol" int PRIMARY KEY, "quoted ""col""" text, "lower" text);
CREATE TABLE "Sales"."we""ird table" ("a column" int, "__proto__" text);
CREATE SCHEMA other;
CREATE TABLE other.t (x int);

CREATE TABLE secret (id int PRIMARY KEY, visible text, hidden text);
CREATE TABLE nothing_readable (a int);
CREATE TABLE pk_hidden (a int, b int, note text, PRIMARY KEY (a, b));
CREATE SCHEMA private;
CREATE TABLE private.t (x int);
`

// Run after the fixture, as admin: a role that may read only some columns.
function grants(role: string): string {
  return `
    CREATE ROLE ${role} LOGIN;
    GRANT SELECT ON all_types, no_key, composite_key TO ${role};
    GRANT SELECT (id, visible) ON secret TO ${role};
    GRANT SELECT (a, note) ON pk_hidden TO ${role};
    GRANT USAGE ON SCHEMA "Sales" TO ${role};
    GRANT SELECT ON ALL TABLES IN SCHEMA "Sales" TO ${role};
    GRANT SELECT ON private.t TO ${role};
  `
}

let db: string
const role = `reader_${Math.random().toString(36).slice(2, 8)}`

function tapConfig(extra: Record<string, unknown> = {}): TapConfig {
  const c = clusterInfo()
  return buildConfig([
    { host: c.host, port: c.port, user: c.user, password: c.password, dbname: db, ...extra },
  ]).config
}

function table(tables: readonly TableInfo[], schema: string, name: string): TableInfo {
  const t = tables.find((x) => x.schemaName === schema && x.tableName === name)
  if (!t)
    throw new Error(
      `${schema}.${name} not discovered; have ${tables.map((x) => `${x.schemaName}.${x.tableName}`).join(', ')}`,
    )
  return t
}

beforeAll(async () => {
  db = await createTestDatabase('discover')
  await withAdmin(db, async (c) => {
    await c.query(FIXTURE)
    await c.query(grants(role))
  })
})

afterAll(async () => {
  await dropTestDatabase(db)
  await withAdmin('postgres', (c) => c.query(`DROP ROLE IF EXISTS ${role}`))
})

const INT16: PgValueType = { kind: 'integer', bits: 16 }
const INT32: PgValueType = { kind: 'integer', bits: 32 }
const INT64: PgValueType = { kind: 'integer', bits: 64 }
const TEXT: PgValueType = { kind: 'text' }
const arr = (element: PgValueType, delimiter = ','): PgValueType => ({ kind: 'array', element, delimiter })

// column → [sql-datatype, value type], in column order.
const ALL_TYPES: Array<[string, string, PgValueType]> = [
  ['id', 'bigint', INT64],
  ['c_smallint', 'smallint', INT16],
  ['c_integer', 'integer', INT32],
  ['c_bigint', 'bigint', INT64],
  ['c_serial', 'integer', INT32],
  ['c_numeric_38_10', 'numeric(38,10)', { kind: 'numeric', precision: 38, scale: 10 }],
  ['c_numeric', 'numeric', { kind: 'numeric' }],
  ['c_real', 'real', { kind: 'float' }],
  ['c_double', 'double precision', { kind: 'float' }],
  ['c_money', 'money', TEXT],
  ['c_boolean', 'boolean', { kind: 'boolean' }],
  ['c_bit1', 'bit(1)', { kind: 'bit1' }],
  ['c_bit', 'bit(1)', { kind: 'bit1' }],
  ['c_bit3', 'bit(3)', TEXT],
  ['c_varbit', 'bit varying', TEXT],
  ['c_text', 'text', TEXT],
  ['c_varchar20', 'character varying(20)', { kind: 'text', maxLength: 20 }],
  ['c_varchar', 'character varying', TEXT],
  ['c_char5', 'character(5)', { kind: 'text', maxLength: 5 }],
  ['c_citext', 'citext', TEXT],
  ['c_name', 'name', TEXT],
  ['c_qchar', '"char"', TEXT],
  ['c_uuid', 'uuid', TEXT],
  ['c_inet', 'inet', TEXT],
  ['c_cidr', 'cidr', TEXT],
  ['c_macaddr', 'macaddr', TEXT],
  ['c_macaddr8', 'macaddr8', TEXT],
  ['c_xml', 'xml', TEXT],
  ['c_tsvector', 'tsvector', TEXT],
  ['c_tsquery', 'tsquery', TEXT],
  ['c_pg_lsn', 'pg_lsn', TEXT],
  ['c_oid', 'oid', TEXT],
  ['c_point', 'point', TEXT],
  ['c_box', 'box', TEXT],
  ['c_polygon', 'polygon', TEXT],
  ['c_int4range', 'int4range', TEXT],
  ['c_tstzrange', 'tstzrange', TEXT],
  ['c_int4multirange', 'int4multirange', TEXT],
  ['c_pair', 'pair', TEXT],
  ['c_mood', 'mood', TEXT],
  ['c_money_amount', 'money_amount', { kind: 'numeric', precision: 10, scale: 2 }],
  ['c_int_list', 'int_list', arr(INT32)],
  ['c_json', 'json', { kind: 'json' }],
  ['c_jsonb', 'jsonb', { kind: 'json' }],
  ['c_hstore', 'hstore', { kind: 'hstore' }],
  ['c_bytea', 'bytea', { kind: 'bytea' }],
  ['c_date', 'date', { kind: 'date' }],
  ['c_timestamp', 'timestamp without time zone', { kind: 'timestamp' }],
  ['c_timestamp3', 'timestamp(3) without time zone', { kind: 'timestamp' }],
  ['c_timestamptz', 'timestamp with time zone', { kind: 'timestamptz' }],
  ['c_time', 'time without time zone', { kind: 'time' }],
  ['c_timetz', 'time with time zone', { kind: 'timetz' }],
  ['c_interval', 'interval', TEXT],
  ['c_int_2d', 'integer[]', arr(INT32)],
  ['c_text_arr', 'text[]', arr(TEXT)],
  ['c_numeric_arr', 'numeric(10,2)[]', arr({ kind: 'numeric', precision: 10, scale: 2 })],
  ['c_timestamptz_arr', 'timestamp with time zone[]', arr({ kind: 'timestamptz' })],
  ['c_hstore_arr', 'hstore[]', arr({ kind: 'hstore' })],
  ['c_box_arr', 'box[]', arr(TEXT, ';')],
  ['c_amount_arr', 'money_amount[]', arr({ kind: 'numeric', precision: 10, scale: 2 })],
  ['c_mood_arr', 'mood[]', arr(TEXT)],
  ['c_varchar_arr', 'character varying(8)[]', arr({ kind: 'text', maxLength: 8 })],
  ['c_bit1_arr', 'bit(1)[]', arr({ kind: 'bit1' })],
]

describe('discovery as the owner', () => {
  let tables: TableInfo[]
  let database: string
  let warnings: string[]

  beforeAll(async () => {
    // A temporary table of another session lives in a pg_temp_N schema and must not be listed.
    await withAdmin(db, async (other) => {
      await other.query('CREATE TEMP TABLE session_scratch (x int)')
      ;({ tables, database, warnings } = await discoverTables(tapConfig()))
    })
  })

  it('lists the relations of every non-system schema, with their kinds', () => {
    const names = tables.map((t) => `${t.schemaName}.${t.tableName}:${t.relkind}`).sort()
    expect(names).toEqual([
      'Sales.MixedCase:r',
      'Sales.we"ird table:r',
      'other.t:r',
      'private.t:r',
      'public.all_types:r',
      'public.composite_key:r',
      'public.events:p',
      'public.events_2024:r',
      'public.mv_orders:m',
      'public.no_key:r',
      'public.nothing_readable:r',
      'public.pk_hidden:r',
      'public.secret:r',
      'public.v_literal:v',
      'public.v_orders:v',
      'public.with_dropped:r',
    ])
    expect(database).toBe(db)
    expect(warnings).toEqual([])
  })

  it('resolves every type of docs/types.md, with format_type names', () => {
    const t = table(tables, 'public', 'all_types')
    expect(t.columns.map((c) => [c.name, c.sqlType, c.type])).toEqual(ALL_TYPES)
    expect(t.columns.map((c) => c.position)).toEqual(ALL_TYPES.map((_, i) => i + 1))
    expect(t.primaryKey).toEqual(['id'])
    expect(t.rowCount).toBe(3)
  })

  it('writes the catalog entry of every column: schema, sql-datatype, inclusion', () => {
    const entry = buildCatalog(tables, database).streams.find(
      (s) => s.tap_stream_id === 'public-all_types',
    ) as CatalogEntry
    expect(entry.table_name).toBe('all_types')
    expect(entry.metadata[0]).toEqual({
      breadcrumb: [],
      metadata: {
        'table-key-properties': ['id'],
        'schema-name': 'public',
        'database-name': db,
        'row-count': 3,
        'is-view': false,
      },
    })
    const props = entry.schema.properties ?? {}
    expect(Object.keys(props)).toEqual(ALL_TYPES.map(([name]) => name))
    for (const [i, [name, sqlType, type]] of ALL_TYPES.entries()) {
      expect(props[name], name).toEqual(jsonSchemaForType(type, name !== 'id'))
      expect(entry.metadata[i + 1], name).toEqual({
        breadcrumb: ['properties', name],
        metadata: {
          'sql-datatype': sqlType,
          inclusion: name === 'id' ? 'automatic' : 'available',
          'selected-by-default': true,
        },
      })
    }
    // The shapes targets see, spelled out for a few columns.
    expect(props.id).toEqual({
      type: ['integer'],
      minimum: -9223372036854775808n,
      maximum: 9223372036854775807n,
    })
    expect(props.c_numeric_38_10).toMatchObject({
      type: ['null', 'number'],
      multipleOf: 1e-10,
      maximum: 10n ** 28n,
      exclusiveMaximum: true,
    })
    expect(props.c_bit1).toEqual({ type: ['null', 'boolean'] })
    expect(props.c_varchar20).toEqual({ type: ['null', 'string'], maxLength: 20 })
    expect(props.c_jsonb).toEqual({ type: ['null', 'object', 'array'] })
    expect(props.c_timestamptz).toEqual({ type: ['null', 'string'], format: 'date-time' })
  })

  it('keeps the key order of the index and the column order in the catalog', () => {
    const t = table(tables, 'public', 'composite_key')
    expect(t.primaryKey).toEqual(['c', 'a'])
    const entry = buildCatalog([t], db).streams[0]
    expect(entry.metadata[0].metadata['table-key-properties']).toEqual(['a', 'c'])
    expect(
      entry.metadata.slice(1).map((m) => [m.breadcrumb[1], (m.metadata as { inclusion: string }).inclusion]),
    ).toEqual([
      ['a', 'automatic'],
      ['b', 'available'],
      ['c', 'automatic'],
    ])
    expect(entry.schema.properties).toEqual({
      a: { type: ['integer'], minimum: -2147483648, maximum: 2147483647 },
      b: { type: ['null', 'string'] },
      c: { type: ['integer'], minimum: -2147483648, maximum: 2147483647 },
    })
  })

  it('lists keyless tables, views and materialized views without keys', () => {
    expect(table(tables, 'public', 'no_key').primaryKey).toEqual([])
    const catalog = buildCatalog(tables, db)
    const meta = (id: string) => catalog.streams.find((s) => s.tap_stream_id === id)?.metadata[0].metadata
    expect(meta('public-no_key')).toMatchObject({
      'table-key-properties': [],
      'is-view': false,
      'row-count': 0,
    })
    expect(meta('public-v_orders')).toMatchObject({ 'table-key-properties': [], 'is-view': true })
    expect(meta('public-mv_orders')).toMatchObject({ 'table-key-properties': [], 'is-view': true })
    expect(table(tables, 'public', 'v_orders').columns.map((c) => [c.name, c.sqlType])).toEqual([
      ['id', 'bigint'],
      ['c_numeric_38_10', 'numeric(38,10)'],
    ])
    // An unsized bit (a literal) holds any length: text, shown as `bit`.
    expect(table(tables, 'public', 'v_literal').columns.map((c) => [c.name, c.sqlType, c.type])).toEqual([
      ['bits', 'bit', TEXT],
      ['short', 'character varying(3)', { kind: 'text', maxLength: 3 }],
    ])
  })

  it('lists the partitioned parent and its partition, both with the key', () => {
    for (const name of ['events', 'events_2024']) {
      const t = table(tables, 'public', name)
      expect(t.primaryKey, name).toEqual(['id', 'at'])
      expect(t.columns.map((c) => c.name)).toEqual(['id', 'at', 'payload'])
    }
    expect(table(tables, 'public', 'events').relkind).toBe('p')
  })

  it('skips dropped columns and keeps attnum positions', () => {
    const t = table(tables, 'public', 'with_dropped')
    expect(t.columns.map((c) => [c.name, c.position])).toEqual([
      ['id', 1],
      ['kept', 3],
    ])
  })

  it('keeps mixed-case and quoted names as they are', () => {
    expect(table(tables, 'Sales', 'MixedCase').columns.map((c) => c.name)).toEqual([
      'CamelCol',
      'quoted "col"',
      'lower',
    ])
    expect(table(tables, 'Sales', 'MixedCase').primaryKey).toEqual(['CamelCol'])
    const weird = table(tables, 'Sales', 'we"ird table')
    expect(weird.columns.map((c) => c.name)).toEqual(['a column', '__proto__'])
    const entry = buildCatalog([weird], db).streams[0]
    expect(entry.tap_stream_id).toBe('Sales-we"ird table')
    expect(Object.keys(entry.schema.properties ?? {})).toEqual(['a column', '__proto__'])
  })

  it('sorts streams by tap_stream_id and is byte-stable', async () => {
    const catalog = buildCatalog(tables, database)
    const ids = catalog.streams.map((s) => s.tap_stream_id)
    expect(ids).toEqual([
      'Sales-MixedCase',
      'Sales-we"ird table',
      'other-t',
      'private-t',
      'public-all_types',
      'public-composite_key',
      'public-events',
      'public-events_2024',
      'public-mv_orders',
      'public-no_key',
      'public-nothing_readable',
      'public-pk_hidden',
      'public-secret',
      'public-v_literal',
      'public-v_orders',
      'public-with_dropped',
    ])
    const again = await discoverTables(tapConfig())
    expect(stringifyJson(buildCatalog(again.tables, again.database), 2)).toBe(stringifyJson(catalog, 2))
  })

  it('discovers only filter_schemas when given', async () => {
    const { tables: only } = await discoverTables(tapConfig({ filter_schemas: 'Sales,other' }))
    expect(only.map((t) => `${t.schemaName}.${t.tableName}`).sort()).toEqual([
      'Sales.MixedCase',
      'Sales.we"ird table',
      'other.t',
    ])
  })
})

describe('discovery as a role with column grants', () => {
  it('leaves out what the role cannot read', async () => {
    const { tables, warnings } = await discoverTables(tapConfig({ user: role, password: undefined }))
    const names = tables.map((t) => `${t.schemaName}.${t.tableName}`).sort()
    // No USAGE on `private` (despite the table grant), nothing granted on `other.t`, `nothing_readable`,
    // the views or the partitions.
    expect(names).toEqual([
      'Sales.MixedCase',
      'Sales.we"ird table',
      'public.all_types',
      'public.composite_key',
      'public.no_key',
      'public.pk_hidden',
      'public.secret',
    ])
    const secret = table(tables, 'public', 'secret')
    expect(secret.columns.map((c) => c.name)).toEqual(['id', 'visible'])
    expect(secret.primaryKey).toEqual(['id'])
    // Half a key would make targets merge different rows: no key instead, and a warning.
    const pkHidden = table(tables, 'public', 'pk_hidden')
    expect(pkHidden.columns.map((c) => c.name)).toEqual(['a', 'note'])
    expect(pkHidden.primaryKey).toEqual([])
    expect(warnings).toEqual([
      'public.pk_hidden: the primary key has columns the user cannot read; the stream gets no key properties',
    ])
  })
})
