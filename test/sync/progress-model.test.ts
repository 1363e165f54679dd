import { describe, expect, it } from 'vitest'
import { ProgressModel } from '../../src/sync/progress-model.js'
import { clockText, durationText, group } from '../../src/sync/progress-text.js'
import { RateWindow } from '../../src/sync/rate-window.js'

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
  }
}

const SIZE = { width: 120, height: 30 }

describe('RateWindow', () => {
  it('is undefined for the first half second, then the rate over the window', () => {
    const w = new RateWindow(5000)
    w.reset(0, 0)
    w.add(200, 200)
    expect(w.rate(400)).toBeUndefined()
    w.add(1000, 1000)
    expect(w.rate(1000)).toBe(1000)
    // Only the last 5 s count: 1,000 rows/s, then 10,000 rows/s for 5 s.
    for (let t = 1500; t <= 6000; t += 500) w.add(t, 1000 + (t - 1000) * 10)
    expect(w.rate(6000)).toBeCloseTo(10_000, -2)
  })

  it('drops to 0 when nothing moved for a whole window (a stalled read)', () => {
    const w = new RateWindow(5000)
    w.reset(0, 0)
    w.add(1000, 5000)
    expect(w.rate(1000)).toBe(5000)
    expect(w.rate(6000)).toBe(0)
  })

  it('merges samples closer than its step, so a fast stream keeps a bounded list', () => {
    const w = new RateWindow(5000, 250)
    w.reset(0, 0)
    for (let t = 1; t <= 1000; t++) w.add(t, t * 10)
    // 1,000 events in one second, merged into ~4 samples; the rate is still right.
    expect(w.rate(1000)).toBeCloseTo(10_000, -1)
  })
})

describe('formatting', () => {
  it('groups thousands, writes durations and clock times', () => {
    expect(group(0)).toBe('0')
    expect(group(1234567)).toBe('1,234,567')
    expect(durationText(4.06)).toBe('4.1s')
    expect(durationText(75)).toBe('1:15')
    expect(clockText(1200, 'up')).toBe('0:02')
    expect(clockText(1200, 'down')).toBe('0:01')
    expect(clockText(3_723_000, 'down')).toBe('1:02:03')
  })
})

