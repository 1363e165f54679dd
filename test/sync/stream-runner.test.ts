/**
 * StreamRun with a fake pool: the test plays the table worker on the task's real MessageChannel, so
 * the order of the messages on stdout, STATE after the records it covers, the credits (acks) and the
 * stop and failure paths are checked without a server.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { TableInfo } from '../../src/values/pg-type.js'
import { buildConfig } from '../../src/config/load-config.js'
import { Logger } from '../../src/log/logger.js'
import { SyncMetrics } from '../../src/log/metrics.js'
import type { BatchMessage, ChannelControl, TaskResult } from '../../src/protocol/messages.js'
import { SingerOutput } from '../../src/singer/output.js'
import { EMPTY_STATE } from '../../src/singer/state.js'
import { OutputEmitter } from '../../src/sync/emitter.js'
import { planStreams, selectStreams } from '../../src/sync/plan.js'
import type { TablePool, TaskWithoutPort } from '../../src/sync/pool.js'
import { NO_PROGRESS } from '../../src/sync/progress.js'
import { StreamRun, type StreamRunContext } from '../../src/sync/stream-runner.js'

const TABLE: TableInfo = {
  schemaName: 'public',
  tableName: 'orders',
  relkind: 'r',
  rowCount: 3,
  primaryKey: ['id'],
  columns: [{ name: 'id', sqlType: 'integer', type: { kind: 'integer', bits: 32 }, position: 1 }],
}

/** The worker's side of one task: what the main thread sent back, and how to answer. */
interface FakeWorker {
  readonly task: TaskWithoutPort
  readonly control: ChannelControl[]
  send(m: BatchMessage): void
  finish(result: TaskResult): void
}

function setup() {
  const lines: string[] = []
  const sink = new Writable({
    write(c: Buffer, _e, done) {
      lines.push(
        ...c
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      )
      done()
    },
  })
  const workers: FakeWorker[] = []
  let started: (w: FakeWorker) => void = () => undefined
  const nextWorker = () =>
    new Promise<FakeWorker>((r) => {
      started = r
    })
  const pool = {
    run(task: TaskWithoutPort) {
      const { port1, port2 } = new MessageChannel()
      const control: ChannelControl[] = []
      port1.on('message', (m: ChannelControl) => control.push(m))
      let finish: (r: TaskResult) => void = () => undefined
      const result = new Promise<TaskResult>((r) => {
        finish = r
      })
      const w: FakeWorker = {
        task,
        control,
        send: (m) => port1.postMessage(m, [m.lines.buffer as ArrayBuffer]),
        finish: (r) => {
          finish(r)
          port1.close()
        },
      }
      workers.push(w)
      started(w)
      return { port: port2 as MessagePort, result }
    },
  } as unknown as TablePool
  const logger = new Logger({ level: 'warning', format: 'text', secrets: [], sink: () => undefined })
  const config = buildConfig([{ host: 'h', user: 'u', dbname: 'd', state_interval_seconds: 0 }]).config
  const emitter = new OutputEmitter(new SingerOutput(sink), EMPTY_STATE)
  const ctx: StreamRunContext = {
    pool,
    emitter,
    metrics: new SyncMetrics(logger),
    progress: NO_PROGRESS,
    logger,
    config,
    maxInFlight: 2,
    now: () => 1_700_000_000_000,
  }
  const [stream] = planStreams(
    selectStreams(
      {
        streams: [
          {
            tap_stream_id: 'public-orders',
            stream: 'orders',
            table_name: 'orders',
            schema: { type: 'object', properties: { id: {} } },
            metadata: [
              {
                breadcrumb: [],
                metadata: {
                  selected: true,
                  'replication-method': 'FULL_TABLE',
                  'schema-name': 'public',
                  'table-key-properties': ['id'],
                },
              },
            ],
          },
        ],
      },
      config,
    ),
    [TABLE],
  ).streams
  return { ctx, stream, lines, workers, nextWorker }
}

const types = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { type: string }).type)
/** A batch's bytes in a buffer of their own, as a worker sends them (moved, not copied). */
const recordLines = (ids: number[]) =>
  ownBytes(
    ids
      .map(
        (id) => `{"type":"RECORD","stream":"public-orders","record":{"id":${id}},"version":1700000000000}\n`,
      )
      .join(''),
  )
const ownBytes = (text: string): Uint8Array => {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
  b.write(text)
  return b
}
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
