/** runJobs with fake jobs: lanes, order, and how a signal, a failure and a closed stdout end a run. */
import { describe, expect, it } from 'vitest'
import { TapError } from '../../src/errors.js'
import { runJobs, streamOrder, type Job, type JobOutcome } from '../../src/sync/scheduler.js'

interface FakeJob extends Job {
  readonly events: string[]
  finish(outcome?: Partial<JobOutcome>): void
}

/** A job that runs until the test finishes it; stop and abort finish it as a real stream would. */
function fakeJob(id: string, log: string[]): FakeJob {
  let resolve: ((o: JobOutcome) => void) | undefined
  const events: string[] = []
  const done = (o: Partial<JobOutcome>) => resolve?.({ status: 'done', streamCompleted: true, ...o })
  return {
    tapStreamId: id,
    events,
    run: () => {
      log.push(`start ${id}`)
      return new Promise<JobOutcome>((r) => {
        resolve = r
      })
    },
    stop: () => {
      events.push('stop')
      done({ status: 'stopped', streamCompleted: false })
    },
    abort: () => {
      events.push('abort')
      done({ status: 'aborted', streamCompleted: false })
    },
    skip: () => events.push('skip'),
    finish: (o = {}) => done(o),
  }
}

const quiet = { info: () => undefined }
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('runJobs', () => {
  it('runs `size` jobs at a time, in queue order, and reports the streams completed', async () => {
    const log: string[] = []
    const jobs = ['a', 'b', 'c'].map((id) => fakeJob(id, log))
    const run = runJobs(jobs, 2, quiet, new AbortController().signal)
    await tick()
    expect(log).toEqual(['start a', 'start b'])
    jobs[1].finish()
    await tick()
    expect(log).toEqual(['start a', 'start b', 'start c'])
    jobs[0].finish()
    jobs[2].finish()
    expect(await run).toEqual({ completed: ['b', 'a', 'c'], outputClosed: false })
  })

  it('a signal stops the running jobs after their rows and starts no other', async () => {
    const log: string[] = []
    const jobs = ['a', 'b', 'c'].map((id) => fakeJob(id, log))
    const ac = new AbortController()
    const run = runJobs(jobs, 2, quiet, ac.signal)
    await tick()
    ac.abort()
    const out = await run
    expect(out.completed).toEqual([])
    expect(jobs[0].events).toEqual(['stop'])
    expect(jobs[1].events).toEqual(['stop'])
    expect(jobs[2].events).toEqual(['skip'])
    expect(log).toEqual(['start a', 'start b'])
  })

  it("a failed job stops the others and is the run's failure; a job that throws fails the same way", async () => {
    const log: string[] = []
    const jobs = ['a', 'b', 'c'].map((id) => fakeJob(id, log))
    const run = runJobs(jobs, 2, quiet, new AbortController().signal)
    await tick()
    const error = new TapError('SYNC_FAILED', 'stream a: boom')
    jobs[0].finish({ status: 'failed', error, streamCompleted: false })
    const out = await run
    expect(out.failure).toBe(error)
    expect(jobs[1].events).toEqual(['stop'])
    expect(jobs[2].events).toEqual(['skip'])

    const throwing: Job = {
      tapStreamId: 'x',
      run: () => Promise.reject(new Error('bug')),
      stop: () => undefined,
      abort: () => undefined,
      skip: () => undefined,
    }
    const out2 = await runJobs([throwing], 1, quiet, new AbortController().signal)
    expect(out2.failure?.code).toBe('INTERNAL')
    expect(out2.failure?.message).toBe('stream x: bug')
  })

  it('a closed stdout aborts every running job at once', async () => {
    const log: string[] = []
    const jobs = ['a', 'b', 'c'].map((id) => fakeJob(id, log))
    const run = runJobs(jobs, 2, quiet, new AbortController().signal)
    await tick()
    jobs[0].finish({
      status: 'failed',
      error: new TapError('OUTPUT_CLOSED', 'stdout was closed by its reader'),
      streamCompleted: false,
    })
    const out = await run
    expect(out.outputClosed).toBe(true)
    expect(out.failure).toBeUndefined()
    expect(jobs[1].events).toEqual(['abort'])
    expect(jobs[2].events).toEqual(['skip'])
  })

  it('an already aborted signal starts nothing', async () => {
    const log: string[] = []
    const jobs = ['a'].map((id) => fakeJob(id, log))
    const ac = new AbortController()
    ac.abort()
    expect(await runJobs(jobs, 2, quiet, ac.signal)).toEqual({ completed: [], outputClosed: false })
    expect(log).toEqual([])
    expect(jobs[0].events).toEqual(['skip'])
  })
})

describe('streamOrder', () => {
  it('largest estimate first; ties keep catalog order', () => {
    const s = [
      { id: 'a', rowEstimate: 5 },
      { id: 'b', rowEstimate: 50 },
      { id: 'c', rowEstimate: 5 },
      { id: 'd', rowEstimate: 0 },
    ]
    expect(streamOrder(s).map((x) => x.id)).toEqual(['b', 'a', 'c', 'd'])
  })
})
