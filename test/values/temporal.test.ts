import { describe, expect, it } from 'vitest'
import {
  renderDate,
  renderTime,
  renderTimestamp,
  renderTimestamptz,
  renderTimetz,
} from '../../src/values/temporal.js'

const MAX_TS = '"9999-12-31T23:59:59.999000+00:00"'
const MIN_TS = '"0001-01-01T00:00:00+00:00"'
const MAX_DATE = '"9999-12-31T00:00:00+00:00"'

/** [input, output, clamped?] */
type Case = [string, string, boolean?]

function check(render: (t: string, onClamp?: () => void) => string, cases: Case[]) {
  it.each(cases)('%s → %s', (input, output, clamped = false) => {
    let n = 0
    expect(render(input, () => n++)).toBe(output)
    expect(n).toBe(clamped ? 1 : 0)
    // Without a callback clamping still works.
    expect(render(input)).toBe(output)
  })
}

describe('date', () => {
  check(renderDate, [
    ['2020-01-02', '"2020-01-02T00:00:00+00:00"'],
    ['0001-01-01', '"0001-01-01T00:00:00+00:00"'],
    ['9999-12-31', '"9999-12-31T00:00:00+00:00"'],
    ['10000-01-01', MAX_DATE, true],
    ['5874897-12-31', MAX_DATE, true],
    ['infinity', MAX_DATE, true],
    ['-infinity', MIN_TS, true],
    ['0044-03-15 BC', MIN_TS, true],
    ['4713-01-01 BC', MIN_TS, true],
  ])
  it('rejects other text', () => {
    expect(() => renderDate('Jan 2 2020')).toThrow(/date/)
    expect(() => renderDate('2020/01/02')).toThrow(/date/)
  })
})

describe('timestamp', () => {
  check(renderTimestamp, [
    ['2020-01-02 03:04:05', '"2020-01-02T03:04:05+00:00"'],
    ['2020-01-02 03:04:05.5', '"2020-01-02T03:04:05.500000+00:00"'],
    ['2020-01-02 03:04:05.123456', '"2020-01-02T03:04:05.123456+00:00"'],
    ['2020-01-02 03:04:05.000001', '"2020-01-02T03:04:05.000001+00:00"'],
    ['0001-01-01 00:00:00', '"0001-01-01T00:00:00+00:00"'],
    ['9999-12-31 23:59:59.999999', '"9999-12-31T23:59:59.999999+00:00"'],
    ['10000-01-01 00:00:00', MAX_TS, true],
    ['294276-12-31 23:59:59.999999', MAX_TS, true],
    ['infinity', MAX_TS, true],
    ['-infinity', MIN_TS, true],
    ['0044-03-15 12:00:00 BC', MIN_TS, true],
    ['0044-03-15 12:00:00.5 BC', MIN_TS, true],
    ['4713-01-01 00:00:00 BC', MIN_TS, true],
  ])
  it('rejects other text', () => {
    expect(() => renderTimestamp('2020-01-02T03:04:05')).toThrow(/timestamp/)
    expect(() => renderTimestamp('2020-01-02 03:04:05+00')).toThrow(/timestamp/)
  })
})

describe('timestamptz', () => {
  check(renderTimestamptz, [
    ['2020-01-02 03:04:05+00', '"2020-01-02T03:04:05+00:00"'],
    ['2020-01-02 03:04:05.123456+00', '"2020-01-02T03:04:05.123456+00:00"'],
    ['2020-01-02 03:04:05.5+00', '"2020-01-02T03:04:05.500000+00:00"'],
    ['2020-01-02 03:04:05+05:30', '"2020-01-01T21:34:05+00:00"'],
    ['2020-01-02 03:04:05.25-08', '"2020-01-02T11:04:05.250000+00:00"'],
    ['2020-12-31 20:00:00-08', '"2021-01-01T04:00:00+00:00"'],
    ['2020-03-01 01:00:00+02', '"2020-02-29T23:00:00+00:00"'],
    ['2019-03-01 01:00:00+02', '"2019-02-28T23:00:00+00:00"'],
    ['1900-03-01 00:00:00+00:53:28', '"1900-02-28T23:06:32+00:00"'],
    ['1900-01-01 00:00:00-00:17:30', '"1900-01-01T00:17:30+00:00"'],
    ['0001-01-01 00:00:00+00', '"0001-01-01T00:00:00+00:00"'],
    ['0044-03-15 12:00:00+00 BC', MIN_TS, true],
    ['0044-03-15 12:00:00.5+00 BC', MIN_TS, true],
    // Offsets can cross the year 1 / 9999 boundaries both ways.
    ['0001-01-01 03:00:00+05:30', MIN_TS, true],
    ['0001-12-31 23:00:00-05 BC', '"0001-01-01T04:00:00+00:00"'],
    ['9999-12-31 23:00:00-05', MAX_TS, true],
    ['10000-01-01 00:30:00+01', '"9999-12-31T23:30:00+00:00"'],
    ['10000-01-01 00:00:00+00', MAX_TS, true],
    ['infinity', MAX_TS, true],
    ['-infinity', MIN_TS, true],
  ])

  it('agrees with Date for random instants and offsets (whole seconds)', () => {
    let s = 12345
    const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
    const pad = (n: number, w = 2) => String(n).padStart(w, '0')
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(r() * 253402300799) * 1000 // 1970 .. 9999
      const off = Math.floor(r() * 2 * 50400) - 50400 // ±14h in seconds
      const local = new Date(ms + off * 1000)
      const a = Math.abs(off)
      const offText = `${off < 0 ? '-' : '+'}${pad(Math.floor(a / 3600))}:${pad(Math.floor(a / 60) % 60)}:${pad(a % 60)}`
      const text = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${offText}`
      const out = renderTimestamptz(text)
      if (new Date(ms).getUTCFullYear() > 9999) continue
      expect(out).toBe(`"${new Date(ms).toISOString().slice(0, 19)}+00:00"`)
    }
  })

  it('rejects other text', () => {
    expect(() => renderTimestamptz('2020-01-02 03:04:05')).toThrow(/timestamptz/)
    expect(() => renderTimestamptz('2020-01-02 03:04:05+5')).toThrow(/timestamptz/)
  })
})

describe('time', () => {
  check(renderTime, [
    ['00:00:00', '"00:00:00"'],
    ['12:34:56', '"12:34:56"'],
    ['12:34:56.5', '"12:34:56.500000"'],
    ['23:59:59.999999', '"23:59:59.999999"'],
    ['24:00:00', '"00:00:00"'],
  ])
  it('rejects other text', () => {
    expect(() => renderTime('12:34')).toThrow(/time/)
  })
})

describe('timetz', () => {
  check(renderTimetz, [
    ['12:00:00+00', '"12:00:00"'],
    ['12:00:00-08', '"20:00:00"'],
    ['12:00:00.5+05:30', '"06:30:00.500000"'],
    ['12:00:00.123456-03:30', '"15:30:00.123456"'],
    ['12:00:00+05:30:15', '"06:29:45"'],
    ['02:00:00+05', '"21:00:00"'],
    ['22:00:00-05', '"03:00:00"'],
    ['00:00:00+00', '"00:00:00"'],
    ['24:00:00+00', '"00:00:00"'],
    ['24:00:00-01', '"01:00:00"'],
    ['23:59:59.999999-15:59', '"15:58:59.999999"'],
  ])
  it('rejects other text', () => {
    expect(() => renderTimetz('12:00:00')).toThrow(/timetz/)
    expect(() => renderTimetz('12:00:00x+01')).toThrow(/timetz/)
  })
})
