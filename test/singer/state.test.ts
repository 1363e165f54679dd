import { describe, expect, it } from 'vitest'
import {
  getBookmark,
  keyValueParameter,
  patchBookmark,
  rawJson,
  reconcileBookmark,
  stateJson,
  EMPTY_STATE,
  type Bookmark,
} from '../../src/singer/state.js'
import { parseState } from '../../src/singer/read-inputs.js'
import { stateLine } from '../../src/singer/messages.js'

describe('reconcileBookmark (pipelinewise clear_state_on_replication_change)', () => {
  const cases: Array<
    [string, Bookmark, 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED', string | undefined, Bookmark]
  > = [
    [
      'same method keeps the bookmark',
      { last_replication_method: 'FULL_TABLE', version: 1, xmin: 5 },
      'FULL_TABLE',
      undefined,
      { last_replication_method: 'FULL_TABLE', version: 1, xmin: 5 },
    ],
    [
      'method changed resets',
      { last_replication_method: 'FULL_TABLE', version: 1, xmin: 5 },
      'INCREMENTAL',
      'k',
      { last_replication_method: 'INCREMENTAL' },
    ],
    [
      'INCREMENTAL key changed resets',
      { last_replication_method: 'INCREMENTAL', replication_key: 'a', replication_key_value: rawJson('3') },
      'INCREMENTAL',
      'b',
      { last_replication_method: 'INCREMENTAL' },
    ],
    [
      'no last method: kept, method added',
      { version: 1, xmin: 9 },
      'FULL_TABLE',
      undefined,
      { version: 1, xmin: 9, last_replication_method: 'FULL_TABLE' },
    ],
    ['empty bookmark', {}, 'LOG_BASED', undefined, { last_replication_method: 'LOG_BASED' }],
    [
      'LOG_BASED keeps its lsn',
      { last_replication_method: 'LOG_BASED', lsn: 5000000000n, version: 2 },
      'LOG_BASED',
      undefined,
      { last_replication_method: 'LOG_BASED', lsn: 5000000000n, version: 2 },
    ],
  ]
  it.each(cases)('%s', (_name, before, method, key, after) => {
    expect(reconcileBookmark(before, method, key)).toEqual(after)
  })
})

describe('state updates', () => {
  it('patches one bookmark without touching the others; undefined removes a key', () => {
    const s0 = parseState({ bookmarks: { a: { version: 1, xmin: 3 }, b: { lsn: 7 } } })
    const s1 = patchBookmark(s0, 'a', { xmin: undefined, version: 2 })
    expect(getBookmark(s1, 'a')).toEqual({ version: 2 })
    expect(getBookmark(s1, 'b')).toBe(getBookmark(s0, 'b'))
    expect(getBookmark(s0, 'a')).toEqual({ version: 1, xmin: 3 })
  })

  it('writes exact numbers: bigint LSNs, raw key values, kept unknown keys', () => {
    const s = patchBookmark(
      patchBookmark(EMPTY_STATE, 'x', { lsn: 18446744073709551615n, version: 1700000000000 }),
      'y',
      { replication_key_value: rawJson('12345678901234567890.5'), xmin: null },
    )
    expect(stateJson(s)).toBe(
      '{"currently_syncing":null,"bookmarks":{"x":{"lsn":18446744073709551615,"version":1700000000000},"y":{"replication_key_value":12345678901234567890.5,"xmin":null}}}',
    )
    expect(stateLine(s)).toBe(`{"type":"STATE","value":${stateJson(s)}}\n`)
  })

  it('escapes line separators so STATE stays on one line', () => {
    const s = patchBookmark(EMPTY_STATE, 'a\u2028b', {
      replication_key_value: rawJson('"x\\u2029"'),
      last_replication_method: 'x\ny',
    })
    expect(stateJson(s)).not.toMatch(/[\n\u2028\u2029]/)
  })

  it('binds key values as their text', () => {
    expect(keyValueParameter(rawJson('"2023-05-17T10:11:12.123456+00:00"'))).toBe(
      '2023-05-17T10:11:12.123456+00:00',
    )
    expect(keyValueParameter(rawJson('9223372036854775807'))).toBe('9223372036854775807')
    expect(keyValueParameter(rawJson('"a\\"b"'))).toBe('a"b')
  })
})
