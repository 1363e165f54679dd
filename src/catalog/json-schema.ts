/**
 * PgValueType → JSON Schema of a column (docs/types.md), in pipelinewise-tap-postgres
 * 2.1's shapes so existing targets map the columns the same way.
 *
 * 64-bit and large numeric bounds are BigInt: write schemas with `stringifyJson` (src/singer/json.ts),
 * never JSON.stringify (which throws on BigInt, and a JS number would lose the digits).
 */
import type { PgValueType } from '../values/pg-type.js'

export { stringifyJson } from '../singer/json.js'

type Bound = number | bigint

const INTEGER_BOUNDS: Record<16 | 32 | 64, readonly [Bound, Bound]> = {
  16: [-32768, 32767],
  32: [-2147483648, 2147483647],
  64: [-9223372036854775808n, 9223372036854775807n],
}

/**
 * 10^e as the value whose JSON text is exact: integers up to 10^15 as numbers (exact and printed
 * without exponent), larger as BigInt (JS would print 1e+21), negative exponents parsed from
 * decimal text, because `10 ** -5` is 0.000009999999999999999 in JS while Number('1e-5') is the
 * double nearest to 10^-5 and prints as 0.00001.
 */
export function pow10(e: number): Bound {
  if (e >= 0 && e <= 15) return 10 ** e
  if (e > 15) return 10n ** BigInt(e)
  return Number(`1e${e}`)
}

function negate(b: Bound): Bound {
  return typeof b === 'bigint' ? -b : -b
}

function typeList(t: string | readonly string[], nullable: boolean): string[] {
  const list = typeof t === 'string' ? [t] : [...t]
  return nullable ? ['null', ...list] : list
}

/**
 * The schema of one column. `nullable` false is for key columns (`{"type": [T]}`); everything else
 * is `{"type": ["null", T]}`.
 */
export function jsonSchemaForType(type: PgValueType, nullable: boolean): Record<string, unknown> {
  switch (type.kind) {
    case 'integer': {
      const [min, max] = INTEGER_BOUNDS[type.bits]
      return { type: typeList('integer', nullable), minimum: min, maximum: max }
    }
    case 'numeric': {
      if (type.precision === undefined) return { type: typeList('number', nullable) }
      // numeric(p) means numeric(p,0). PG 15 allows a scale outside 0..p (negative, or > p);
      // 10^(p-s) and 10^-s stay right for those too.
      const scale = type.scale ?? 0
      const limit = pow10(type.precision - scale)
      return {
        type: typeList('number', nullable),
        exclusiveMaximum: true,
        maximum: limit,
        multipleOf: pow10(-scale),
        exclusiveMinimum: true,
        minimum: negate(limit),
      }
    }
    case 'float':
      return { type: typeList('number', nullable) }
    case 'boolean':
    case 'bit1':
      return { type: typeList('boolean', nullable) }
    case 'text':
      return type.maxLength === undefined
        ? { type: typeList('string', nullable) }
        : { type: typeList('string', nullable), maxLength: type.maxLength }
    case 'json':
      return { type: typeList(['object', 'array'], nullable) }
    case 'hstore':
      return {
        type: typeList('object', nullable),
        properties: {},
        additionalProperties: { type: ['null', 'string'] },
      }
    case 'bytea':
      return { type: typeList('string', nullable) }
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return { type: typeList('string', nullable), format: 'date-time' }
    case 'time':
    case 'timetz':
      return { type: typeList('string', nullable), format: 'time' }
    case 'array':
      return { type: typeList('array', nullable), items: arrayItemsSchema(type.element) }
  }
}

/**
 * Elements may be NULL, and the column type does not tell the number of dimensions (`int[]` holds
 * `{{1,2},{3,4}}` as well), so an item is the element's schema or a nested array. Adding "array" to
 * the item's type list keeps one self-contained schema (no `definitions` to carry around); the
 * element's keywords (minimum, format, ...) only apply to values of their own type.
 */
function arrayItemsSchema(element: PgValueType): Record<string, unknown> {
  const schema = jsonSchemaForType(element, true)
  const types = schema.type as string[]
  return { ...schema, type: types.includes('array') ? types : [...types, 'array'] }
}
