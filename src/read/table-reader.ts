/**
 * One FULL_TABLE or INCREMENTAL read, inside a worker thread, on the thread's one connection: a
 * transaction, the rows read through COPY (copy-rows.ts), rendered straight into RECORD lines and
 * sent in batches on the batch channel (src/protocol/batch-channel.ts) with the bookmark after each batch. With
 * TAP_POSTGRES_READ_PATH=cursor the rows come from a pg-cursor fetching `itersize` rows at a time
 * instead (`streamRows`), kept to compare the two paths.
 * Runs in worker threads only; the main thread never touches rows.
 */
import { performance } from 'node:perf_hooks'
import type pg from 'pg'
import Cursor from 'pg-cursor'
import type { TapConfig } from '../config/tap-config.js'
import { serializeError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { queryError } from '../pg/pg-errors.js'
import { fullTableQuery, incrementalQuery, qualifiedName, type BoundQuery } from '../pg/sql.js'
import type { BatchMark, TableTask, TaskResult } from '../protocol/messages.js'
import { recordPrefix, recordSuffix } from '../singer/messages.js'
import { ClampCounter, compileRecordRenderer, renderValue } from '../values/index.js'
import { BatchSender, ChannelAborted } from '../protocol/batch-channel.js'
import { chunkLogContext, chunkPagesOf, importChunkSnapshot } from './chunk-read.js'
import { copyRows, type ReaderConnection, type TableBatchSender } from './copy-rows.js'

/** A batch is cut at whichever comes first; STATE follows every ~1000 rows (docs/behaviour.md#state). */
const BATCH_ROWS = 1000
const BATCH_CHARS = 1 << 20

function taskQuery(task: TableTask): BoundQuery {
  const columns = task.columns.map((c) => c.name)
  if (task.kind === 'fullTable') {
    return fullTableQuery({
      schemaName: task.schemaName,
      tableName: task.tableName,
      columns,
      order: task.order,
      resumeXmin: task.resumeXmin,
      pages: chunkPagesOf(task),
      where: task.rowFilter,
    })
  }
  return incrementalQuery({
    schemaName: task.schemaName,
    tableName: task.tableName,
    columns,
    replicationKey: task.replicationKey,
    from: task.from,
    limit: task.limit,
    where: task.rowFilter,
  })
}

export async function runTableTask(
  conn: ReaderConnection,
  config: TapConfig,
  baseLogger: Logger,
  task: TableTask,
): Promise<TaskResult> {
  const logger = baseLogger.child({ stream: task.stream, ...chunkLogContext(task) })
  const sender: TableBatchSender = new BatchSender(task.port, task.maxInFlight)
  const clamps = new ClampCounter()
  const progress = { rows: 0 }
  try {
    // One snapshot for the whole read: rows changed meanwhile are the next run's business.
    await conn.client.query(
      task.kind === 'fullTable' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN READ ONLY',
    )
    try {
      await importChunkSnapshot(conn.client, task, sender)
      if (config.diagnostic_mode) await logDiagnostics(conn.client, task, logger)
      if (process.env.TAP_POSTGRES_READ_PATH === 'cursor')
        await streamRows(conn, task, config, sender, clamps, logger, progress)
      else await copyRows(conn, task, taskQuery(task), config, sender, clamps, logger, progress)
      await conn.client.query('COMMIT')
    } catch (e) {
      if (!conn.isLost()) await conn.client.query('ROLLBACK').catch(() => undefined)
      throw e
    }
    await sender.drain()
    return {
      status: sender.stopRequested ? 'stopped' : 'done',
      rows: progress.rows,
      clamped: clamps.entries(),
    }
  } catch (e) {
    if (e instanceof ChannelAborted)
      return { status: 'aborted', rows: progress.rows, clamped: clamps.entries() }
    const error = queryError(e, `reading ${task.schemaName}.${task.tableName}`, 'SYNC_FAILED')
    return { status: 'failed', rows: progress.rows, error: serializeError(error) }
  } finally {
    sender.close()
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

async function streamRows(
  conn: ReaderConnection,
  task: TableTask,
  config: TapConfig,
  sender: TableBatchSender,
  clamps: ClampCounter,
  logger: Logger,
  progress: { rows: number },
): Promise<void> {
  const query = taskQuery(task)
  const itersize = config.itersize
  logger.debug(
    `Running query: ${query.text}`,
    query.values.length > 0 ? { parameters: query.values } : undefined,
  )
  const render = compileRecordRenderer(task.columns, clamps)
  const prefix = recordPrefix(task.stream)
  const markOf = markReader(task)
  const started = performance.now()
  const cursor = conn.client.query(
    new Cursor<(string | null)[]>(query.text, [...query.values], { rowMode: 'array' }),
  )
  let lines = ''
  let count = 0
  let mark: BatchMark | undefined
  // The next page is requested before this one is rendered, so the server produces it meanwhile.
  // A prefetched page may fail while this page is still being sent (a stalled reader, the server
  // going away): it gets a handler at once, or its rejection would kill the thread as unhandled.
  // The failure itself is thrown where the page is awaited.
  const prefetch = (): Promise<(string | null)[][]> => {
    const p = cursor.read(itersize)
    p.catch(() => undefined)
    return p
  }
  let pending: Promise<(string | null)[][]> | undefined = prefetch()
  try {
    let last = started
    let first = true
    while (pending !== undefined) {
      const fetchStart = performance.now()
      const page: (string | null)[][] = await pending
      pending = undefined
      const fetched = performance.now()
      if (first) {
        first = false
        logger.info(`Query returned its first rows in ${seconds(fetched - started)} sec`)
      }
      // A short page means the portal is exhausted: no need for another round trip. After a stop,
      // the page at hand is still written ("the records already read"), nothing more is fetched.
      if (page.length === itersize && !sender.stopRequested) pending = prefetch()
      if (page.length === 0) break
      // time_extracted: when these rows left the server.
      const suffix = recordSuffix(task.version, new Date()) + '\n'
      for (const row of page) {
        lines += prefix + render(row) + suffix
        count++
        mark = markOf(row) ?? mark
        if (count >= BATCH_ROWS || lines.length >= BATCH_CHARS) {
          await sender.send({ type: 'batch', lines: sender.encode(lines), rows: count, mark })
          progress.rows += count
          lines = ''
          count = 0
        }
      }
      const now = performance.now()
      const total = progress.rows + count
      logger.info(
        `Fetched ${total} rows total (batch of ${page.length} in ${seconds(now - last)} sec, ${Math.round(page.length / Math.max((now - last) / 1000, 1e-6))} rows/sec)`,
      )
      if (config.diagnostic_mode) {
        logger.info(
          `Batch timings: waited for rows ${seconds(fetched - fetchStart)} sec, render and send ${seconds(now - fetched)} sec`,
        )
      }
      last = now
    }
    if (count > 0) {
      await sender.send({ type: 'batch', lines: sender.encode(lines), rows: count, mark })
      progress.rows += count
    }
  } finally {
    // A page requested before an abort or failure is dropped; its rejection must not go unhandled.
    pending?.catch(() => undefined)
    await closeCursor(cursor, conn)
  }
}

/** How to read the bookmark off a row. */
function markReader(task: TableTask): (row: readonly (string | null)[]) => BatchMark | undefined {
  if (task.kind === 'fullTable') {
    if (task.order === 'unordered') return () => undefined
    const at = task.columns.length
    return (row) => ({ xmin: Number(row[at]) })
  }
  const at = task.columns.findIndex((c) => c.name === task.replicationKey)
  if (at < 0) throw new Error(`replication key ${task.replicationKey} is not among the columns read`)
  const type = task.columns[at].type
  // NULL keys sort last and never move the bookmark.
  return (row) => {
    const v = row[at]
    return v === null ? undefined : { keyValue: renderValue(type, v) }
  }
}

async function closeCursor(cursor: Cursor, conn: ReaderConnection): Promise<void> {
  // On a dead connection close() would wait for a ReadyForQuery that never comes. The connection
  // may also die while we wait: a server shutting down sends a FATAL error (the cursor fails at
  // once) and closes the socket only afterwards, so the wait also ends with the connection.
  if (conn.isLost()) {
    cursor.close().catch(() => undefined)
    return
  }
  const client = conn.client
  let onEnd: (() => void) | undefined
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve
    client.once('end', resolve)
  })
  try {
    await Promise.race([cursor.close(), ended])
  } finally {
    if (onEnd) client.off('end', onEnd)
  }
}

async function logDiagnostics(client: pg.Client, task: TableTask, logger: Logger): Promise<void> {
  const started = performance.now()
  const r = await client.query({
    text: `SELECT current_setting('work_mem') AS work_mem, current_setting('shared_buffers') AS shared_buffers,
                  current_setting('effective_cache_size') AS effective_cache_size,
                  pg_size_pretty(pg_database_size(current_database())) AS database_size,
                  pg_size_pretty(pg_total_relation_size(c.oid)) AS table_size,
                  greatest(c.reltuples, 0)::bigint AS estimated_rows
           FROM pg_catalog.pg_class c WHERE c.oid = $1::regclass`,
    values: [qualifiedName(task.schemaName, task.tableName)],
  })
  const d = r.rows[0] as Record<string, string> | undefined
  if (d === undefined) return
  logger.info(
    `Diagnostics: work_mem=${d.work_mem} shared_buffers=${d.shared_buffers} effective_cache_size=${d.effective_cache_size} database_size=${d.database_size} table_size=${d.table_size} estimated_rows=${d.estimated_rows} (${seconds(performance.now() - started)} sec)`,
  )
}
