/**
/**
 * One FULL_TABLE or INCREMENTAL read, inside a worker thread, on the thread's one connection: the
 * read's SQL (built once, pg/sql.ts), a transaction, the rows rendered straight into RECORD lines
 * and sent in batches on the batch channel (copy-rows.ts, src/protocol/batch-channel.ts) with the
 * bookmark after each batch. FULL_TABLE reads through COPY; INCREMENTAL through a cursor with bound
 * parameters, `itersize` rows per FETCH (README "Performance" has the measurements behind the choice).
 * Runs in worker threads only; the main thread never touches rows.
 */
import { performance } from 'node:perf_hooks'
import type pg from 'pg'
import type { TapConfig } from '../config/tap-config.js'
import { serializeError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { queryError } from '../pg/pg-errors.js'
import { cursorStatements, fullTableCopy, incrementalQuery, qualifiedName } from '../pg/sql.js'
import type { TableTask, TaskResult } from '../protocol/messages.js'
import { ClampCounter } from '../values/index.js'
import { BatchSender, ChannelAborted } from '../protocol/batch-channel.js'
import { chunkLogContext, chunkPagesOf, importChunkSnapshot } from './chunk-read.js'
import { copyRows, type ReaderConnection, type TableBatchSender, type TableRead } from './copy-rows.js'

/** The statements of a task's read, built once. */
function tableRead(task: TableTask, itersize: number): TableRead {
  const columns = task.columns.map((c) => c.name)
  if (task.kind === 'fullTable') {
    const sql = fullTableCopy({
      schemaName: task.schemaName,
      tableName: task.tableName,
      columns,
      order: task.order,
      resumeXmin: task.resumeXmin,
      pages: chunkPagesOf(task),
      where: task.rowFilter,
    })
    return { kind: 'copy', sql }
  }
  const query = incrementalQuery({
    schemaName: task.schemaName,
    tableName: task.tableName,
    columns,
    replicationKey: task.replicationKey,
    from: task.from,
    limit: task.limit,
    where: task.rowFilter,
  })
  return { kind: 'cursor', ...cursorStatements(query, itersize) }
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
    const read = tableRead(task, config.itersize)
    // One snapshot for the whole read: rows changed meanwhile are the next run's business.
    await conn.client.query(
      task.kind === 'fullTable' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN READ ONLY',
    )
    try {
      await importChunkSnapshot(conn.client, task, sender)
      if (config.diagnostic_mode) await logDiagnostics(conn.client, task, logger)
      await copyRows(conn, task, read, config, sender, clamps, logger, progress)
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
