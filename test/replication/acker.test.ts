import { describe, expect, it } from 'vitest'
import { Acker, bookmarkLsn, slotFloor } from '../../src/replication/acker.js'
import { smallestLsn } from '../../src/pg/lsn.js'
import { parseState } from '../../src/singer/read-inputs.js'

describe('Acker.confirm (the slot position reported in standby status)', () => {
  it.each([
    ['the input state floor', { start: 100n, inputFloor: 100n, slotConfirmed: 80n }, 100n],
    [
      'never below what the slot already confirmed',
      { start: 100n, inputFloor: 60n, slotConfirmed: 80n },
      80n,
    ],
    [
      'the slot position when no stream had an lsn (first run)',
      { start: 80n, inputFloor: undefined, slotConfirmed: 80n },
      80n,
    ],
  ])('is %s', (_what, opts, expected) => {
    expect(new Acker(opts).confirm).toBe(expected)
  })

  it('does not move during the run, whatever is committed or kept alive', () => {
    const a = new Acker({ start: 100n, inputFloor: 100n, slotConfirmed: 50n })
    a.begin()
    a.commit(500n)
    a.keepalive(900n, false)
    a.drained()
    expect(a.position).toBe(900n)
    expect(a.confirm).toBe(100n)
  })
})

describe('Acker.position (what a STATE may say)', () => {
  const fresh = () => new Acker({ start: 100n, inputFloor: 100n, slotConfirmed: 100n })

  it('starts where the server starts: the larger of start and the slot position', () => {
    expect(fresh().position).toBe(100n)
    expect(new Acker({ start: 100n, inputFloor: 100n, slotConfirmed: 150n }).position).toBe(150n)
  })

  it('moves to the end of each commit', () => {
    const a = fresh()
    a.begin()
    expect(a.position).toBe(100n)
    a.commit(200n)
    expect(a.position).toBe(200n)
  })

  it('takes an idle keepalive at once', () => {
    const a = fresh()
    a.keepalive(300n, false)
    expect(a.position).toBe(300n)
  })

  it('ignores a keepalive inside a transaction until the commit, and the queue behind it, are processed', () => {
    const a = fresh()
    a.begin()
    a.keepalive(300n, false)
    expect(a.position).toBe(100n)
    a.commit(250n)
    expect(a.position).toBe(250n)
    a.drained()
    expect(a.position).toBe(300n)
  })

  it('holds a keepalive that overtook queued messages until they are processed', () => {
    const a = fresh()
    a.keepalive(300n, true) // a B/I/C for commit 250 is still in the queue
    expect(a.position).toBe(100n)
    a.begin()
    a.drained() // not possible mid-transaction in practice, and must not apply it anyway
    expect(a.position).toBe(100n)
    a.commit(250n)
    expect(a.position).toBe(250n)
    a.drained()
    expect(a.position).toBe(300n)
  })

  it('does not apply a held keepalive at a commit while later transactions still wait in the queue', () => {
    // Measured with pgoutput: B I C (commit 250), B U C (commit 270), B D C (commit 290) received,
    // then a keepalive at 300; the keepalive is handled while the first transaction is, and a
    // commit that applied it would claim 300 with the two later transactions still unprocessed.
    const a = fresh()
    a.begin()
    a.keepalive(300n, true)
    a.commit(250n)
    expect(a.position).toBe(250n)
    a.begin()
    a.commit(270n)
    expect(a.position).toBe(270n)
    a.begin()
    a.commit(290n)
    a.drained()
    expect(a.position).toBe(300n)
  })

  it('applies a held keepalive when the queue drains outside a transaction', () => {
    const a = fresh()
    a.keepalive(300n, true)
    a.keepalive(280n, true) // an older one never lowers the held value
    a.drained()
    expect(a.position).toBe(300n)
  })

  it('never goes backwards', () => {
    const a = fresh()
    a.keepalive(300n, false)
    a.begin()
    a.commit(200n)
    a.keepalive(250n, false)
    expect(a.position).toBe(300n)
  })
})

describe('bookmarkLsn and smallestLsn', () => {
  it.each([
    [undefined, 500n, 500n],
    [100n, 500n, 500n],
    [900n, 500n, 900n],
  ])('bookmark %s with written %s → %s', (bookmark, written, out) => {
    expect(bookmarkLsn(bookmark, written)).toBe(out)
  })

  it('finds the smallest defined LSN', () => {
    expect(smallestLsn([undefined, 5000001234n, 5000000000n])).toBe(5000000000n)
    expect(smallestLsn([undefined])).toBeUndefined()
    expect(smallestLsn([])).toBeUndefined()
  })
})

describe('slotFloor (the input floor the slot is confirmed at)', () => {
  const input = parseState({
    bookmarks: { a: { lsn: 500 }, b: { lsn: 300, xmin: 7, version: 1 }, c: { lsn: 100 } },
  })
  const now = parseState({
    bookmarks: {
      a: { lsn: 900 },
      b: { lsn: 300, xmin: 9, version: 1 },
      c: { lsn: 100 },
      d: { lsn: 200, xmin: 4, version: 2 },
    },
  })

  it('is the smallest input lsn of the streamed tables; unselected ones do not count', () => {
    expect(slotFloor(input, now, ['a'], [])).toBe(500n)
    expect(slotFloor(input, now, [], [])).toBeUndefined()
  })

  it('counts the lsn of an unfinished load that is not streamed (where the next run streams from), as read and as it is now', () => {
    expect(slotFloor(input, now, ['a'], ['b'])).toBe(300n)
    // A load started in this run: no input lsn, its current one counts.
    expect(slotFloor(input, now, ['a'], ['d'])).toBe(200n)
  })
})
