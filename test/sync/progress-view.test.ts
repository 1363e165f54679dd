/**
 * The live view's drawing on a stand-in terminal stream (fake timers, the screen replayed by
 * test/harness/terminal.ts): at most ten frames a second, other writes to the stream above the
 * frame, the summary and the cursor at the end, the stream's write given back. The real terminal
 * (a pty, the built CLI) is in progress-view.pg.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FRAME_MS, LiveView } from '../../src/sync/progress-view.js'
import { renderScreen } from '../harness/terminal.js'

const SYNC_START = '\u001B[?2026h'

function fakeTerminal(): { stream: NodeJS.WriteStream; out: () => string; write: (s: string) => boolean } {
  let out = ''
  const stream = {
    isTTY: true,
    columns: 100,
    rows: 20,
    write(chunk: string | Uint8Array): boolean {
      out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
      return true
    },
  }
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    out: () => out,
    write: (s) => (stream as unknown as NodeJS.WriteStream).write(s),
  }
}

function count(text: string, part: string): number {
  return text.split(part).length - 1
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('LiveView', () => {
  it('draws at most every FRAME_MS, however often the sync reports; events never draw', () => {
    const t = fakeTerminal()
    const view = new LiveView(t.stream)
    view.planned([{ stream: 'public-a', method: 'FULL_TABLE' }])
    view.started('public-a', 100_000)
    const before = t.out()
    view.advanced('public-a', 10)
    expect(t.out()).toBe(before)
    // 2,000 batches in two seconds.
    for (let i = 0; i < 2000; i++) {
      vi.advanceTimersByTime(1)
      view.advanced('public-a', 10)
    }
    const frames = count(t.out(), SYNC_START)
    expect(frames).toBeGreaterThan(5)
    expect(frames).toBeLessThanOrEqual(2000 / FRAME_MS)
    expect(renderScreen(t.out())).toEqual([
      '▶ public-a  20,000/100,000 rows  20%  10,000 rows/s  ETA 0:08',
      'total  0/1 streams done  20,000 records  10,000 records/s  0:02 elapsed',
    ])
    view.close('finished')
  })

  it('puts other writes to the stream above the frame, and holds the frame back during a partial line', () => {
    const t = fakeTerminal()
    const view = new LiveView(t.stream)
    view.planned([{ stream: 'public-a', method: 'FULL_TABLE' }])
    view.started('public-a', 1000)
    vi.advanceTimersByTime(FRAME_MS)
    t.write('time=x level=warning message=first\n')
    t.write('time=x level=warning message=second\n')
    // Redrawn on the next turn, once for the burst.
    const framesBefore = count(t.out(), SYNC_START)
    vi.advanceTimersByTime(0)
    expect(count(t.out(), SYNC_START)).toBe(framesBefore + 1)
    expect(renderScreen(t.out())).toEqual([
      'time=x level=warning message=first',
      'time=x level=warning message=second',
      '▶ public-a  0/1,000 rows  0%  waiting for the first rows',
      'total  0/1 streams done  0 records  0:00 elapsed',
    ])
    // A worker's line may arrive in pieces: no frame in the middle of it.
    t.write('time=x level=error ')
    vi.advanceTimersByTime(5 * FRAME_MS)
    t.write(Buffer.from('message=third\n') as unknown as string)
    vi.advanceTimersByTime(FRAME_MS)
    view.advanced('public-a', 500)
    vi.advanceTimersByTime(FRAME_MS)
    expect(renderScreen(t.out())).toEqual([
      'time=x level=warning message=first',
      'time=x level=warning message=second',
      'time=x level=error message=third',
      '▶ public-a  500/1,000 rows  50%  625 rows/s  ETA 0:01',
      'total  0/1 streams done  500 records  625 records/s  0:00 elapsed',
    ])
    view.close('finished')
  })

  it('close: the summary stays, the cursor is shown, the stream, the timers and process exit are left as they were', () => {
    const t = fakeTerminal()
    const write = t.stream.write
    const exitListeners = process.listenerCount('exit')
    const view = new LiveView(t.stream)
    expect(t.stream.write).not.toBe(write)
    expect(process.listenerCount('exit')).toBe(exitListeners + 1)
    expect(t.out().startsWith('\u001B[?25l')).toBe(true)
    view.planned([
      { stream: 'public-a', method: 'FULL_TABLE' },
      { stream: 'public-b', method: 'FULL_TABLE' },
    ])
    view.started('public-a', 10)
    vi.advanceTimersByTime(1000)
    view.advanced('public-a', 10)
    view.ended('public-a', 'succeeded')
    vi.advanceTimersByTime(FRAME_MS)
    view.close('stopped')
    view.close('finished')
    expect(t.out().endsWith('\u001B[?25h')).toBe(true)
    expect(renderScreen(t.out())).toEqual([
      '✔ public-a  10 rows in 1.0s (10 rows/s)',
      '· public-b  not started',
      'Sync stopped: 1/2 streams, 10 records in 1.1s (9.1 records/s)',
    ])
    expect(t.stream.write).toBe(write)
    expect(vi.getTimerCount()).toBe(0)
    expect(process.listenerCount('exit')).toBe(exitListeners)
  })

  it('on process exit (a second signal exits at once) it leaves the summary and the cursor', () => {
    const t = fakeTerminal()
    const before = new Set(process.listeners('exit'))
    const view = new LiveView(t.stream)
    const onExit = process.listeners('exit').find((l) => !before.has(l))
    expect(onExit).toBeDefined()
    view.started('public-a', 10)
    ;(onExit as () => void)()
    expect(renderScreen(t.out())).toEqual([
      '■ public-a  stopped after 0 rows (0.0s)',
      'Sync stopped: 0/1 streams, 0 records in 0.0s',
    ])
    expect(t.out().endsWith('\u001B[?25h')).toBe(true)
    expect(process.listeners('exit')).not.toContain(onExit)
  })
})
