import { jsonString } from '../values/json-text.js'

/**
 * JSON.stringify's behaviour (toJSON, undefined/function members dropped, non-finite numbers as null,
 * `indent` spaces) with two differences the catalog and SCHEMA messages need:
 * - BigInt values are written as raw JSON numbers with every digit (bigint column bounds
 *   ±2^63 and numeric bounds like 10^20 do not survive as JS numbers: 9223372036854775807 would
 *   print as 9223372036854776000);
 * - strings escape U+2028/U+2029 so a message stays on one line.
 * Own writer instead of a replacer with sentinel strings, which could collide with real text.
 */
export function stringifyJson(value: unknown, indent?: number): string {
  return stringifyJsonAt(value, indent, '\n')
}

/**
 * `value` as stringifyJson writes it when it sits inside an enclosing document whose lines at this
 * depth start with `lineStart` (a newline and the enclosing indentation): so a large document can be
 * written one member at a time with the same bytes as a single stringifyJson call.
 */
export function stringifyJsonAt(value: unknown, indent: number | undefined, lineStart: string): string {
  const pad = indent && indent > 0 ? ' '.repeat(Math.min(indent, 10)) : ''
  const out = write(value, pad, lineStart)
  return out === undefined ? 'null' : out
}

function write(value: unknown, pad: string, nl: string): string | undefined {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: () => unknown }).toJSON()
  }
  switch (typeof value) {
    case 'string':
      return jsonString(value)
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null'
    case 'bigint':
      return value.toString()
    case 'boolean':
      return value ? 'true' : 'false'
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined
  }
  if (value === null) return 'null'
  const inner = pad ? nl + pad : ''
  const sep = pad ? ': ' : ':'
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    const parts = value.map((v) => write(v, pad, inner) ?? 'null')
    return pad ? `[${inner}${parts.join(`,${inner}`)}${nl}]` : `[${parts.join(',')}]`
  }
  const parts: string[] = []
  for (const key of Object.keys(value as object)) {
    const v = write((value as Record<string, unknown>)[key], pad, inner)
    if (v !== undefined) parts.push(jsonString(key) + sep + v)
  }
  if (parts.length === 0) return '{}'
  return pad ? `{${inner}${parts.join(`,${inner}`)}${nl}}` : `{${parts.join(',')}}`
}
