import { describe, expect, it } from 'vitest'
import { InputError } from '../../src/errors.js'
import {
  behindSlotContinueWarning,
  positionsBehindSlot,
  settleBehindSlot,
  streamPosition,
} from '../../src/sync/behind-slot.js'
import { parseState } from '../../src/singer/read-inputs.js'
import type { SingerState, StateValue } from '../../src/singer/state.js'
import { thrownBy } from '../harness/thrown.js'

const SLOT = { name: 'pipelinewise_shop', confirmedFlushLsn: 0x1_0000_2000n }
const C = SLOT.confirmedFlushLsn

const state = (bookmarks: Record<string, Record<string, unknown>>): SingerState =>
  parseState({ currently_syncing: null, bookmarks } as unknown as StateValue)
const lb = (lsn: bigint | undefined, extra: Record<string, unknown> = {}) => ({
  last_replication_method: 'LOG_BASED',
  version: 1700000000000,
  xmin: null,
  ...(lsn === undefined ? {} : { lsn: Number(lsn) }),
  ...extra,
})

describe('streamPosition', () => {
  it("is the lsn bookmark, else an unfinished chunked load's snapshot_lsn, else none", () => {
    expect(streamPosition('a', state({ a: lb(500n) }).bookmarks.a)).toEqual({
      tapStreamId: 'a',
      lsn: 500n,
      source: 'lsn',
    })
    const chunked = lb(undefined, {
      xmin: undefined,
      chunks: { pages: 10, size: 2, done: [[0, 1]], relfilenode: 1, snapshot_xmax: 9, snapshot_lsn: 400 },
    })
    expect(streamPosition('a', state({ a: chunked }).bookmarks.a)).toEqual({
      tapStreamId: 'a',
      lsn: 400n,
      source: 'snapshot_lsn',
    })
    expect(
      streamPosition(
        'a',
        state({ a: { last_replication_method: 'LOG_BASED', version: 1, xmin: 77 } }).bookmarks.a,
      ),
    ).toBeUndefined()
    expect(streamPosition('a', {})).toBeUndefined()
  })
})

describe('positionsBehindSlot', () => {
  it('only positions strictly before confirmed_flush_lsn: equal is the normal case after a pre-flush', () => {
    const p = (id: string, lsn: bigint) => ({ tapStreamId: id, lsn, source: 'lsn' as const })
    expect(positionsBehindSlot([p('eq', C), p('after', C + 1n), undefined, p('before', C - 1n)], C)).toEqual([
      p('before', C - 1n),
    ])
    expect(positionsBehindSlot([p('before', 1n)], null)).toEqual([])
  })
})

