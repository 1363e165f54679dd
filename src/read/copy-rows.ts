/**
 * The rows of a table read, rendered into RECORD batches, on the worker's connection inside the
 * task's transaction (so `ORDER BY age(xmin) DESC`, ctid ranges and an imported snapshot all hold
 * as for any query). The rows come as COPY text from one of two statements (docs/behaviour.md;
 * README "Performance" has the measurements behind the choice):
 * - FULL_TABLE: `COPY (<query>) TO STDOUT`, which streams without a round trip per page;
 * - INCREMENTAL: a SQL cursor with the bookmark as a bound parameter, `itersize` rows per FETCH,
 *   planned for its first rows (an index walk where COPY's plan may sort the table).
 * Either way the text rows are rendered byte to byte (values/copy-record.ts) into UTF-8 batches that
 * are *moved* to the main thread (transferList): no JS string per value, per line or per batch, and
 * no copy across threads.
 *
 * Stopping: a statement cannot be left half-read (the server would block on a full socket and the
 * connection would stay busy), so a stop or an abort sends a cancel request and reads on, dropping
 * the rest, until the server ends the statement; a cursor fetches no further page.
 */
import { isUtf8 } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import type pg from 'pg'
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import { requestCancel } from '../pg/connect.js'
import { copyOut, type RowRanges } from '../pg/copy-out.js'
import { cursorRows } from '../pg/fetch-out.js'
import type { CursorStatements } from '../pg/sql.js'
import type { BatchSender } from '../protocol/batch-channel.js'
import type { BatchMark, BatchMessage, SnapshotImportedMessage, TableTask } from '../protocol/messages.js'
import { recordPrefix, recordSuffix } from '../singer/messages.js'
import {
  ByteSink,
  CopyRecordRenderer,
  copyFieldText,
  parseUnsigned,
  renderValue,
  type ClampCounter,
} from '../values/index.js'

export interface ReaderConnection {
  readonly client: pg.Client
  /** True once the connection failed; then a ROLLBACK would wait forever for the server. */
  readonly isLost: () => boolean
}

/** What a read runs: one COPY, or a cursor fetched page by page (built once: pg/sql.ts). */
export type TableRead =
  | { readonly kind: 'copy'; readonly sql: string }
  | ({ readonly kind: 'cursor' } & CursorStatements)

/** A table task's end of the batch channel. */
export type TableBatchSender = BatchSender<BatchMessage, SnapshotImportedMessage>

/** A batch is cut at whichever comes first; STATE follows every ~1000 rows (docs/behaviour.md#state). */
const BATCH_ROWS = 1000
const BATCH_BYTES = 1 << 20

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

/** SQLSTATE 57014: the statement was cancelled (by our own cancel request). */
function isCancelled(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '57014'
}

