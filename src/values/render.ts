/**
 * The one value renderer (docs/types.md): PostgreSQL's text form of a value → JSON text, for table
 * reads (cursor rows, read as text) and LOG_BASED (pgoutput's values, and wal2json's normalised to the same text)
 * alike, so a value looks the same whichever method read it. Output is JSON text to splice into a
 * message line; no value passes through a JS number or Date, so digits and fractions stay exact.
 *
 * Sessions run with TimeZone=UTC, DateStyle=ISO, IntervalStyle=iso_8601, extra_float_digits=3,
 * bytea_output=hex.
 */
import type { PgValueType } from './pg-type.js'
import { renderArray } from './arrays.js'
import { renderHstore } from './hstore.js'
import { jsonString } from './json-text.js'
import {
  renderBit1,
  renderBoolean,
  renderBytea,
  renderFloat,
  renderInteger,
  renderJson,
  renderNumeric,
} from './scalars.js'
import { renderDate, renderTime, renderTimestamp, renderTimestamptz, renderTimetz } from './temporal.js'

/** Renders one non-NULL value's text; `onClamp` is called when a date/time value was clamped. */
export type ValueRenderer = (text: string, onClamp?: () => void) => string

// Types cross to worker threads as plain data, so identity is per thread; a WeakMap lets
// renderValue reuse the renderer (array renderers are closures) without holding types alive.
const cache = new WeakMap<PgValueType, ValueRenderer>()

/** The renderer for values of `type`, chosen once. */
export function rendererFor(type: PgValueType): ValueRenderer {
  let r = cache.get(type)
  if (!r) {
    r = build(type)
    cache.set(type, r)
  }
  return r
}

function build(type: PgValueType): ValueRenderer {
  switch (type.kind) {
    case 'integer':
      return renderInteger
    case 'numeric':
      return renderNumeric
    case 'float':
      return renderFloat
    case 'boolean':
      return renderBoolean
    case 'bit1':
      return renderBit1
    case 'text':
      return jsonString
    case 'json':
      return renderJson
    case 'hstore':
      return renderHstore
    case 'bytea':
      return renderBytea
    case 'date':
      return renderDate
    case 'timestamp':
      return renderTimestamp
    case 'timestamptz':
      return renderTimestamptz
    case 'time':
      return renderTime
    case 'timetz':
      return renderTimetz
    case 'array': {
      const element = rendererFor(type.element)
      const delimiter = type.delimiter || ','
      if (!canClamp(type.element)) return (text) => renderArray(text, delimiter, element)
      return (text, onClamp) => renderArray(text, delimiter, onClamp ? (t) => element(t, onClamp) : element)
    }
  }
}

/** Whether values of `type` can be clamped (and so need the per-column clamp callback). */
export function canClamp(type: PgValueType): boolean {
  switch (type.kind) {
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return true
    case 'array':
      return canClamp(type.element)
    default:
      return false
  }
}

/** JSON text of one value; `null` text (SQL NULL) → `null`. */
export function renderValue(type: PgValueType, text: string | null, onClamp?: () => void): string {
  return text === null ? 'null' : rendererFor(type)(text, onClamp)
}

export interface RecordColumn {
  name: string
  type: PgValueType
}

/**
 * Clamped values per column, for the end-of-stream warning. Plain counts, so a worker can send
 * `entries()` to the main thread in its task result.
 */
export class ClampCounter {
  readonly #counts = new Map<string, number>()

  add(column: string): void {
    this.#counts.set(column, (this.#counts.get(column) ?? 0) + 1)
  }

  /** [column, count] pairs in the order the columns first clamped. */
  entries(): Array<[string, number]> {
    return [...this.#counts]
  }
}

/**
 * A function that turns one row (values in `columns` order, server text or null) into the JSON
 * object text `{"col":value,...}`. The hot path of every sync: the `"name":` prefixes are escaped
 * once, each column's renderer is chosen once, and a row is one pass of string concatenation
 * (V8 ropes; no per-value objects).
 */
export function compileRecordRenderer(
  columns: readonly RecordColumn[],
  clamps?: ClampCounter,
): (values: readonly (string | null)[]) => string {
  const n = columns.length
  if (n === 0) return () => '{}'
  const prefixes: string[] = []
  const renderers: Array<(text: string) => string> = []
  for (let i = 0; i < n; i++) {
    const { name, type } = columns[i]
    prefixes.push((i === 0 ? '{' : ',') + jsonString(name) + ':')
    const r = rendererFor(type)
    if (clamps && canClamp(type)) {
      const onClamp = () => clamps.add(name)
      renderers.push((text) => r(text, onClamp))
    } else {
      renderers.push(r as (text: string) => string)
    }
  }
  return (values) => {
    let out = ''
    for (let i = 0; i < n; i++) {
      const v = values[i]
      // `== null` also covers a short row (undefined): a missing value is written as null rather
      // than the text "undefined", which would break the line.
      out += prefixes[i] + (v == null ? 'null' : renderers[i](v))
    }
    return out + '}'
  }
}
