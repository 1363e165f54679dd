/**
 * A fake table pool for the main-thread stream runners (StreamRun, ChunkedStreamRun): each `run`
 * opens a real MessageChannel, and the test plays the table worker on its end (sends batches,
 * reads the acks, stops and aborts, finishes the task). The output is a stdout that keeps its lines.
 * What the tests know of the worker protocol (message types, how a batch's lines travel) is here
 * and in the tests' `w.send` and `w.control` only.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { Writable } from 'node:stream'
import type { TableInfo } from '../../src/values/pg-type.js'
import { buildConfig } from '../../src/config/load-config.js'
import type { ReplicationMethod } from '../../src/config/schema.js'
import { Logger } from '../../src/log/logger.js'
import { SyncMetrics } from '../../src/log/metrics.js'
import type { BatchMessage, ChannelControl, TaskResult } from '../../src/protocol/messages.js'
import { SingerOutput } from '../../src/singer/output.js'
import { EMPTY_STATE, type SingerState } from '../../src/singer/state.js'
import { OutputEmitter } from '../../src/sync/emitter.js'
import { planStreams, selectStreams } from '../../src/sync/plan.js'
import type { TablePool, TaskWithoutPort } from '../../src/sync/pool.js'
import { NO_PROGRESS } from '../../src/sync/progress.js'
import type { StreamRunContext } from '../../src/sync/stream-runner.js'

const TABLE: TableInfo = {
  schemaName: 'public',
  tableName: 'orders',
  relkind: 'r',
  rowCount: 3,
  primaryKey: ['id'],
  columns: [{ name: 'id', sqlType: 'integer', type: { kind: 'integer', bits: 32 }, position: 1 }],
}

/** The worker's side of one task: what the main thread sent back, and how to answer. */
export interface FakeWorker {
  readonly task: TaskWithoutPort
  readonly control: ChannelControl[]
  send(m: BatchMessage | { readonly type: 'snapshotImported' }): void
  /** Resolves once `count` messages of this type came back (a real worker finishes only after its last ack). */
  received(type: ChannelControl['type'], count?: number): Promise<void>
  finish(result: TaskResult): void
}

export const NOW = 1_700_000_000_000

export function setup(options: { method?: ReplicationMethod; state?: SingerState } = {}) {
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
  const waiting: Array<(w: FakeWorker) => void> = []
  /** The next task the runner starts (in start order, whether or not it has started yet). */
  let taken = 0
  const nextWorker = (): Promise<FakeWorker> => {
    const i = taken++
    if (i < workers.length) return Promise.resolve(workers[i])
    return new Promise<FakeWorker>((r) => {
      waiting[i] = r
    })
  }
  const pool = {
    run(task: TaskWithoutPort) {
      const { port1, port2 } = new MessageChannel()
      const control: ChannelControl[] = []
      const waits: Array<() => void> = []
      port1.on('message', (m: ChannelControl) => {
        control.push(m)
        for (const w of waits.splice(0)) w()
      })
      const received = async (type: ChannelControl['type'], count = 1): Promise<void> => {
        while (control.filter((m) => m.type === type).length < count)
          await new Promise<void>((r) => waits.push(r))
      }
      let finish: (r: TaskResult) => void = () => undefined
      const result = new Promise<TaskResult>((r) => {
        finish = r
      })
      const w: FakeWorker = {
        task,
        control,
        received,
        // Bytes are moved, as a worker sends them.
        send: (m) => port1.postMessage(m, 'lines' in m ? [m.lines.buffer as ArrayBuffer] : []),
        finish: (r) => {
          finish(r)
          port1.close()
        },
      }
      const i = workers.push(w) - 1
      waiting[i]?.(w)
      return { port: port2 as MessagePort, result }
    },
  } as unknown as TablePool
  const logger = new Logger({ level: 'warning', format: 'text', secrets: [], sink: () => undefined })
  const config = buildConfig([{ host: 'h', user: 'u', dbname: 'd', state_interval_seconds: 0 }]).config
  const output = new SingerOutput(sink)
  const emitter = new OutputEmitter(output, options.state ?? EMPTY_STATE)
  const ctx: StreamRunContext = {
    pool,
    emitter,
    metrics: new SyncMetrics(logger),
    progress: NO_PROGRESS,
    logger,
    config,
    maxInFlight: 2,
    now: () => NOW,
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
                  'replication-method': options.method ?? 'FULL_TABLE',
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
  return { ctx, stream, lines, sink, workers, nextWorker }
}

export const types = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { type: string }).type)

/** RECORD lines as a worker sends them: UTF-8 bytes in a buffer of their own (moved, not copied). */
export const recordLines = (ids: number[], version = NOW): Uint8Array => {
  const text = ids
    .map((id) => `{"type":"RECORD","stream":"public-orders","record":{"id":${id}},"version":${version}}\n`)
    .join('')
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
  bytes.write(text)
  return bytes
}

/** Resolves once `ready()` holds (checked after each turn of the event loop); no time limit of its own. */
export async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setImmediate(r))
}
