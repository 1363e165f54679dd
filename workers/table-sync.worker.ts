/**
 * Entry of every table-sync thread of the Piscina pool (src/sync/pool.ts has the contract).
 *
 * The module's default export is a *promise* of the task handler: Piscina awaits it before the
 * thread counts as ready, so the thread's one connection is opened during setup and reused by
 * every task it runs. A connection failure does not reject that promise (Piscina would stop
 * starting threads and leave queued tasks hanging): the handler then fails each task with the
 * connection error instead.
 *
 * The connection is closed when the main thread asks on the close channel, before the pool is
 * destroyed, so the server sees a clean Terminate rather than a dropped socket.
 */
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads'
import type pg from 'pg'
import { serializeError, type SerializedTapError, type TapError } from '../src/errors.js'
import { Logger } from '../src/log/logger.js'
import { openClient } from '../src/pg/connect.js'
import { queryError } from '../src/pg/pg-errors.js'
import type {
  ClosedMessage,
  CloseRequest,
  TableTask,
  TableWorkerData,
  TaskResult,
} from '../src/protocol/messages.js'
import { runTableTask } from '../src/read/table-reader.js'

const data = workerData as TableWorkerData
const logger = new Logger(data.logger).child({ worker: threadId })

interface Connection {
  readonly client?: pg.Client
  failure?: TapError
  /** The first driver error of a lost connection: the server's reason when it sent one (a FATAL). */
  cause?: unknown
}

async function connect(): Promise<Connection> {
  try {
    const client = await openClient(data.config, { target: 'read' })
    const conn: Connection = { client }
    // Without a listener a dropped idle connection would crash the thread; the next task reports it.
    client.on('error', (e) => {
      conn.cause ??= e
      conn.failure ??= queryError(e, 'table-read connection')
    })
    client.on('end', () => {
      conn.failure ??= queryError(new Error('Connection terminated'), 'table-read connection')
    })
    return conn
  } catch (e) {
    return { failure: e as TapError }
  }
}

function handlerFor(conn: Connection): (task: TableTask) => Promise<TaskResult> {
  return async (task) => {
    const { client, failure } = conn
    if (client === undefined || failure !== undefined) {
      task.port.close()
      return { status: 'failed', rows: 0, error: serializeError(failure) }
    }
    const result = await runTableTask(
      { client, isLost: () => conn.failure !== undefined },
      data.config,
      logger,
      task,
    )
    return result.status === 'failed' ? { ...result, error: serverReason(conn, task, result.error) } : result
  }
}

/**
 * A session the server ended while no statement was running (shutdown, idle_in_transaction timeout,
 * pg_terminate_backend) tells why only in its FATAL message, which arrives as a connection error;
 * the task then fails on a later symptom ('not queryable', 'write EPIPE'). Report the reason.
 */
function serverReason(conn: Connection, task: TableTask, error: SerializedTapError): SerializedTapError {
  const cause = conn.cause as { code?: unknown; message?: unknown } | undefined
  if (typeof cause?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(cause.code)) return error
  if (typeof cause.message === 'string' && error.message.includes(cause.message)) return error
  return serializeError(queryError(cause, `reading ${task.schemaName}.${task.tableName}`, 'SYNC_FAILED'))
}

/** Listening starts before the connection is up, so a close request during setup is not missed. */
function listenForClose(ready: Promise<Connection>): void {
  const channel = new BroadcastChannel(data.closeChannel)
  channel.onmessage = (event: unknown) => {
    if ((event as { data?: CloseRequest }).data?.type !== 'close') return
    void ready
      .then((conn) => conn.client?.end())
      .catch(() => undefined)
      .finally(() => {
        const reply: ClosedMessage = { type: 'closed', threadId }
        channel.postMessage(reply)
        channel.close()
      })
  }
}

const ready = connect()
listenForClose(ready)

export default ready.then(handlerFor)
