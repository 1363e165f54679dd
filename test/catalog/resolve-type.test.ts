import { describe, expect, it } from 'vitest'
import { resolveType, type PgTypeFacts } from '../../src/catalog/resolve-type.js'
import type { PgValueType } from '../../src/catalog/pg-type.js'

// pg_type facts as PostgreSQL 15 has them (built-in oids are fixed); user types get oids from 90000.
function base(oid: number, name: string, extra: Partial<PgTypeFacts> = {}): PgTypeFacts {
  return { oid, name, schema: 'pg_catalog', typtype: 'b', elem: 0, isArray: false, baseType: 0, baseTypmod: -1, delimiter: ',', ...extra }
}
function arrayOf(oid: number, name: string, elem: number, delimiter = ','): PgTypeFacts {
  return base(oid, name, { elem, isArray: true, delimiter })
}

const FACTS: PgTypeFacts[] = [
  base(16, 'bool'), base(17, 'bytea'), base(18, 'char'), base(19, 'name', { elem: 18 }), base(20, 'int8'),
  base(21, 'int2'), base(22, 'int2vector', { elem: 21 }), base(23, 'int4'), base(25, 'text'), base(26, 'oid'),
  base(28, 'xid'), base(29, 'cid'), base(114, 'json'), base(600, 'point', { elem: 701 }),
  base(603, 'box', { elem: 600, delimiter: ';' }), base(700, 'float4'), base(701, 'float8'), base(790, 'money'),
  base(869, 'inet'), base(650, 'cidr'), base(829, 'macaddr'), base(774, 'macaddr8'), base(142, 'xml'),
  base(3614, 'tsvector'), base(3615, 'tsquery'), base(3220, 'pg_lsn'),
  base(1042, 'bpchar'), base(1043, 'varchar'), base(1082, 'date'), base(1083, 'time'), base(1114, 'timestamp'),
  base(1184, 'timestamptz'), base(1186, 'interval'), base(1266, 'timetz'), base(1560, 'bit'), base(1562, 'varbit'),
  base(1700, 'numeric'), base(2950, 'uuid'), base(3802, 'jsonb'),
  base(3904, 'int4range', { typtype: 'r' }), base(3910, 'tstzrange', { typtype: 'r' }), base(4451, 'int4multirange', { typtype: 'm' }),
  arrayOf(1007, '_int4', 23), arrayOf(1009, '_text', 25), arrayOf(1015, '_varchar', 1043), arrayOf(1020, '_box', 603, ';'),
  arrayOf(1231, '_numeric', 1700), arrayOf(1185, '_timestamptz', 1184), arrayOf(1561, '_bit', 1560),
  // Extension and user types.
  base(90001, 'hstore', { schema: 'public' }), arrayOf(90002, '_hstore', 90001),
  base(90003, 'citext', { schema: 'ext' }),
  base(90004, 'mood', { schema: 'public', typtype: 'e' }),
  base(90005, 'pair', { schema: 'public', typtype: 'c' }),
  // domain money_amount AS numeric(10,2): typtypmod = ((10 << 16) | 2) + 4
  base(90006, 'money_amount', { schema: 'public', typtype: 'd', baseType: 1700, baseTypmod: ((10 << 16) | 2) + 4 }),
  arrayOf(90007, '_money_amount', 90006),
  // domain int_list AS int[]; domain of a domain; domain over bit; domain over box (delimiter follows the base).
  base(90008, 'int_list', { schema: 'public', typtype: 'd', baseType: 1007 }),
  base(90009, 'positive_amount', { schema: 'public', typtype: 'd', baseType: 90006 }),
  base(90010, 'flag', { schema: 'public', typtype: 'd', baseType: 1560, baseTypmod: 1 }),
  base(90011, 'frame', { schema: 'public', typtype: 'd', baseType: 603, delimiter: ';' }), arrayOf(90012, '_frame', 90011),
  // A user's own type that happens to be called int4 is not the built-in.
  base(90013, 'int4', { schema: 'public', typtype: 'e' }),
  // An unrelated type called hstore that is not a base type.
  base(90014, 'hstore', { schema: 'other', typtype: 'e' }),
  // A cycle cannot happen in a real catalog; resolution must still stop.
  base(90015, 'loop', { schema: 'public', typtype: 'd', baseType: 90015 }),
]
const LOOKUP = new Map(FACTS.map((f) => [f.oid, f]))

const numericTypmod = (p: number, s: number) => ((p << 16) | (s & 0x7ff)) + 4
const INT32: PgValueType = { kind: 'integer', bits: 32 }
const TEXT: PgValueType = { kind: 'text' }

