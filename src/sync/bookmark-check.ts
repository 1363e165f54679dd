/**
 * An INCREMENTAL bookmark's `replication_key_value` must fit the key column's type before anything
 * is read: the value becomes the `WHERE key >= $1` parameter, and a value of the wrong type (a
 * timestamp for an integer key, a number for a timestamp key) would otherwise fail on the server in
 * the middle of the run. Checked without the server, by the column's value kind: loose enough for
 * every value this tap and pipelinewise-tap-postgres write; text-like keys are left to the server.
 */
import { InputError } from '../errors.js'
import type { ColumnInfo } from '../values/pg-type.js'
import type { RawJson } from '../singer/state.js'

const INTEGER_BOUNDS = {
  16: [-(2n ** 15n), 2n ** 15n - 1n],
  32: [-(2n ** 31n), 2n ** 31n - 1n],
  64: [-(2n ** 63n), 2n ** 63n - 1n],
} as const

const DECIMAL = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/
const SPECIAL_NUMBER = /^\s*[+-]?(nan|infinity|inf)\s*$/i
const BOOLEAN_TEXT = /^\s*(t|f|true|false|y|n|yes|no|on|off|1|0)\s*$/i
/** Words the server reads as dates and times (https://www.postgresql.org/docs/15/datatype-datetime.html). */
const DATETIME_WORD = /^\s*[+-]?(infinity|epoch|now|today|tomorrow|yesterday|allballs)\s*$/i

/** Why `value` cannot be a value of `column`, or undefined when it may be. */
export function keyValueProblem(column: ColumnInfo, value: RawJson): string | undefined {
  const raw = value.rawJson
  const isString = raw.startsWith('"')
  const isNumber = /^-?\d/.test(raw)
  const isBoolean = raw === 'true' || raw === 'false'
  const text = isString ? (JSON.parse(raw) as string) : raw
  const type = column.type
  switch (type.kind) {
    case 'integer': {
      if (!(isString || isNumber) || !/^\s*[+-]?\d+\s*$/.test(text)) return 'is not an integer'
      const n = BigInt(text.trim())
      const [min, max] = INTEGER_BOUNDS[type.bits]
      return n < min || n > max ? `is out of range for ${column.sqlType}` : undefined
    }
    case 'numeric':
    case 'float':
      if ((isString || isNumber) && (DECIMAL.test(text) || SPECIAL_NUMBER.test(text))) return undefined
      return 'is not a number'
    case 'boolean':
    case 'bit1':
      if (isBoolean || (isString && BOOLEAN_TEXT.test(text))) return undefined
      return 'is not a boolean'
    case 'date':
    case 'timestamp':
    case 'timestamptz':
    case 'time':
    case 'timetz':
      if (isString && (/\d/.test(text) || DATETIME_WORD.test(text))) return undefined
      return `is not a ${type.kind === 'date' ? 'date' : type.kind.startsWith('time') && !type.kind.startsWith('timestamp') ? 'time' : 'date and time'} string`
    default:
      // text, uuid, enums, json, ...: the server's cast decides; only JSON strings and numbers can be.
      return isString || isNumber ? undefined : 'is not a string'
  }
}

/** Throws an InputError (exit 2) naming the stream, the key and the value when it does not fit. */
export function checkReplicationKeyValue(tapStreamId: string, column: ColumnInfo, value: RawJson): void {
  const problem = keyValueProblem(column, value)
  if (problem === undefined) return
  const shown = value.rawJson.length > 60 ? `${value.rawJson.slice(0, 57)}...` : value.rawJson
  throw new InputError(
    'STATE_INVALID',
    `invalid state: bookmarks["${tapStreamId}"]: replication_key_value ${shown} ${problem} (replication key "${column.name}" is ${column.sqlType})`,
    {
      hint: "fix or remove the stream's bookmark in the state; without it the stream is read from the start",
    },
  )
}