export async function copyRows(
  conn: ReaderConnection,
  task: TableTask,
  read: TableRead,
  config: TapConfig,
  sender: TableBatchSender,
  clamps: ClampCounter,
  logger: Logger,
  progress: { rows: number },
): Promise<void> {
  if (read.kind === 'copy') logger.debug(`Running query: ${read.sql}`)
  else logger.debug(`Running query: ${read.declare.text}`, { parameters: read.declare.values })
  // Where the bookmark comes from: xmin after the columns, the replication key column, or nowhere.
  const keyColumn =
    task.kind === 'incremental' ? task.columns.findIndex((c) => c.name === task.replicationKey) : -1
  if (task.kind === 'incremental' && keyColumn < 0)
    throw new Error(`replication key ${task.replicationKey} is not among the columns read`)
  const withXmin = task.kind === 'fullTable' && task.order === 'xmin'
  const renderer = new CopyRecordRenderer(task.columns, clamps, keyColumn)
  const prefix = Buffer.from(recordPrefix(task.stream), 'utf8')
  let suffix = Buffer.alloc(0)

  const itersize = config.itersize
  const started = performance.now()
  let first = true
  let waited = 0
  let lastLog = started
  let loggedRows = 0

  const sink = new ByteSink(BATCH_BYTES + (64 << 10))
  let count = 0
  let mark: BatchMark | undefined
  // The last non-NULL replication key of the batch: decoded only when the batch is sent.
  let keySrc: Buffer | undefined
  let keyStart = 0
  let keyEnd = 0

  let xmin = NaN

  const send = async (): Promise<void> => {
    if (withXmin && !Number.isNaN(xmin)) mark = { xmin }
    if (keySrc !== undefined) {
      mark = { keyValue: renderValue(task.columns[keyColumn].type, copyFieldText(keySrc, keyStart, keyEnd)) }
      keySrc = undefined
    }
    const used = sink.pos
    const capacity = Math.min(BATCH_BYTES + (64 << 10), Math.max(64 << 10, used + (used >> 2)))
    let bytes = sink.take(capacity, sender.reuse(capacity))
    // A server in SQL_ASCII passes bytes through unchecked: invalid UTF-8 becomes U+FFFD, as a
    // string decoder would have made it.
    if (!isUtf8(bytes)) {
      const text = bytes.toString('utf8')
      bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
      bytes.write(text)
    }
    const rows = count
    count = 0
    // Progress every `itersize` rows (pipelinewise's fetch size), counted when rendered.
    const total = progress.rows + rows
    if (total - loggedRows >= itersize) {
      const t = performance.now()
      const n = total - loggedRows
      logger.info(
        `Fetched ${total} rows total (${n} in ${seconds(t - lastLog)} sec, ${Math.round(n / Math.max((t - lastLog) / 1000, 1e-6))} rows/sec)`,
      )
      if (config.diagnostic_mode)
        logger.info(
          `Read timings: waited for the server ${seconds(waited)} sec of ${seconds(t - started)} sec`,
        )
      loggedRows = total
      lastLog = t
    }
    await sender.send({ type: 'batch', lines: bytes, rows, mark })
    progress.rows += rows
  }

  /** Renders the rows of one chunk. */
  const rowsOf = async (chunk: RowRanges): Promise<void> => {
    const src = chunk.buf
    for (let r = 0; r < chunk.count; r++) {
      const from = chunk.starts[r]
      const nl = chunk.ends[r]
      sink.writeBytes(prefix)
      const after = renderer.renderRow(src, from, nl, sink)
      sink.writeBytes(suffix)
      if (withXmin) {
        xmin = parseUnsigned(src, after, nl)
        if (Number.isNaN(xmin)) throw new Error('COPY row without its xmin field')
      } else if (keyColumn >= 0 && renderer.markStart >= 0) {
        keySrc = src
        keyStart = renderer.markStart
        keyEnd = renderer.markEnd
      }
      count++
      if (count >= BATCH_ROWS || sink.pos >= BATCH_BYTES) await send()
    }
  }

  let cancelled: Promise<void> | undefined
  let failure: unknown
  const rows =
    read.kind === 'copy'
      ? copyOut(conn.client, read.sql).rows()
      : cursorRows(conn.client, read, () => cancelled !== undefined || failure !== undefined)
  const cancel = (): void => {
    cancelled ??= requestCancel(config, conn.client, 'read')
  }
  // A stop that comes while the server is still sorting, or while the reader stalls, need not wait
  // for the next rows: the rows already rendered are still sent.
  sender.onStop = cancel
  let waitStart = performance.now()
  try {
    for await (const chunk of rows) {
      const now = performance.now()
      waited += now - waitStart
      if (cancelled || failure !== undefined) {
        waitStart = performance.now()
        continue
      }
      if (first) {
        first = false
        logger.info(`Query returned its first rows in ${seconds(now - started)} sec`)
      }
      try {
        // time_extracted: when these rows left the server.
        suffix = Buffer.from(recordSuffix(task.version, new Date()) + '\n', 'utf8')
        await rowsOf(chunk)
        // A stop keeps what was read and sent; nothing more is read.
        if (sender.stopRequested) cancel()
      } catch (e) {
        failure = e
        cancel()
      }
      waitStart = performance.now()
    }
  } catch (e) {
    if (!(cancelled && isCancelled(e))) throw failure ?? e
  } finally {
    sender.onStop = undefined
    // A cancel sent just before the statement ended must not hit the next one (COMMIT).
    if (cancelled) await cancelled
  }
  if (failure !== undefined) throw failure
  // The rows already rendered are sent, after a stop too ("the records already read").
  if (count > 0 && !sender.aborted) await send()
}
