/**
 * date/time types from their ISO DateStyle text to the RFC 3339 forms pipelinewise writes
 * (Python isoformat: `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, fraction always 6 digits when present).
 *
 * Everything works on the text: fractions are copied digit for digit (a JS Date would cut them to
 * milliseconds), and only whole seconds take part in offset arithmetic.
 *
 * Values RFC 3339 cannot hold (infinity, BC, years after 9999) are clamped as pipelinewise does and
 * reported through `onClamp`, so the caller can count them for the end-of-stream warning.
 */
import { unexpectedText } from './errors.js'

const MAX_TIMESTAMP = '"9999-12-31T23:59:59.999000+00:00"'
const MIN_TIMESTAMP = '"0001-01-01T00:00:00+00:00"'
const MAX_DATE = '"9999-12-31T00:00:00+00:00"'
const MIN_DATE = '"0001-01-01T00:00:00+00:00"'

type OnClamp = (() => void) | undefined

function clamp(value: string, onClamp: OnClamp): string {
  if (onClamp) onClamp()
  return value
}

const DASH = 0x2d
const DOT = 0x2e
const PLUS = 0x2b

/** `.5` → `.500000`; PG prints at most 6 digits and drops trailing zeros. */
function padFraction(fraction: string): string {
  return fraction.length >= 7 ? fraction : fraction.padEnd(7, '0')
}

function endsWithBC(text: string): boolean {
  return text.endsWith(' BC')
}

/** `infinity` / `-infinity` start with a letter or '-': the one check before the common path. */
function infinity(text: string, max: string, min: string, onClamp: OnClamp, what: string): string {
  if (text === 'infinity') return clamp(max, onClamp)
  if (text === '-infinity') return clamp(min, onClamp)
  throw unexpectedText(what, text)
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** `2020-01-02` → `"2020-01-02T00:00:00+00:00"`. */
export function renderDate(text: string, onClamp?: () => void): string {
  if (!isDigit(text.charCodeAt(0))) return infinity(text, MAX_DATE, MIN_DATE, onClamp, 'date')
  if (text.length === 10 && text.charCodeAt(4) === DASH) return `"${text}T00:00:00+00:00"`
  if (endsWithBC(text)) return clamp(MIN_DATE, onClamp)
  // Years past 9999 print with more digits (`10000-01-01`).
  if (text.indexOf('-') > 4) return clamp(MAX_DATE, onClamp)
  throw unexpectedText('date', text)
}

/** `2020-01-02 03:04:05.5` → `"2020-01-02T03:04:05.500000+00:00"`. */
export function renderTimestamp(text: string, onClamp?: () => void): string {
  if (!isDigit(text.charCodeAt(0))) return infinity(text, MAX_TIMESTAMP, MIN_TIMESTAMP, onClamp, 'timestamp')
  const n = text.length
  // Common path: 4-digit year, AD (a BC value ends in 'C').
  if (text.charCodeAt(4) === DASH && text.charCodeAt(10) === 0x20 && text.charCodeAt(n - 1) !== 0x43) {
    if (n === 19) return `"${text.slice(0, 10)}T${text.slice(11)}+00:00"`
    if (text.charCodeAt(19) === DOT)
      return `"${text.slice(0, 10)}T${text.slice(11, 19)}${padFraction(text.slice(19))}+00:00"`
  }
  if (endsWithBC(text)) return clamp(MIN_TIMESTAMP, onClamp)
  if (text.indexOf('-') > 4) return clamp(MAX_TIMESTAMP, onClamp)
  throw unexpectedText('timestamp', text)
}

/**
 * Offset `±HH[:MM[:SS]]` in seconds east of UTC. PG prints seconds only for historical local mean
 * time zones (`+00:53:28`); minutes for zones like `+05:30`.
 */
function parseOffset(text: string, at: number, end: number, what: string, whole: string): number {
  const sign = text.charCodeAt(at) === DASH ? -1 : 1
  const parts = text.slice(at + 1, end).split(':')
  if (
    parts.length > 3 ||
    parts.some((p) => p.length !== 2 || !isDigit(p.charCodeAt(0)) || !isDigit(p.charCodeAt(1)))
  ) {
    throw unexpectedText(what, whole)
  }
  const [h, m = '0', s = '0'] = parts
  return sign * (Number(h) * 3600 + Number(m) * 60 + Number(s))
}

/** Index of the offset sign after `HH:MM:SS[.ffffff]` starting at `from`, or -1. */
function findOffset(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === PLUS || c === DASH) return i
  }
  return -1
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

