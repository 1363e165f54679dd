/**
 * The run's exported snapshot: every chunk of every chunked load reads the table as of one point in
 * time (docs/chunked-loads.md).
 *
 * The exporter is the run's main connection during the pool phase (docs/behaviour.md#connections: max_workers reads +
 * 1 replication + 1 main): it opens a REPEATABLE READ transaction, exports its snapshot and stays
 * idle in it while chunks start; each chunk's transaction imports the snapshot first thing. A snapshot
 * can only be imported while the exporting transaction is open, and a pool thread runs one chunk at a
 * time, so the exporter stays open until every chunk of the run has imported it (or will never run),
 * then commits and closes.
 *
 * For LOG_BASED loads the snapshot also needs its WAL position L: every transaction whose commit ends
 * at or before L must be in the snapshot (streaming from L skips those), and every later one is
 * streamed (possibly again: at least once). A commit record is written before the transaction becomes
 * visible to new snapshots, so a position read just before or just after the snapshot can name a
 * commit the snapshot does not see. Hence, on a primary: read L, list the transactions running then,
 * wait until they have ended, and only then take the snapshot. On a standby, commits up to
 * pg_last_wal_replay_lsn() have been replayed and are visible, so L is that position, read first.
 */
import type pg from 'pg'
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import { openClient } from '../pg/connect.js'
import { formatLsn, parseLsn, type Lsn } from '../pg/lsn.js'
import { queryError } from '../pg/pg-errors.js'
import { importStatement } from '../read/chunk-read.js'

/** What chunk tasks import, and what the chunk state records of it. */
export interface SnapshotInfo {
  /** pg_export_snapshot(), e.g. `00000003-0000001B-1`. */
  readonly name: string
  /** The snapshot's xmax and running transactions, as 32-bit ids: rows they wrote are newer than the snapshot. */
  readonly xmax: number
  readonly xip: readonly number[]
  /** LOG_BASED: the WAL position that matches the snapshot (see above). */
  readonly lsn?: Lsn
}

export interface ExportOptions {
  readonly config: TapConfig
  readonly logger: Logger
  /** Take the matching WAL position too (a LOG_BASED initial load starts chunked). */
  readonly withLsn: boolean
  /** A stop signal ends the wait for running transactions. */
  readonly signal: AbortSignal
}

const WAIT_POLL_MS = 50
const WAIT_LOG_EVERY_MS = 10_000

export class SnapshotExporter {
  readonly info: SnapshotInfo
  readonly #client: pg.Client
  readonly #logger: Logger
  readonly #waiting = new Set<string>()
  #sealed = false
  #closing: Promise<void> | undefined

  private constructor(client: pg.Client, info: SnapshotInfo, logger: Logger) {
    this.#client = client
    this.info = info
    this.#logger = logger
  }

  static async open(opts: ExportOptions): Promise<SnapshotExporter> {
    const client = await openClient(opts.config, { target: 'read' })
    // An idle exporter must outlive the server's idle-in-transaction limit; a socket error is reported by the chunks that cannot import.
    client.on('error', () => undefined)
    try {
      await client.query('SET idle_in_transaction_session_timeout = 0')
      const lsn = opts.withLsn ? await snapshotLsn(client, opts) : undefined
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      const r = await client.query<{ name: string; xmax: string; xip: string }>(
        `SELECT pg_catalog.pg_export_snapshot() AS name,
                (pg_catalog.pg_snapshot_xmax(s)::text::bigint % 4294967296)::text AS xmax,
                array(SELECT (x::text::bigint % 4294967296)::text FROM pg_catalog.pg_snapshot_xip(s) AS x)::text AS xip
         FROM pg_catalog.pg_current_snapshot() AS s`,
      )
      const row = r.rows[0]
      const xip = row.xip === '{}' ? [] : row.xip.slice(1, -1).split(',').map(Number)
      const info: SnapshotInfo = {
        name: row.name,
        xmax: Number(row.xmax),
        xip,
        ...(lsn === undefined ? {} : { lsn }),
      }
      importStatement(info.name)
      opts.logger.info(
        `Exported snapshot ${info.name} for the chunked loads${lsn === undefined ? '' : ` at WAL position ${formatLsn(lsn)}`}`,
      )
      return new SnapshotExporter(client, info, opts.logger)
    } catch (e) {
      await client.end().catch(() => undefined)
      throw queryError(e, 'exporting the snapshot for chunked loads')
    }
  }

  /** `id` will import the snapshot: the exporter stays open until it has (see `settle`). */
  expect(id: string): void {
    if (!this.#sealed) this.#waiting.add(id)
  }

  /** No more `expect` calls: once every expected import is settled, the exporter closes. */
  seal(): void {
    this.#sealed = true
    this.#closeWhenSettled()
  }

  /** `id` imported the snapshot, or never will (it was skipped, failed or stopped first). */
  settle(id: string): void {
    this.#waiting.delete(id)
    this.#closeWhenSettled()
  }

  /** Commits and closes now (end of the pool phase); safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#client.query('COMMIT').catch(() => undefined)
      await this.#client.end().catch(() => undefined)
      this.#logger.debug(`Snapshot ${this.info.name} released`)
    })()
    return this.#closing
  }

  #closeWhenSettled(): void {
    if (this.#sealed && this.#waiting.size === 0) void this.close()
  }
}

async function snapshotLsn(client: pg.Client, opts: ExportOptions): Promise<Lsn> {
  const recovery = await client.query<{ r: string }>('SELECT pg_catalog.pg_is_in_recovery()::text AS r')
  if (recovery.rows[0].r === 'true') {
    const r = await client.query<{ lsn: string }>('SELECT pg_catalog.pg_last_wal_replay_lsn()::text AS lsn')
    return parseLsn(r.rows[0].lsn)
  }
  const r = await client.query<{ lsn: string }>('SELECT pg_catalog.pg_current_wal_lsn()::text AS lsn')
  const lsn = parseLsn(r.rows[0].lsn)
  const running = await client.query<{ x: string }>(
    'SELECT x::text FROM pg_catalog.pg_snapshot_xip(pg_catalog.pg_current_snapshot()) AS x',
  )
  let xids = running.rows.map((row) => row.x)
  const started = Date.now()
  let loggedAt = started
  while (xids.length > 0 && !opts.signal.aborted) {
    // Still in a fresh snapshot's running list (pg_xact_status may say committed a moment before the
    // transaction leaves the proc array, which is what makes it visible).
    const r = await client.query<{ x: string }>(
      'SELECT x::text FROM unnest($1::xid8[]) AS x WHERE NOT pg_catalog.pg_visible_in_snapshot(x, pg_catalog.pg_current_snapshot())',
      [xids],
    )
    xids = r.rows.map((row) => row.x)
    if (xids.length === 0) break
    if (Date.now() - loggedAt >= WAIT_LOG_EVERY_MS) {
      loggedAt = Date.now()
      const shown = xids
        .slice(0, 5)
        .map((x) => String(BigInt(x) % 4294967296n))
        .join(', ')
      opts.logger.info(
        `Waiting ${Math.round((loggedAt - started) / 1000)} s for ${xids.length} transaction${xids.length === 1 ? '' : 's'} running at WAL position ${formatLsn(lsn)} to end before taking the snapshot (pg_stat_activity.backend_xid ${shown}${xids.length > 5 ? ', ...' : ''})`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS))
  }
  return lsn
}
