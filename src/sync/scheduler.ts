/**
 * Runs the pool's streams, `size` at a time, and decides how the run stops:
 * - a signal: every running stream stops after the rows it has read; no new stream starts;
 * - a stream fails: the same for the others, then the failure is reported;
 * - stdout is closed: every running stream is aborted at once.
 * Streams start largest first (row estimate), so a big table does not start last and run alone.
 * The scheduler holds the queue itself (Piscina's queue stays empty), so a stopped run never
 * starts a stream it would have to stop again.
 */
import { TapError } from '../errors.js'
import type { PlannedStream } from './plan.js'
import { StreamRun, type StreamOutcome, type StreamRunContext } from './stream-runner.js'

export interface ScheduleOutcome {
  completed: string[]
  failure?: TapError
  outputClosed: boolean
}

/** Largest estimated tables first; ties keep catalog order. */
export function streamOrder<T extends Pick<PlannedStream, 'rowEstimate'>>(streams: readonly T[]): T[] {
  return streams.map((s, i) => [s, i] as const).sort((a, b) => b[0].rowEstimate - a[0].rowEstimate || a[1] - b[1]).map(([s]) => s)
}

export async function runStreams(streams: readonly PlannedStream[], size: number, ctx: StreamRunContext, signal: AbortSignal): Promise<ScheduleOutcome> {
  const queue = streamOrder(streams)
  const running = new Set<StreamRun>()
  const out: ScheduleOutcome = { completed: [], outputClosed: false }
  let stopping = signal.aborted

  const stopAll = (): void => {
    stopping = true
    for (const r of running) r.stop()
  }
  const onSignal = (): void => stopAll()
  signal.addEventListener('abort', onSignal, { once: true })

  const onOutcome = (run: StreamRun, outcome: StreamOutcome): void => {
    if (outcome.status === 'done') out.completed.push(run.stream.tapStreamId)
    if (outcome.status !== 'failed' || outcome.error === undefined) return
    if (outcome.error.code === 'OUTPUT_CLOSED') {
      out.outputClosed = true
      stopping = true
      for (const r of running) r.abort()
      return
    }
    // The failure itself is reported once, by the command; here only what happens next.
    if (out.failure === undefined && running.size > 0) ctx.logger.info(`stream ${run.stream.tapStreamId} failed: stopping the other streams after the rows they have read`)
    out.failure ??= outcome.error
    stopAll()
  }

  const lane = async (): Promise<void> => {
    for (let s = queue.shift(); s !== undefined && !stopping; s = queue.shift()) {
      const run = new StreamRun(ctx, s)
      running.add(run)
      let outcome: StreamOutcome
      try {
        outcome = await run.run()
      } catch (e) {
        const error = e instanceof TapError ? e : new TapError('INTERNAL', `stream ${s.tapStreamId}: ${(e as Error).message}`)
        outcome = { status: 'failed', rows: 0, error }
      } finally {
        running.delete(run)
      }
      onOutcome(run, outcome)
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.max(1, size) }, lane))
  } finally {
    signal.removeEventListener('abort', onSignal)
  }
  return out
}
