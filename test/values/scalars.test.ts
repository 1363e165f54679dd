import { describe, expect, it } from 'vitest'
import {
  renderBit1,
  renderBoolean,
  renderBytea,
  renderFloat,
  renderInteger,
  renderJson,
  renderNumeric,
} from '../../src/values/scalars.js'
import { jsonString } from '../../src/values/json-text.js'

describe('integers: text as it is, every digit', () => {
  it.each([
    '0',
    '-1',
    '32767',
    '-32768',
    '2147483647',
    '-2147483648',
    '9223372036854775807',
    '-9223372036854775808',
  ])('%s', (t) => {
    expect(renderInteger(t)).toBe(t)
  })
})

describe('numeric', () => {
  it.each([
    ['0', '0'],
    ['-0.50', '-0.50'],
    ['12345678901234567890.1234567890', '12345678901234567890.1234567890'],
    ['0.000000000000000000000000000001', '0.000000000000000000000000000001'],
    ['100000000000000000000000000000000000000000', '100000000000000000000000000000000000000000'],
    ['NaN', 'null'],
    ['Infinity', 'null'],
    ['-Infinity', 'null'],
  ])('%s → %s', (t, out) => {
    expect(renderNumeric(t)).toBe(out)
  })
})

describe('float', () => {
  it.each([
    ['0', '0'],
    ['-0', '-0'],
    ['0.1', '0.1'],
    ['0.30000000000000004', '0.30000000000000004'],
    ['1e+100', '1e+100'],
    ['1.5e-07', '1.5e-07'],
    ['-1.7976931348623157e+308', '-1.7976931348623157e+308'],
    ['5e-324', '5e-324'],
    ['3.4028235e+38', '3.4028235e+38'],
    ['NaN', 'null'],
    ['Infinity', 'null'],
    ['-Infinity', 'null'],
  ])('%s → %s', (t, out) => {
    expect(renderFloat(t)).toBe(out)
    // Every output is JSON number syntax (or null).
    expect(() => JSON.parse(out)).not.toThrow()
  })
})

describe('boolean and bit(1)', () => {
  it.each([
    ['t', 'true'],
    ['f', 'false'],
    ['true', 'true'],
    ['false', 'false'],
  ])('boolean %s', (t, out) => {
    expect(renderBoolean(t)).toBe(out)
  })
  it.each([
    ['1', 'true'],
    ['0', 'false'],
  ])('bit %s', (t, out) => {
    expect(renderBit1(t)).toBe(out)
  })
  it('rejects anything else', () => {
    expect(() => renderBoolean('x')).toThrow(/boolean/)
    expect(() => renderBit1('10')).toThrow(/bit/)
  })
})

describe('text and json', () => {
  it('text is a JSON string literal', () => {
    expect(jsonString('a "b" \\ \n\u2028')).toBe('"a \\"b\\" \\\\ \\n\\u2028"')
  })
  it('json is embedded and minified', () => {
    expect(renderJson('{"a": [1, 2.50]}')).toBe('{"a":[1,2.50]}')
    expect(renderJson('"scalar"')).toBe('"scalar"')
    expect(renderJson('12345678901234567890123')).toBe('12345678901234567890123')
  })
})

describe('bytea', () => {
  it.each([
    ['\\x', '""'],
    ['\\x0a0b', '"0a0b"'],
    ['\\xdeadbeef00', '"deadbeef00"'],
    // bytea_output = escape: printable bytes raw, backslash doubled, the rest octal.
    ['abc', '"616263"'],
    ['\\\\', '"5c"'],
    ['\\000\\001\\377a\\\\', '"0001ff615c"'],
    ['', '""'],
  ])('%j → %s', (t, out) => {
    expect(renderBytea(t)).toBe(out)
  })
  it('rejects malformed escape text', () => {
    expect(() => renderBytea('\\9')).toThrow(/bytea/)
    expect(() => renderBytea('\\01')).toThrow(/bytea/)
    expect(() => renderBytea('é')).toThrow(/bytea/)
  })
})