describe('ProgressModel', () => {
  it('a load in flight: rows done / estimated, %, rows/s, ETA, chunks; then the total line', () => {
    const c = fakeClock()
    const m = new ProgressModel(c.now)
    m.planned([
      { stream: 'public-big', method: 'FULL_TABLE' },
      { stream: 'public-small', method: 'FULL_TABLE' },
    ])
    m.started('public-big', 100_000, { total: 8, done: 2 })
    let lines = m.lines(SIZE)
    // Before the first rows: no rate, no ETA.
    expect(lines).toEqual([
      '▶ public-big  0/100,000 rows  0%  waiting for the first rows  chunk 2/8',
      'total  0/2 streams done  0 records  0:00 elapsed',
    ])
    for (let i = 1; i <= 4; i++) {
      c.advance(500)
      m.advanced('public-big', 5000)
    }
    m.chunkDone('public-big')
    lines = m.lines(SIZE)
    expect(lines[0]).toBe('▶ public-big  20,000/100,000 rows  20%  10,000 rows/s  ETA 0:08  chunk 3/8')
    expect(lines[1]).toBe('total  0/2 streams done  20,000 records  10,000 records/s  0:02 elapsed')
  })

  it('a finished stream collapses to one line and counts as done; a failed one says so', () => {
    const c = fakeClock()
    const m = new ProgressModel(c.now)
    m.planned([
      { stream: 'public-a', method: 'FULL_TABLE' },
      { stream: 'public-bb', method: 'INCREMENTAL' },
      { stream: 'public-c', method: 'FULL_TABLE' },
    ])
    m.started('public-a', 3000)
    m.started('public-bb', 0)
    c.advance(2000)
    m.advanced('public-a', 3000)
    m.ended('public-a', 'succeeded')
    m.advanced('public-bb', 10)
    const lines = m.lines(SIZE)
    expect(lines).toEqual([
      '✔ public-a   3,000 rows in 2.0s (1,500 rows/s)',
      '▶ public-bb  10 rows  5.0 rows/s',
      'total  1/3 streams done  3,010 records  1,505 records/s  0:02 elapsed',
    ])
    m.ended('public-bb', 'failed')
    expect(m.lines(SIZE)[1]).toBe('✖ public-bb  failed after 10 rows (2.0s)')
    expect(m.lines(SIZE)[2]).toMatch(/^total {2}2\/3 streams done/)
  })

  it('LOG_BASED: the initial load, "streaming next", then messages, msg/s and how far behind the server it is', () => {
    const c = fakeClock()
    const m = new ProgressModel(c.now)
    m.planned([
      { stream: 'public-ev', method: 'LOG_BASED' },
      { stream: 'public-idle', method: 'LOG_BASED' },
    ])
    m.started('public-ev', 1000)
    c.advance(1000)
    m.advanced('public-ev', 1000)
    expect(m.lines(SIZE)[0]).toBe('▶ public-ev  1,000/1,000 rows  100%  1,000 rows/s  (initial load)')
    m.ended('public-ev', 'succeeded')
    expect(m.lines(SIZE)).toEqual([
      '✔ public-ev  1,000 rows loaded in 1.0s; streaming next',
      'total  0/2 streams done  1,000 records  1,000 records/s  0:01 elapsed',
    ])
    m.replicationStarted(['public-ev', 'public-idle'])
    m.walPosition(0x1000000n)
    c.advance(1000)
    m.replicated('public-ev', 400)
    m.walPosition(0x1000100n, 0x1100100n)
    let lines = m.lines(SIZE)
    expect(lines[0]).toBe('▶ public-ev    LOG_BASED  400 messages  400 msg/s  behind 1024 kB')
    expect(lines[1]).toBe('▶ public-idle  LOG_BASED  0 messages  0.0 msg/s  behind 1024 kB')
    expect(m.lagBytes).toBe(0x100000n)
    // An older server position (a keepalive sampled before) does not move it back.
    m.walPosition(0x1000200n, 0x1000300n)
    expect(m.lagBytes).toBe(0x100000n - 0x100n)
    // Written past the newest known server position: never a negative lag.
    m.walPosition(0x1200000n)
    expect(m.lagBytes).toBe(0n)
    c.advance(1000)
    m.replicationEnded('succeeded')
    lines = m.lines(SIZE)
    expect(lines).toEqual([
      '✔ public-ev    1,000 rows loaded, 400 messages in 3.0s',
      '✔ public-idle  0 messages in 2.0s',
      // 1,400 records in the last 3 s.
      'total  2/2 streams done  1,400 records  467 records/s  0:03 elapsed',
    ])
  })

  it('finish(): what is in flight was stopped, what never started says so, and the final line', () => {
    const c = fakeClock()
    const m = new ProgressModel(c.now)
    m.planned([
      { stream: 'public-a', method: 'FULL_TABLE' },
      { stream: 'public-b', method: 'FULL_TABLE' },
      { stream: 'public-c', method: 'FULL_TABLE' },
    ])
    m.started('public-a', 100)
    c.advance(500)
    m.advanced('public-a', 100)
    m.ended('public-a', 'succeeded')
    m.started('public-b', 50_000, { total: 5, done: 0 })
    c.advance(1500)
    m.advanced('public-b', 20_000)
    m.chunkDone('public-b')
    m.finish('stopped')
    c.advance(60_000)
    expect(m.lines(SIZE)).toEqual([
      '✔ public-a  100 rows in 0.5s (200 rows/s)',
      '■ public-b  stopped after 20,000 rows, 1/5 chunks done (1.5s)',
      '· public-c  not started',
      // The clock stopped at finish().
      'Sync stopped: 1/3 streams, 20,100 records in 2.0s (10,050 records/s)',
    ])
  })

  it('keeps to the terminal: at most height − 1 lines, each cut to the width, the total line always last', () => {
    const c = fakeClock()
    const m = new ProgressModel(c.now)
    for (let i = 0; i < 12; i++) m.started(`public-done_${i}`, 10)
    for (let i = 0; i < 12; i++) m.ended(`public-done_${i}`, i === 3 ? 'failed' : 'succeeded')
    for (let i = 0; i < 20; i++) m.started(`public-table_with_a_rather_long_name_${i}`, 1000)
    const lines = m.lines({ width: 50, height: 10 })
    expect(lines).toHaveLength(9)
    expect(lines.every((l) => [...l].length <= 49)).toBe(true)
    expect(lines[7]).toBe('▶ … 13 more in flight')
    expect(lines[8]).toMatch(/^total {2}12\/32 streams done/)
    expect(lines.filter((l) => l.startsWith('▶ public-table'))).toHaveLength(7)
    expect(lines.some((l) => l.endsWith('…'))).toBe(true)

    const roomy = m.lines({ width: 200, height: 40 })
    // 20 in flight, the total, and 18 rows for 12 finished streams: all of them, the failed one last.
    expect(roomy).toHaveLength(33)
    expect(roomy[11]).toMatch(/^✖ public-done_3 /)
    const tight = m.lines({ width: 200, height: 25 })
    expect(tight).toHaveLength(24)
    // 20 in flight and the total leave 3 rows: a count of the hidden ones, then the last two (the failed one kept).
    expect(tight[0]).toBe('  … 10 more streams')
    expect(tight[1]).toMatch(/^✔ public-done_11 /)
    expect(tight[2]).toMatch(/^✖ public-done_3 /)
  })

  it('the final summary is not cut to the screen (it is written once), up to 40 lines', () => {
    const c = fakeClock()
    const m = new ProgressModel(c.now)
    for (let i = 0; i < 60; i++) {
      m.started(`s${i}`, 1)
      m.advanced(`s${i}`, 1)
      m.ended(`s${i}`, 'succeeded')
    }
    m.finish('finished')
    const lines = m.lines({ width: 20, height: 10 })
    expect(lines).toHaveLength(40)
    expect(lines[0]).toBe('  … 22 more streams')
    expect(lines[39]).toBe('Sync finished: 60/60 streams, 60 records in 0.0s')
  })
})