describe('settleBehindSlot', () => {
  const ids = ['public-a', 'public-b']

  it.each(['fail', 'reload', 'continue'] as const)(
    '%s: a state at or beyond the slot passes unchanged (pre-flush, idle streams, positions beyond the server)',
    (policy) => {
      const s = state({ 'public-a': lb(C), 'public-b': lb(C + 5000n), 'public-c': lb(1n) })
      const out = settleBehindSlot(policy, SLOT, ids, s)
      expect(out.state).toBe(s)
      expect(out.reloaded).toEqual([])
      expect(out.warnings).toEqual([])
      const example = state({ 'public-a': lb(5000000000n), 'public-b': lb(5000001234n) })
      expect(
        settleBehindSlot(policy, { name: 's', confirmedFlushLsn: 5000000000n }, ids, example).state,
      ).toBe(example)
    },
  )

  it('passes streams with no position yet (a fresh initial load), and runs without a slot', () => {
    const s = state({ 'public-a': { last_replication_method: 'LOG_BASED' } })
    expect(settleBehindSlot('fail', SLOT, ids, s).state).toBe(s)
    const behind = state({ 'public-a': lb(1n) })
    expect(settleBehindSlot('fail', undefined, ids, behind).state).toBe(behind)
    expect(settleBehindSlot('fail', { name: 's', confirmedFlushLsn: null }, ids, behind).state).toBe(behind)
  })

  it('only looks at the LOG_BASED streams it is given', () => {
    const s = state({ 'public-a': lb(C), 'public-x': lb(1n) })
    expect(settleBehindSlot('fail', SLOT, ids, s).state).toBe(s)
  })

  it("fail: one line naming the stream, its lsn, the slot's confirmed_flush_lsn and the way out; exit 2", () => {
    const e = thrownBy(InputError, () =>
      settleBehindSlot('fail', SLOT, ids, state({ 'public-a': lb(C - 0x1000n), 'public-b': lb(C) })),
    )
    expect(e.code).toBe('STATE_BEHIND_SLOT')
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe(
      'stream public-a: its bookmark lsn 1/1000 (4294971392) is behind replication slot "pipelinewise_shop"\'s confirmed_flush_lsn 1/2000 (4294975488): ' +
        'the changes in between were consumed by a run whose STATE is not this one (an older STATE, or a target restored from a backup), and the server does not send them again',
    )
    expect(e.hint).toContain('state_behind_slot to "reload"')
    expect(e.hint).toContain('"continue"')
    expect(`${e.message} ${e.hint}`).not.toContain('\n')
  })

  it('fail: names every stream behind, and an unfinished chunked load by its snapshot_lsn', () => {
    const chunked = lb(undefined, {
      xmin: undefined,
      chunks: { pages: 10, size: 2, done: [], relfilenode: 1, snapshot_xmax: 9, snapshot_lsn: 100 },
    })
    const e = thrownBy(InputError, () =>
      settleBehindSlot('fail', SLOT, ids, state({ 'public-a': lb(C - 1n), 'public-b': chunked })),
    )
    expect(e.message).toMatch(
      /^streams public-a \(bookmark lsn 1\/1FFF \(4294975487\)\), public-b \(unfinished initial load's snapshot_lsn 0\/64 \(100\)\) are behind replication slot "pipelinewise_shop"/,
    )
  })

  it('reload: the streams behind start over (no lsn, version, xmin or chunks), the others keep their bookmark, one warning each', () => {
    const chunked = lb(undefined, {
      xmin: undefined,
      chunks: { pages: 10, size: 2, done: [], relfilenode: 1, snapshot_xmax: 9, snapshot_lsn: 100 },
    })
    const s = state({ 'public-a': lb(C - 1n), 'public-b': chunked, 'public-c': lb(C) })
    const out = settleBehindSlot('reload', SLOT, ['public-a', 'public-b', 'public-c'], s)
    expect(out.reloaded).toEqual(['public-a', 'public-b'])
    expect(out.state.bookmarks['public-a']).toEqual({ last_replication_method: 'LOG_BASED' })
    expect(out.state.bookmarks['public-b']).toEqual({ last_replication_method: 'LOG_BASED' })
    expect(out.state.bookmarks['public-c']).toBe(s.bookmarks['public-c'])
    expect(out.warnings).toHaveLength(2)
    expect(out.warnings[0]).toMatch(
      /^stream public-a: its bookmark lsn 1\/1FFF \(4294975487\) is behind replication slot "pipelinewise_shop"'s confirmed_flush_lsn 1\/2000 .*loading the table again under a new version \(state_behind_slot = reload\)$/,
    )
    // The input state is not modified.
    expect(s.bookmarks['public-a'].lsn).toBe(C - 1n)
  })

  it('continue: nothing changes before the run; the replication run warns', () => {
    const s = state({ 'public-a': lb(C - 1n) })
    expect(settleBehindSlot('continue', SLOT, ids, s)).toEqual({ state: s, reloaded: [], warnings: [] })
    expect(
      behindSlotContinueWarning(SLOT, [{ tapStreamId: 'public-a', lsn: C - 1n, source: 'lsn' }]),
    ).toMatch(
      /^stream public-a: its bookmark lsn 1\/1FFF \(4294975487\) is behind .*streaming resumes at the slot's position \(state_behind_slot = continue\)$/,
    )
  })
})
