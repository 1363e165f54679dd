/**
 * The table-sync pool: Piscina 5 with the contract that bounds connections:
 * - minThreads = maxThreads = size (= min(max_workers, jobs), a job being a stream or a chunk),
 *   idleTimeout Infinity: threads, and the one connection each opens during setup, live for the
 *   whole run. Piscina only reaps threads above minThreads, so connections never churn.
 * - concurrentTasksPerWorker 1: one task (a stream or a chunk) per connection at a time.
 * - atomics 'disabled': an idle thread's event loop keeps running, so its socket and the close
 *   channel are serviced between tasks.
 * - Tasks are never aborted through Piscina's `signal` (that terminates the thread and its
 *   connection); they are stopped by a message on their port (protocol/messages.ts).
 * - At the end every thread is asked to close its connection, then the pool is destroyed.
 */
import { BroadcastChannel, MessageChannel, type MessagePort } from 'node:worker_threads'
import { randomBytes } from 'node:crypto'
import { Piscina } from 'piscina'
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import type {
  ClosedMessage,
  CloseRequest,
  TableTask,
  TableWorkerData,
  TaskResult,
} from '../protocol/messages.js'

/** dist/workers/table-sync.worker.js, from dist/src/sync/pool.js. */
const TABLE_WORKER_URL = new URL('../../workers/table-sync.worker.js', import.meta.url)

/** The task as the caller gives it; the pool adds the port. */
export type TaskWithoutPort = TableTask extends infer T
  ? T extends TableTask
    ? Omit<T, 'port'>
    : never
  : never

export interface RunningTask {
  /** The main thread's end of the task's port. */
  readonly port: MessagePort
  readonly result: Promise<TaskResult>
}

export interface TablePoolOptions {
  readonly size: number
  readonly config: TapConfig
  readonly logger: Logger
  readonly workerUrl?: URL
  /**
   * Young generation per thread (default 4 MB). Table reads make almost no JS garbage (COPY rows are
   * rendered from the socket's bytes), but each socket chunk is a buffer that is only freed when a
   * scavenge finds it dead: a small young generation scavenges often enough that the thread's malloc
   * arena stays small (`many`, 4 threads: peak RSS 290 MB with 64 MB, 253 MB with 4 MB, same CPU).
   */
  readonly youngGenerationMb?: number
}

export class TablePool {
  readonly #pool: Piscina
  readonly #closeChannel: string
  readonly #logger: Logger
  #closed = false
  /** Rejects when a thread fails outside a task (e.g. its module cannot load); never resolves. */
  readonly #broken: Promise<never>

  constructor(opts: TablePoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1)
      throw new RangeError(`TablePool size must be a positive integer (got ${opts.size})`)
    this.#logger = opts.logger
    this.#closeChannel = `tap-postgres-close-${process.pid}-${randomBytes(6).toString('hex')}`
    const workerData: TableWorkerData = {
      config: opts.config,
      logger: opts.logger.options,
      closeChannel: this.#closeChannel,
    }
    this.#pool = new Piscina({
      filename: (opts.workerUrl ?? TABLE_WORKER_URL).href,
      minThreads: opts.size,
      maxThreads: opts.size,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      resourceLimits: { maxYoungGenerationSizeMb: opts.youngGenerationMb ?? 4 },
      workerData,
    })
    // A thread that fails outside a task (its module cannot load, it crashed while idle) must not
    // crash the process, nor leave tasks queued forever: Piscina stops replacing threads that fail
    // during startup, so every task still waiting is failed instead.
    let fail: (e: Error) => void = () => undefined
    this.#broken = new Promise<never>((_, reject) => {
      fail = reject
    })
    this.#broken.catch(() => undefined)
    this.#pool.on('error', (e: Error) => {
      this.#logger.debug(`table pool: ${e.message}`)
      fail(e)
    })
  }

  run(task: TaskWithoutPort): RunningTask {
    const { port1, port2 } = new MessageChannel()
    const full = { ...task, port: port1 } as TableTask
    const result = Promise.race([
      this.#pool.run(full, { transferList: [port1] }) as Promise<TaskResult>,
      this.#broken,
    ])
    return { port: port2, result }
  }

  /**
   * Asks every thread to close its connection (waiting up to `timeoutMs` for the answers), then
   * terminates the threads. Safe to call twice.
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const channel = new BroadcastChannel(this.#closeChannel)
    const closed = new Set<number>()
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      channel.onmessage = (event: unknown) => {
        const m = (event as { data?: ClosedMessage }).data
        if (m?.type !== 'closed') return
        closed.add(m.threadId)
        if (closed.size >= this.#pool.threads.length) {
          clearTimeout(timer)
          resolve()
        }
      }
      const request: CloseRequest = { type: 'close' }
      channel.postMessage(request)
    })
    channel.close()
    if (closed.size < this.#pool.threads.length)
      this.#logger.debug(
        `table pool: ${this.#pool.threads.length - closed.size} thread(s) did not confirm closing their connection`,
      )
    await this.#pool.destroy()
  }
}
