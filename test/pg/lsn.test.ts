import { describe, expect, it } from 'vitest'
import { formatLsn, lsnFromState, MAX_LSN, parseLsn } from '../../src/pg/lsn.js'

describe('LSN text ↔ bigint', () => {
  const table: Array<[string, bigint]> = [
    ['0/0', 0n],
    ['0/1', 1n],
    ['0/30FE5300', 0x30fe5300n],
    ['1/0', 0x1_0000_0000n],
    ['16/B374D848', 0x16_b374_d848n],
    ['FFFFFFFF/FFFFFFFF', MAX_LSN],
  ]
  it.each(table)('%s round-trips', (text, value) => {
    expect(parseLsn(text)).toBe(value)
    expect(formatLsn(value)).toBe(text)
  })

  it('accepts lower case and zero padding, prints the server spelling', () => {
    expect(formatLsn(parseLsn('00000000/0000abcd'))).toBe('0/ABCD')
  })

  it.each(['', '0', '/0', '0/', '1/2/3', 'G/0', '123456789/0', ' 0/0'])('rejects %j', (text) => {
    expect(() => parseLsn(text)).toThrow(RangeError)
  })

  it('rejects out-of-range values when formatting', () => {
    expect(() => formatLsn(-1n)).toThrow(RangeError)
    expect(() => formatLsn(MAX_LSN + 1n)).toThrow(RangeError)
  })

  it('compares as 64-bit numbers, not as text', () => {
    expect('0/9' > '0/10').toBe(true) // the trap
    expect(parseLsn('0/9') < parseLsn('0/10')).toBe(true)
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true)
  })
})

describe('LSN in Singer state', () => {
  it.each([
    [5000000000, 5000000000n],
    [0, 0n],
    ['5000001234', 5000001234n],
    [18446744073709551615n, MAX_LSN],
    ['1/2A05F200', 0x1_2a05_f200n],
  ] as Array<[unknown, bigint]>)('reads %s', (value, lsn) => {
    expect(lsnFromState(value)).toBe(lsn)
  })

  it.each([null, undefined, -1, 1.5, 2 ** 60, '18446744073709551616', 'abc', {}, true])(
    'refuses %s',
    (value) => {
      expect(lsnFromState(value)).toBeUndefined()
    },
  )
})
