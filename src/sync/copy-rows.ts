/**
 * The rows of a table read, through `COPY (<query>) TO STDOUT` on the worker's connection, inside
 * the task's transaction (so `ORDER BY age(xmin) DESC`, ctid ranges and an imported snapshot all
 * hold as for any query). COPY streams the rows without a round trip per page, and its text rows
 * are rendered byte to byte (values/copy-record.ts) into UTF-8 batches that are *moved* to the main
 * thread (transferList): no JS string per value, per line or per batch, and no copy across threads.
 *
 * Stopping: a COPY cannot be left half-read (the server would block on a full socket and the
 * connection would stay busy), so a stop or an abort sends a cancel request and reads on, dropping
 * the rest, until the server ends the statement.
 */
import { isUtf8 } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import { to as copyTo } from 'pg-copy-streams'
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import { requestCancel } from '../pg/connect.js'
import { copyStatement, type BoundQuery } from '../pg/sql.js'
import type { BatchMark, TableTask } from '../protocol/worker-messages.js'
import { recordPrefix, recordSuffix } from '../singer/messages.js'
import { ByteSink, CopyRecordRenderer, copyFieldText, parseUnsigned } from '../values/copy-record.js'
import { renderValue, type ClampCounter } from '../values/index.js'
import type { BatchSender } from './batch-sender.js'
import type { ReaderConnection } from './table-reader.js'

/** A batch is cut at whichever comes first; STATE follows every ~1000 rows (spec §6). */
const BATCH_ROWS = 1000
const BATCH_BYTES = 1 << 20
const LF = 0x0a

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

/** SQLSTATE 57014: the statement was cancelled (by our own cancel request). */
function isCancelled(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '57014'
}

export async function copyRows(conn: ReaderConnection, task: TableTask, query: BoundQuery, config: TapConfig, sender: BatchSender, clamps: ClampCounter, logger: Logger, progress: { rows: number }): Promise<void> {
  const sql = copyStatement(query)
  logger.debug(`Running query: ${sql}`)
  // Where the bookmark comes from: xmin after the columns, the replication key column, or nowhere.
  const keyColumn = task.kind === 'incremental' ? task.columns.findIndex((c) => c.name === task.replicationKey) : -1
  if (task.kind === 'incremental' && keyColumn < 0) throw new Error(`replication key ${task.replicationKey} is not among the columns read`)
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
    await sender.send({ type: 'batch', lines: bytes, rows, mark }, [bytes.buffer as ArrayBuffer])
    progress.rows += rows
  }

  /** Renders the whole rows in `src[from, to)` (`to` just past a '\n'). */
  const rowsOf = async (src: Buffer, from: number, to: number): Promise<void> => {
    while (from < to) {
      const nl = src.indexOf(LF, from)
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
      from = nl + 1
      if (count >= BATCH_ROWS || sink.pos >= BATCH_BYTES) await send()
    }
  }

  const stream = conn.client.query(copyTo(sql))
  let cancelled = false
  let failure: unknown
  const cancel = (): void => {
    if (cancelled) return
    cancelled = true
    requestCancel(config, conn.client, 'read')
  }
  // Part of a row cut at the end of the previous chunk.
  let carry: Buffer[] = []
  let waitStart = performance.now()
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
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
        let from = 0
        if (carry.length > 0) {
          const nl = chunk.indexOf(LF)
          if (nl < 0) {
            carry.push(chunk)
            waitStart = performance.now()
            continue
          }
          carry.push(chunk.subarray(0, nl + 1))
          const row = Buffer.concat(carry)
          carry = []
          await rowsOf(row, 0, row.length)
          from = nl + 1
        }
        const last = chunk.lastIndexOf(LF)
        if (last >= from) await rowsOf(chunk, from, last + 1)
        const rest = Math.max(from, last + 1)
        if (rest < chunk.length) carry.push(chunk.subarray(rest))
        const total = progress.rows + count
        if (total - loggedRows >= itersize) {
          const t = performance.now()
          const n = total - loggedRows
          logger.info(`Fetched ${total} rows total (${n} in ${seconds(t - lastLog)} sec, ${Math.round(n / Math.max((t - lastLog) / 1000, 1e-6))} rows/sec)`)
          if (config.diagnostic_mode) logger.info(`Read timings: waited for the server ${seconds(waited)} sec of ${seconds(t - started)} sec`)
          loggedRows = total
          lastLog = t
        }
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
  }
  if (failure !== undefined) throw failure
  if (carry.length > 0 && !cancelled) throw new Error('COPY output ended inside a row')
  // The rows already rendered are sent, after a stop too ("the records already read").
  if (count > 0 && !sender.aborted) await send()
}
