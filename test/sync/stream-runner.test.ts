/**
 * StreamRun with a fake pool: the test plays the table worker on the task's real MessageChannel, so
 * the order of the messages on stdout, STATE after the records it covers, the credits (acks) and the
 * stop and failure paths are checked without a server.
 */
import { describe, expect, it } from 'vitest'
import { StreamRun } from '../../src/sync/stream-runner.js'
import { recordLines, setup, types } from './fake-pool.js'

const tick = () => new Promise((r) => setTimeout(r, 10))

describe('StreamRun (FULL_TABLE) with a fake worker', () => {
  it('SCHEMA, STATE, ACTIVATE_VERSION, then each batch with the STATE that covers it after it, then xmin null, ACTIVATE_VERSION, STATE; one ack per batch', async () => {
    const { ctx, stream, lines, nextWorker } = setup()
    const run = new StreamRun(ctx, stream).run()
    const w = await nextWorker()
    expect(w.task).toMatchObject({
      kind: 'fullTable',
      order: 'xmin',
      tapStreamId: 'public-orders',
      version: 1_700_000_000_000,
    })
    w.send({ type: 'batch', lines: recordLines([1, 2]), rows: 1000, mark: { xmin: 7 } })
    w.send({ type: 'batch', lines: recordLines([3]), rows: 1, mark: { xmin: 9 } })
    await tick()
    w.finish({ status: 'done', rows: 1001, clamped: [] })
    const outcome = await run
    expect(outcome).toEqual({ status: 'done', rows: 1001 })
    expect(types(lines)).toEqual([
      'SCHEMA',
      'STATE',
      'ACTIVATE_VERSION',
      'RECORD',
      'RECORD',
      'STATE',
      'RECORD',
      'ACTIVATE_VERSION',
      'STATE',
    ])
    const states = lines
      .filter((l) => l.startsWith('{"type":"STATE"'))
      .map((l) => JSON.parse(l).value.bookmarks['public-orders'])
    // The STATE after the first batch names its xmin; the second batch (1 row) is not yet due; the last closes the load.
    expect(states.map((b) => b.xmin)).toEqual([undefined, 7, null])
    // One message back per batch: the ack (with any buffers stdout is done with), nothing else.
    expect(w.control.map((m) => m.type)).toEqual(['ack', 'ack'])
  })

  it('a stop reaches the worker; the stream ends stopped, without the closing messages', async () => {
    const { ctx, stream, lines, nextWorker } = setup()
    const runner = new StreamRun(ctx, stream)
    const run = runner.run()
    const w = await nextWorker()
    w.send({ type: 'batch', lines: recordLines([1]), rows: 1, mark: { xmin: 5 } })
    runner.stop()
    await tick()
    expect(w.control.map((m) => m.type)).toContain('stop')
    w.finish({ status: 'stopped', rows: 1, clamped: [] })
    expect((await run).status).toBe('stopped')
    expect(types(lines)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION', 'RECORD'])
    expect(ctx.emitter.state.bookmarks['public-orders'].xmin).toBe(5)
  })

  it('a failed task is a failure naming the stream and the cause; nothing closes the load', async () => {
    const { ctx, stream, lines, nextWorker } = setup()
    const run = new StreamRun(ctx, stream).run()
    const w = await nextWorker()
    w.finish({
      status: 'failed',
      rows: 0,
      error: { code: 'SYNC_FAILED', message: 'reading public.orders: permission denied', exitCode: 1 },
    })
    const outcome = await run
    expect(outcome.status).toBe('failed')
    expect(outcome.error?.message).toBe('stream public-orders: reading public.orders: permission denied')
    expect(types(lines)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION'])
  })

  it('a resumed load keeps its version and xmin and sends no ACTIVATE_VERSION before its rows', async () => {
    const { ctx, stream, lines, nextWorker } = setup()
    ctx.emitter.commit('public-orders', { last_replication_method: 'FULL_TABLE', version: 42, xmin: 77 })
    const run = new StreamRun(ctx, stream).run()
    const w = await nextWorker()
    expect(w.task).toMatchObject({ kind: 'fullTable', version: 42, resumeXmin: 77 })
    w.finish({ status: 'done', rows: 0, clamped: [] })
    await run
    expect(types(lines)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION', 'STATE'])
  })
})
