/** The pure rules of LOG_BASED loads read on a replica (src/sync/replica-catchup.ts). */
import { describe, expect, it } from 'vitest'
import { catchupStep, catchupTarget } from '../../src/sync/replica-catchup.js'

describe('catchupTarget', () => {
  it('is the slot position when the state has no lsn, or only lsns at or behind it', () => {
    expect(catchupTarget(1000n, [])).toEqual({ lsn: 1000n, source: 'slot' })
    expect(catchupTarget(1000n, [undefined, undefined])).toEqual({ lsn: 1000n, source: 'slot' })
    expect(catchupTarget(1000n, [900n, 5000n])).toEqual({ lsn: 1000n, source: 'slot' })
    expect(catchupTarget(1000n, [1000n])).toEqual({ lsn: 1000n, source: 'slot' })
  })

  it('is the smallest lsn of the state when that is beyond the slot (the run confirms it)', () => {
    expect(catchupTarget(1000n, [undefined, 7000n, 3000n])).toEqual({ lsn: 3000n, source: 'state' })
  })

  it('compares 64-bit positions exactly', () => {
    const high = 0xffff_ffff_0000_0001n
    expect(catchupTarget(high - 1n, [high])).toEqual({ lsn: high, source: 'state' })
  })
})

describe('catchupStep', () => {
  it('is ready once the replica has replayed the position, even with no time to wait', () => {
    expect(catchupStep(500n, 500n, 0, 0)).toBe('ready')
    expect(catchupStep(501n, 500n, 10_000_000, 1)).toBe('ready')
  })

  it('waits while behind and within secondary_catchup_seconds, then times out', () => {
    expect(catchupStep(499n, 500n, 0, 300)).toBe('wait')
    expect(catchupStep(499n, 500n, 299_999, 300)).toBe('wait')
    expect(catchupStep(499n, 500n, 300_000, 300)).toBe('timeout')
    expect(catchupStep(499n, 500n, 0, 0)).toBe('timeout')
    expect(catchupStep(499n, 500n, 1_500, 1.5)).toBe('timeout')
  })
})

describe('catchupTarget with a pgoutput slot', () => {
  it("takes the run's end_lsn when it is further than the slot and the state", () => {
    expect(catchupTarget(1000n, [3000n], 5000n)).toEqual({ lsn: 5000n, source: 'publication' })
    expect(catchupTarget(1000n, [3000n], 2000n)).toEqual({ lsn: 3000n, source: 'state' })
    expect(catchupTarget(1000n, [], 1000n)).toEqual({ lsn: 1000n, source: 'slot' })
  })
})
