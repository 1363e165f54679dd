/**
 * pg_type facts → PgValueType (rules: docs/types.md). Pure: discovery fetches the facts
 * of every type a column can reach (through array elements and domain bases) in its one query, and
 * this module walks them without asking the server anything more.
 */
import type { PgValueType } from '../values/pg-type.js'

/** The pg_type columns resolution needs, for one type. */
export interface PgTypeFacts {
  readonly oid: number
  /** pg_type.typname */
  readonly name: string
  /** Schema of the type: built-ins are recognised only in pg_catalog, so a user's `public.int4` is not one. */
  readonly schema: string
  /** pg_type.typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  readonly typtype: string
  /** pg_type.typelem (0 when none). Non-array types such as `name` and `point` have one too. */
  readonly elem: number
  /** typinput = array_in: a true array. int2vector and oidvector have an element but print `1 2 3`. */
  readonly isArray: boolean
  /** pg_type.typbasetype of a domain (0 otherwise). */
  readonly baseType: number
  /** pg_type.typtypmod of a domain: the typmod its base type is declared with (-1 when none). */
  readonly baseTypmod: number
  /** pg_type.typdelim: the separator of this type's elements inside an array literal. */
  readonly delimiter: string
}

export type TypeFactsLookup = ReadonlyMap<number, PgTypeFacts>

/** typmods of character and numeric types carry the varlena header size (VARHDRSZ). */
const VARHDRSZ = 4

/** Built-in types, by name in pg_catalog, that are not plain text. */
const BUILTIN: Readonly<Record<string, (typmod: number) => PgValueType>> = {
  int2: () => ({ kind: 'integer', bits: 16 }),
  int4: () => ({ kind: 'integer', bits: 32 }),
  int8: () => ({ kind: 'integer', bits: 64 }),
  numeric: numericType,
  float4: () => ({ kind: 'float' }),
  float8: () => ({ kind: 'float' }),
  bool: () => ({ kind: 'boolean' }),
  // bit(1) is what `bit` declares. An unsized bit (typmod -1: a `B'101'` literal in a view, a
  // CREATE TABLE AS of one) holds strings of any length, so it is text, not a boolean.
  bit: (typmod) => (typmod === 1 ? { kind: 'bit1' } : { kind: 'text' }),
  varchar: lengthLimitedText,
  bpchar: lengthLimitedText,
  json: () => ({ kind: 'json' }),
  jsonb: () => ({ kind: 'json' }),
  bytea: () => ({ kind: 'bytea' }),
  date: () => ({ kind: 'date' }),
  timestamp: () => ({ kind: 'timestamp' }),
  timestamptz: () => ({ kind: 'timestamptz' }),
  time: () => ({ kind: 'time' }),
  timetz: () => ({ kind: 'timetz' }),
  // Everything else in pg_catalog (text, name, "char", varbit, money, interval, uuid, inet, oid, xid,
  // geometric, ranges, ...) is written as PostgreSQL prints it. oid is unsigned 32-bit, so an
  // `integer` with 32-bit bounds would reject half its values; docs/types.md lists it as a string.
}

function numericType(typmod: number): PgValueType {
  if (typmod < VARHDRSZ) return { kind: 'numeric' }
  const packed = typmod - VARHDRSZ
  const precision = (packed >> 16) & 0xffff
  // The scale is an 11-bit signed field since PostgreSQL 15 (numeric(5,-2) rounds to hundreds);
  // older servers only stored 0..1000, which this reads the same way.
  const scale = ((packed & 0x7ff) ^ 1024) - 1024
  return { kind: 'numeric', precision, scale }
}

function lengthLimitedText(typmod: number): PgValueType {
  return typmod >= VARHDRSZ ? { kind: 'text', maxLength: typmod - VARHDRSZ } : { kind: 'text' }
}

/** Deeper than any real chain of domains and arrays; stops a corrupt or cyclic lookup. */
const MAX_DEPTH = 32

/**
 * The value type of a column of type `oid` declared with `typmod` (pg_attribute.atttypmod).
 * Types missing from `facts` (dropped concurrently) resolve to text rather than failing discovery.
 */
export function resolveType(oid: number, typmod: number, facts: TypeFactsLookup): PgValueType {
  return resolve(oid, typmod, facts, 0)
}

function resolve(oid: number, typmod: number, facts: TypeFactsLookup, depth: number): PgValueType {
  const t = facts.get(oid)
  if (t === undefined || depth > MAX_DEPTH) return { kind: 'text' }
  if (t.typtype === 'd') {
    // A domain column's own atttypmod is -1; the base's typmod is the domain's typtypmod.
    return resolve(t.baseType, t.baseTypmod, facts, depth + 1)
  }
  if (t.isArray && t.elem !== 0) {
    // An array column's typmod applies to its elements (numeric(10,2)[]). The delimiter is the
    // element's own (box uses ';'), which for a domain element is the domain's, as array_out uses.
    const elemFacts = facts.get(t.elem)
    const element = resolve(t.elem, typmod, facts, depth + 1)
    return { kind: 'array', element, delimiter: elemFacts?.delimiter ?? ',' }
  }
  if (t.typtype === 'b' && t.schema === 'pg_catalog') {
    const builtin = BUILTIN[t.name]
    return builtin ? builtin(typmod) : { kind: 'text' }
  }
  // hstore and citext are extension types: their schema is wherever the extension was installed.
  if (t.typtype === 'b' && t.name === 'hstore') return { kind: 'hstore' }
  // citext, enums, composites, ranges, multiranges and any other extension type: their text form.
  return { kind: 'text' }
}
