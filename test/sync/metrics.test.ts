import { afterEach, describe, expect, it, vi } from 'vitest'
import { Logger } from '../../src/log/logger.js'
import { SyncMetrics } from '../../src/log/metrics.js'

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  return {
    logger: new Logger({ level: 'info', format: 'text', secrets: [], sink: (l) => lines.push(l) }),
    lines,
  }
}

function metricsOf(lines: string[]): unknown[] {
  return lines
    .map((l) => /METRIC: (\{.*\})$/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .map((x) => JSON.parse(x))
}

afterEach(() => {
  vi.useRealTimers()
})

describe('SyncMetrics', () => {
  it('emits record_count every interval (records since the last line) and at stream end, then sync_duration', () => {
    vi.useFakeTimers()
    const { logger, lines } = capture()
    const m = new SyncMetrics(logger, 60_000)
    m.streamStarted('public-a')
    m.recordsWritten('public-a', 700)
    m.recordsWritten('public-a', 300)
    vi.advanceTimersByTime(60_000)
    m.recordsWritten('public-a', 5)
    vi.advanceTimersByTime(60_000)
    vi.advanceTimersByTime(60_000)
    m.streamEnded('public-a', 'succeeded')
    m.close()
    const out = metricsOf(lines)
    expect(out.slice(0, 3)).toEqual([
      { type: 'counter', metric: 'record_count', value: 1000, tags: { stream: 'public-a' } },
      { type: 'counter', metric: 'record_count', value: 5, tags: { stream: 'public-a' } },
      { type: 'counter', metric: 'record_count', value: 0, tags: { stream: 'public-a' } },
    ])
    expect(out[3]).toMatchObject({
      type: 'timer',
      metric: 'sync_duration',
      tags: { stream: 'public-a', status: 'succeeded' },
    })
    expect(out).toHaveLength(4)
    expect(lines[0]).toMatch(/level=info message=METRIC: \{"type":"counter"/)
  })
})