function four(n: number): string {
  return String(n).padStart(4, '0')
}

// Proleptic Gregorian day numbers (what PostgreSQL uses), H. Hinnant's algorithms. Own arithmetic
// because JS Date maps years 0-99 to 1900-1999 and would need workarounds for BC.
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d]
}

const TIMESTAMPTZ = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-]\d\d(?::\d\d){0,2})( BC)?$/

/**
 * `2020-01-02 03:04:05.123456+00` → `"2020-01-02T03:04:05.123456+00:00"`. Sessions run in UTC so
 * the offset is `+00`; any other offset (a session that is not UTC) is converted to UTC.
 */
export function renderTimestamptz(text: string, onClamp?: () => void): string {
  if (!isDigit(text.charCodeAt(0)))
    return infinity(text, MAX_TIMESTAMP, MIN_TIMESTAMP, onClamp, 'timestamptz')
  const n = text.length
  // Common path: 4-digit year, UTC, AD.
  if (
    text.charCodeAt(4) === DASH &&
    text.charCodeAt(n - 3) === PLUS &&
    text.charCodeAt(n - 2) === 0x30 &&
    text.charCodeAt(n - 1) === 0x30
  ) {
    if (n === 22) return `"${text.slice(0, 10)}T${text.slice(11, 19)}+00:00"`
    if (text.charCodeAt(19) === DOT)
      return `"${text.slice(0, 10)}T${text.slice(11, 19)}${padFraction(text.slice(19, n - 3))}+00:00"`
  }
  const m = TIMESTAMPTZ.exec(text)
  if (!m) throw unexpectedText('timestamptz', text)
  // BC years count back from 1 BC = astronomical year 0.
  const year = m[9] ? 1 - Number(m[1]) : Number(m[1])
  const offset = parseOffset(m[8], 0, m[8].length, 'timestamptz', text)
  const secondsOfDay = Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]) - offset
  const dayShift = Math.floor(secondsOfDay / 86400)
  const sod = secondsOfDay - dayShift * 86400
  const [y, mo, d] =
    dayShift === 0
      ? [year, Number(m[2]), Number(m[3])]
      : civilFromDays(daysFromCivil(year, Number(m[2]), Number(m[3])) + dayShift)
  if (y > 9999) return clamp(MAX_TIMESTAMP, onClamp)
  if (y < 1) return clamp(MIN_TIMESTAMP, onClamp)
  const fraction = m[7] ? padFraction(m[7]) : ''
  return `"${four(y)}-${two(mo)}-${two(d)}T${two(Math.floor(sod / 3600))}:${two(Math.floor(sod / 60) % 60)}:${two(sod % 60)}${fraction}+00:00"`
}

/** `HH:MM:SS[.ffffff]` → `"HH:MM:SS[.ffffff]"`; `24:00:00` (allowed by PG) → `"00:00:00"`. */
export function renderTime(text: string): string {
  const n = text.length
  if (n === 8) return text === '24:00:00' ? '"00:00:00"' : `"${text}"`
  if (text.charCodeAt(8) === DOT) return `"${text.slice(0, 8)}${padFraction(text.slice(8))}"`
  throw unexpectedText('time', text)
}

/**
 * `12:00:00-08` → `"20:00:00"`, `12:00:00.5+05:30` → `"06:30:00.500000"`: the time in UTC with the
 * zone dropped, wrapping around midnight (pipelinewise's form; a timetz has no date to carry into).
 */
export function renderTimetz(text: string): string {
  const sign = findOffset(text, 8)
  if (sign < 8 || text.charCodeAt(2) !== 0x3a || text.charCodeAt(5) !== 0x3a)
    throw unexpectedText('timetz', text)
  const offset = parseOffset(text, sign, text.length, 'timetz', text)
  const fraction = sign > 8 ? text.slice(8, sign) : ''
  if (fraction && fraction.charCodeAt(0) !== DOT) throw unexpectedText('timetz', text)
  const local = Number(text.slice(0, 2)) * 3600 + Number(text.slice(3, 5)) * 60 + Number(text.slice(6, 8))
  const s = (((local - offset) % 86400) + 86400) % 86400
  return `"${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}${fraction ? padFraction(fraction) : ''}"`
}