const CASES: Array<[string, number, number, PgValueType]> = [
  ['smallint', 21, -1, { kind: 'integer', bits: 16 }],
  ['integer', 23, -1, INT32],
  ['bigint', 20, -1, { kind: 'integer', bits: 64 }],
  ['numeric(38,10)', 1700, numericTypmod(38, 10), { kind: 'numeric', precision: 38, scale: 10 }],
  ['numeric(12,0)', 1700, numericTypmod(12, 0), { kind: 'numeric', precision: 12, scale: 0 }],
  ['numeric(5,-2) (PG15 negative scale)', 1700, numericTypmod(5, -2), { kind: 'numeric', precision: 5, scale: -2 }],
  ['numeric(1000,1000)', 1700, numericTypmod(1000, 1000), { kind: 'numeric', precision: 1000, scale: 1000 }],
  ['numeric (unconstrained)', 1700, -1, { kind: 'numeric' }],
  ['real', 700, -1, { kind: 'float' }],
  ['double precision', 701, -1, { kind: 'float' }],
  ['money', 790, -1, TEXT],
  ['boolean', 16, -1, { kind: 'boolean' }],
  ['bit(1)', 1560, 1, { kind: 'bit1' }],
  ['bit(3)', 1560, 3, TEXT],
  ['unsized bit (a B\'101\' literal in a view)', 1560, -1, TEXT],
  ['bit varying', 1562, -1, TEXT],
  ['bit varying(8)', 1562, 8, TEXT],
  ['text', 25, -1, TEXT],
  ['character varying(20)', 1043, 24, { kind: 'text', maxLength: 20 }],
  ['character varying', 1043, -1, TEXT],
  ['character(5)', 1042, 9, { kind: 'text', maxLength: 5 }],
  ['character (= character(1))', 1042, 5, { kind: 'text', maxLength: 1 }],
  ['bpchar without typmod', 1042, -1, TEXT],
  ['name', 19, -1, TEXT],
  ['"char"', 18, -1, TEXT],
  ['citext', 90003, -1, TEXT],
  ['uuid', 2950, -1, TEXT],
  ['inet', 869, -1, TEXT],
  ['cidr', 650, -1, TEXT],
  ['macaddr', 829, -1, TEXT],
  ['macaddr8', 774, -1, TEXT],
  ['xml', 142, -1, TEXT],
  ['tsvector', 3614, -1, TEXT],
  ['tsquery', 3615, -1, TEXT],
  ['pg_lsn', 3220, -1, TEXT],
  ['oid (unsigned 32-bit: text)', 26, -1, TEXT],
  ['xid', 28, -1, TEXT],
  ['cid', 29, -1, TEXT],
  ['int2vector (has an element, is not an array)', 22, -1, TEXT],
  ['point (has an element, is not an array)', 600, -1, TEXT],
  ['box', 603, -1, TEXT],
  ['int4range', 3904, -1, TEXT],
  ['tstzrange', 3910, -1, TEXT],
  ['int4multirange', 4451, -1, TEXT],
  ['composite', 90005, -1, TEXT],
  ['enum', 90004, -1, TEXT],
  ['json', 114, -1, { kind: 'json' }],
  ['jsonb', 3802, -1, { kind: 'json' }],
  ['hstore (extension schema)', 90001, -1, { kind: 'hstore' }],
  ['an enum named hstore', 90014, -1, TEXT],
  ['bytea', 17, -1, { kind: 'bytea' }],
  ['date', 1082, -1, { kind: 'date' }],
  ['timestamp', 1114, -1, { kind: 'timestamp' }],
  ['timestamp(3)', 1114, 3, { kind: 'timestamp' }],
  ['timestamptz', 1184, -1, { kind: 'timestamptz' }],
  ['time', 1083, -1, { kind: 'time' }],
  ['timetz', 1266, -1, { kind: 'timetz' }],
  ['interval', 1186, -1, TEXT],
  ['public.int4 (a user type, not the built-in)', 90013, -1, TEXT],
  ['domain over numeric(10,2)', 90006, -1, { kind: 'numeric', precision: 10, scale: 2 }],
  ['domain over a domain', 90009, -1, { kind: 'numeric', precision: 10, scale: 2 }],
  ['domain over bit (= bit(1))', 90010, -1, { kind: 'bit1' }],
  ['domain over int[]', 90008, -1, { kind: 'array', element: INT32, delimiter: ',' }],
  ['integer[] (and int[][]: same type)', 1007, -1, { kind: 'array', element: INT32, delimiter: ',' }],
  ['text[]', 1009, -1, { kind: 'array', element: TEXT, delimiter: ',' }],
  ['character varying(20)[]', 1015, 24, { kind: 'array', element: { kind: 'text', maxLength: 20 }, delimiter: ',' }],
  ['numeric(10,2)[]', 1231, numericTypmod(10, 2), { kind: 'array', element: { kind: 'numeric', precision: 10, scale: 2 }, delimiter: ',' }],
  ['numeric[]', 1231, -1, { kind: 'array', element: { kind: 'numeric' }, delimiter: ',' }],
  ['timestamptz[]', 1185, -1, { kind: 'array', element: { kind: 'timestamptz' }, delimiter: ',' }],
  ['bit(1)[]', 1561, 1, { kind: 'array', element: { kind: 'bit1' }, delimiter: ',' }],
  ['box[] (semicolon delimiter)', 1020, -1, { kind: 'array', element: TEXT, delimiter: ';' }],
  ['hstore[]', 90002, -1, { kind: 'array', element: { kind: 'hstore' }, delimiter: ',' }],
  ['array of a domain over numeric(10,2)', 90007, -1, { kind: 'array', element: { kind: 'numeric', precision: 10, scale: 2 }, delimiter: ',' }],
  ['array of a domain over box', 90012, -1, { kind: 'array', element: TEXT, delimiter: ';' }],
  ['a type missing from the facts', 123456, -1, TEXT],
  ['a cyclic domain', 90015, -1, TEXT],
]

describe('resolveType', () => {
  it.each(CASES)('%s', (_label, oid, typmod, expected) => {
    expect(resolveType(oid, typmod, LOOKUP)).toEqual(expected)
  })
})
