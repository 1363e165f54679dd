import { describe, expect, it } from 'vitest'
import { arrayElements, JsonShapeError } from '../../src/singer/json-array-elements.js'
import { thrownBy } from '../harness/thrown.js'

/** The document cut into pieces of `size` bytes. */
function pieces(text: string, size: number): Buffer[] {
  const b = Buffer.from(text)
  const out: Buffer[] = []
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size))
  return out
}

const DOC = JSON.stringify(
  {
    version: 1,
    other: [{ streams: ['not this one'] }, '"streams"'],
    'str\\"eams': [9],
    streams: [
      {
        tap_stream_id: 'a',
        x: 'brace } and bracket ] in a string, a quote \\" and \\\\',
        nested: { deep: [[1], { k: '{' }] },
      },
      { tap_stream_id: 'é 😀', y: null },
      [1, 2],
      'a string, with a comma',
      12.5e3,
      true,
      null,
    ],
    after: { streams: [] },
  },
  null,
  2,
)

describe('arrayElements', () => {
  const expected = (JSON.parse(DOC) as { streams: unknown[] }).streams

  it("yields each element of the top-level key's array, whatever the piece boundaries", () => {
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      const got = [...arrayElements(pieces(DOC, size), 'streams')].map((t) => JSON.parse(t) as unknown)
      expect(got, `pieces of ${size}`).toEqual(expected)
    }
  })

  it('an empty array and compact text', () => {
    expect([...arrayElements(pieces('{"streams":[]}', 3), 'streams')]).toEqual([])
    expect([...arrayElements(pieces('{"a":{"streams":[1]},"streams":[{"b":[]},{}]}', 5), 'streams')]).toEqual(
      ['{"b":[]}', '{}'],
    )
  })

  it.each([
    ['not an object', '[{"streams": []}]', true],
    ['no such array', '{"other": []}', true],
    ['ends inside the array', '{"streams": [{"a": 1}', false],
    ['ends inside a string', '{"streams": ["abc', false],
    ['unbalanced', '{"streams": []}}', false],
    ['text after the end', '{"streams": []} {}', false],
    ['empty', '', false],
  ])('refuses a document that is %s (a wrong shape: %s)', (_why, text, wrongShape) => {
    const e = thrownBy(JsonShapeError, () => [...arrayElements(pieces(text, 4), 'streams')])
    expect(e.wrongShape).toBe(wrongShape)
  })
})
