import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.js'
import { splitStreams, type Shard, type SizedStream } from '../../src/shard/split.js'
import { thrownBy } from '../harness/thrown.js'

const stream = (id: string, bytes: number, method: SizedStream['method'] = 'FULL_TABLE'): SizedStream => ({
  tapStreamId: id,
  method,
  bytes,
  rows: bytes * 10,
})
const ids = (shards: readonly Shard[]) => shards.map((s) => s.streams.map((x) => x.tapStreamId))

/** A deterministic pseudo-random sequence (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('splitStreams', () => {
  it('places largest first onto the lightest shard', () => {
    const shards = splitStreams(
      [stream('a', 10), stream('b', 9), stream('c', 8), stream('d', 7), stream('e', 6), stream('f', 5)],
      3,
    )
    // 10|9|8, then 7 → 8 (15), 6 → 9 (15), 5 → 10 (15).
    expect(ids(shards)).toEqual([
      ['a', 'f'],
      ['b', 'e'],
      ['c', 'd'],
    ])
    expect(shards.map((s) => s.bytes)).toEqual([15, 15, 15])
    expect(shards.map((s) => s.index)).toEqual([1, 2, 3])
    expect(shards.map((s) => s.rows)).toEqual([150, 150, 150])
  })

  it('random catalogs: every stream in exactly one shard, none empty, the same split whatever the input order, within the greedy bound', () => {
    const next = rng(42)
    for (let trial = 0; trial < 300; trial++) {
      const count = 1 + Math.floor(next() * 40)
      const n = 1 + Math.floor(next() * count)
      const streams = Array.from({ length: count }, (_, i) =>
        stream(`s${i}`, next() < 0.1 ? 0 : Math.floor(next() ** 3 * 1e9)),
      )
      const shards = splitStreams(streams, n)
      expect(shards).toHaveLength(n)
      const placed = shards.flatMap((s) => s.streams.map((x) => x.tapStreamId))
      expect(placed.sort()).toEqual(streams.map((s) => s.tapStreamId).sort())
      for (const s of shards) {
        expect(s.streams.length).toBeGreaterThan(0)
        expect(s.bytes).toBe(s.streams.reduce((a, x) => a + x.bytes, 0))
      }
      // Greedy onto the lightest: the heaviest exceeds the lightest by at most the largest stream,
      // and stays within 4/3 of the best possible (which is at least total/N and the largest stream).
      const weights = shards.map((s) => s.bytes)
      const largest = Math.max(...streams.map((s) => s.bytes))
      const total = streams.reduce((a, s) => a + s.bytes, 0)
      expect(Math.max(...weights) - Math.min(...weights)).toBeLessThanOrEqual(largest)
      expect(Math.max(...weights)).toBeLessThanOrEqual((4 / 3) * Math.max(total / n, largest) + 1e-6)
      const shuffled = [...streams].sort(() => next() - 0.5)
      expect(ids(splitStreams(shuffled, n))).toEqual(ids(shards))
    }
  })

  it('streams of unknown size (views) spread over the shards instead of piling onto one', () => {
    const shards = splitStreams(
      [stream('big', 1000), ...['v1', 'v2', 'v3', 'v4', 'v5'].map((v) => stream(v, 0))],
      3,
    )
    expect(shards.map((s) => s.streams.length)).toEqual([1, 3, 2])
    expect(ids(shards)[0]).toEqual(['big'])
  })

  it('equal sizes: ties broken by tap_stream_id, so the plan is stable', () => {
    expect(ids(splitStreams([stream('c', 5), stream('a', 5), stream('b', 5), stream('d', 5)], 2))).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ])
  })

  it('refuses more shards than selected streams, naming how many would work', () => {
    const e = thrownBy(InputError, () => splitStreams([stream('a', 1), stream('b', 2)], 3))
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe(
      '--shards 3: the catalog selects only 2 streams, and every shard needs at least one',
    )
    expect(e.hint).toBe('use --shards 2 or fewer')
  })

  it('refuses no shards and an empty selection', () => {
    expect(thrownBy(InputError, () => splitStreams([stream('a', 1)], 0)).message).toContain('at least 1')
    expect(thrownBy(InputError, () => splitStreams([], 1)).message).toBe(
      'the catalog selects no stream: nothing to split',
    )
  })
})
