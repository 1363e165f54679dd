import { describe, expect, it } from 'vitest'
import { stopReason, type StopInputs } from '../../src/replication/stop-rule.js'

const base: StopInputs = {
  aborted: false,
  breakAtEndLsn: true,
  endLsn: 1000n,
  written: 500n,
  now: 10_000,
  startedAt: 0,
  lastDataAt: 9_000,
  maxRunSeconds: 60,
  idleSeconds: 30,
}

describe('stopReason', () => {
  it.each([
    ['nothing holds', {}, undefined],
    ['a signal', { aborted: true }, 'signal'],
    ['the signal first when several hold', { aborted: true, written: 2000n, now: 100_000 }, 'signal'],
    ['written reached end_lsn', { written: 1000n }, 'caught-up'],
    ['written passed end_lsn', { written: 5000n }, 'caught-up'],
    ['end_lsn ignored without break_at_end_lsn', { written: 5000n, breakAtEndLsn: false }, undefined],
    ['max_run_seconds', { now: 60_000, lastDataAt: 59_000 }, 'max-run'],
    ['logical_poll_total_seconds without data', { now: 40_000 }, 'idle'],
    ['data just before the idle limit', { now: 38_999 }, undefined],
    [
      'no data, but the server read further towards end_lsn lately',
      { now: 40_000, serverLsn: 900n, serverAdvancedAt: 35_000 },
      undefined,
    ],
    [
      'no data, and the server stopped reading short of end_lsn',
      { now: 70_000, lastDataAt: 9_000, maxRunSeconds: 600, serverLsn: 900n, serverAdvancedAt: 35_000 },
      'idle',
    ],
    [
      'a short idle limit: the server counts as working for 10 s after its position last moved',
      { now: 14_000, lastDataAt: 2_000, idleSeconds: 1, serverLsn: 900n, serverAdvancedAt: 5_000 },
      undefined,
    ],
    [
      'a short idle limit: the server still for 10 s',
      { now: 15_000, lastDataAt: 2_000, idleSeconds: 1, serverLsn: 900n, serverAdvancedAt: 5_000 },
      'idle',
    ],
    [
      'the server past end_lsn: its progress is not waited for',
      { now: 40_000, serverLsn: 1000n, serverAdvancedAt: 39_000 },
      'idle',
    ],
    [
      "without break_at_end_lsn the server's progress is no activity",
      { now: 40_000, breakAtEndLsn: false, serverLsn: 900n, serverAdvancedAt: 39_000 },
      'idle',
    ],
    [
      'max_run_seconds still ends a run the server works on',
      { now: 60_000, serverLsn: 900n, serverAdvancedAt: 59_000 },
      'max-run',
    ],
  ] as Array<[string, Partial<StopInputs>, string | undefined]>)('%s', (_what, patch, reason) => {
    expect(stopReason({ ...base, ...patch })).toBe(reason)
  })
})
