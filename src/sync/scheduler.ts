/**
 * Runs the pool's jobs, `size` at a time (one per pool thread), and decides how the run stops:
 * - a signal: every running job stops after the rows it has read; no new job starts;
 * - a job fails: the same for the others, then the failure is reported;
 * - stdout is closed: every running job is aborted at once.
 * A job is a whole stream (StreamRun) or one chunk of a chunked load (chunked-stream.ts); streams
 * start largest first (row estimate), so a big table does not start last and run alone, and a chunked
 * stream's chunks follow one another in the queue, so the exported snapshot is released early.
 * The scheduler holds the queue itself (Piscina's queue stays empty), so a stopped run never
 * starts a job it would have to stop again.
 */
import { TapError } from '../errors.js'
import type { PlannedStream } from './plan.js'
import type { StreamRun, StreamOutcome, StreamStatus } from './stream-runner.js'

export interface ScheduleOutcome {
  completed: string[]
  failure?: TapError
  outputClosed: boolean
}

/** Largest estimated tables first; ties keep catalog order. */
export function streamOrder<T extends Pick<PlannedStream, 'rowEstimate'>>(streams: readonly T[]): T[] {
  return streams
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0].rowEstimate - a[0].rowEstimate || a[1] - b[1])
    .map(([s]) => s)
}

export interface JobOutcome {
  readonly status: StreamStatus
  readonly error?: TapError
  /** This job completed its stream (a whole-stream job that is done, or a chunked stream's last chunk). */
  readonly streamCompleted: boolean
}

export interface Job {
  readonly tapStreamId: string
  run(): Promise<JobOutcome>
  /** Stop after the rows read so far (signal, or another job failed). */
  stop(): void
  /** Drop everything at once (stdout is gone). */
  abort(): void
  /** The run stopped before this job started: it never will. */
  skip(): void
}

/** A whole stream as one job. */
export function streamJob(run: StreamRun): Job {
  return {
    tapStreamId: run.stream.tapStreamId,
    run: async () => {
      const outcome: StreamOutcome = await run.run()
      return { status: outcome.status, error: outcome.error, streamCompleted: outcome.status === 'done' }
    },
    stop: () => run.stop(),
    abort: () => run.abort(),
    skip: () => undefined,
  }
}

export async function runJobs(
  jobs: readonly Job[],
  size: number,
  logger: { info(message: string): void },
  signal: AbortSignal,
): Promise<ScheduleOutcome> {
  const queue = [...jobs]
  const running = new Set<Job>()
  const out: ScheduleOutcome = { completed: [], outputClosed: false }
  let stopping = signal.aborted

  const stopAll = (): void => {
    stopping = true
    for (const r of running) r.stop()
  }
  const onSignal = (): void => stopAll()
  signal.addEventListener('abort', onSignal, { once: true })

  const onOutcome = (job: Job, outcome: JobOutcome): void => {
    if (outcome.streamCompleted) out.completed.push(job.tapStreamId)
    if (outcome.status !== 'failed' || outcome.error === undefined) return
    if (outcome.error.code === 'OUTPUT_CLOSED') {
      out.outputClosed = true
      stopping = true
      for (const r of running) r.abort()
      return
    }
    // The failure itself is reported once, by the command; here only what happens next.
    if (out.failure === undefined && running.size > 0)
      logger.info(
        `stream ${job.tapStreamId} failed: stopping the other streams after the rows they have read`,
      )
    out.failure ??= outcome.error
    stopAll()
  }

  const lane = async (): Promise<void> => {
    while (!stopping) {
      const job = queue.shift()
      if (job === undefined) return
      running.add(job)
      let outcome: JobOutcome
      try {
        outcome = await job.run()
      } catch (e) {
        const error =
          e instanceof TapError
            ? e
            : new TapError('INTERNAL', `stream ${job.tapStreamId}: ${(e as Error).message}`)
        outcome = { status: 'failed', error, streamCompleted: false }
      } finally {
        running.delete(job)
      }
      onOutcome(job, outcome)
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.max(1, size) }, lane))
  } finally {
    signal.removeEventListener('abort', onSignal)
    for (const job of queue.splice(0)) job.skip()
  }
  return out
}
