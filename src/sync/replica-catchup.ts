/**
 * LOG_BASED initial loads that read a replica (`use_secondary`): the load and its `lsn` bookmark must
 * describe the same moment. The load sees what the replica has replayed, not what the primary has
 * written, so the bookmark is the replica's replay position L, read before any table snapshot is
 * taken: every commit up to L has been replayed and is visible to every later snapshot on the replica,
 * and every change after L is streamed from the primary's slot (at worst again: at least once).
 *
 * Streaming can only start from L when the slot still has what comes after it: the server streams from
 * the larger of the requested position and the slot's confirmed_flush_lsn, and the run tells the slot
 * the smallest `lsn` of its input state (docs/lsn-and-state.md). So L must be at or beyond both; a
 * replica that has not replayed that far yet is waited for (secondary_catchup_seconds), and the run
 * fails, before any RECORD, when it does not catch up in time.
 *
 * A pgoutput slot adds a third floor: it sends a table's changes only from when the table joined
 * its publication (src/replication/publication.ts), and when that was is not recorded; the table
 * is in it at the run's end_lsn (checked, or added, before end_lsn was read), so a load read on the
 * replica must be at least that recent.
 *
 * FULL_TABLE and INCREMENTAL streams have no WAL position: nothing here concerns them.
 */
import type pg from 'pg'
import type { TapConfig } from '../config/tap-config.js'
import { TapError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { withClient } from '../pg/connect.js'
import { formatLsn, parseLsn, smallestLsn, type Lsn } from '../pg/lsn.js'
import { queryError } from '../pg/pg-errors.js'
import { prettyBytes } from '../replication/slot.js'
import { getBookmark, type SingerState } from '../singer/state.js'
import { needsInitialLoad, type PlannedStream } from './plan.js'

const POLL_MS = 500
const LOG_EVERY_MS = 10_000

/** The position a load's bookmark must reach, and which of the two rules set it. */
export interface CatchupTarget {
  readonly lsn: Lsn
  /**
   * `slot`: the slot's confirmed position; `state`: the smallest `lsn` of the input state, further
   * on; `publication`: the run's end_lsn, for a pgoutput slot, further still.
   */
  readonly source: 'slot' | 'state' | 'publication'
}

/**
 * The smallest bookmark a stream loaded in this run may have: the slot's confirmed position (the
 * server streams nothing before it), or the smallest `lsn` of the input state when that is further
 * (the run confirms it to the slot as soon as streaming starts, so a run stopped early would leave
 * the loaded stream's bookmark behind the slot).
 */
export function catchupTarget(
  slotConfirmed: Lsn,
  inputLsns: Iterable<Lsn | undefined>,
  published?: Lsn,
): CatchupTarget {
  const floor = smallestLsn(inputLsns)
  const base: CatchupTarget =
    floor !== undefined && floor > slotConfirmed
      ? { lsn: floor, source: 'state' }
      : { lsn: slotConfirmed, source: 'slot' }
  return published !== undefined && published > base.lsn ? { lsn: published, source: 'publication' } : base
}

export type CatchupStep = 'ready' | 'wait' | 'timeout'

/** After `elapsedMs` of waiting, with the replica at `replayed`. */
export function catchupStep(
  replayed: Lsn,
  needed: Lsn,
  elapsedMs: number,
  limitSeconds: number,
): CatchupStep {
  if (replayed >= needed) return 'ready'
  return elapsedMs >= limitSeconds * 1000 ? 'timeout' : 'wait'
}

export interface ReplicaLoadArgs {
  readonly config: TapConfig
  readonly logger: Logger
  readonly streams: readonly PlannedStream[]
  /** The run's state (bookmarks reconciled with the methods): which LOG_BASED streams load. */
  readonly state: SingerState
  /** The state as read: its `lsn` bookmarks are what the run confirms to the slot. */
  readonly inputState: SingerState
  readonly slot: {
    readonly name: string
    readonly confirmedFlushLsn: Lsn | null
    readonly plugin: string | null
  }
  /** The run's end_lsn: a pgoutput slot's loads must be at least as recent (see the top of this file). */
  readonly endLsn?: Lsn
  /** A stop signal ends the wait (the result is then undefined). */
  readonly signal: AbortSignal
}

/**
 * The `lsn` bookmark of this run's LOG_BASED initial loads when they read a replica: its replay
 * position, once that is at or beyond where streaming starts. Undefined when no such load reads a
 * replica (the primary's position applies), when the secondary is not in recovery (it is a primary:
 * its reads see what it has written), or when a stop signal ended the wait. Opens one short-lived
 * connection to the replica.
 */
export async function replicaLoadLsn(args: ReplicaLoadArgs): Promise<Lsn | undefined> {
  const { config } = args
  if (!config.use_secondary) return undefined
  const logBased = args.streams.filter((s) => s.method === 'LOG_BASED')
  if (!logBased.some((s) => needsInitialLoad(getBookmark(args.state, s.tapStreamId)))) return undefined
  const target = catchupTarget(
    args.slot.confirmedFlushLsn ?? 0n,
    logBased.map((s) => getBookmark(args.inputState, s.tapStreamId).lsn),
    args.slot.plugin === 'pgoutput' ? args.endLsn : undefined,
  )
  return withClient(config, { target: 'read' }, (client) => waitForReplay(client, args, target))
}

interface ReplayStatus {
  readonly inRecovery: boolean
  readonly replayed: Lsn | null
  readonly received: Lsn | null
  readonly paused: boolean
}

async function readReplay(client: pg.Client): Promise<ReplayStatus> {
  try {
    // pg_is_wal_replay_paused() raises outside recovery; CASE keeps it from running there.
    const r = await client.query<{
      recovery: string
      replayed: string | null
      received: string | null
      paused: string
    }>(
      `SELECT pg_catalog.pg_is_in_recovery()::text AS recovery,
              pg_catalog.pg_last_wal_replay_lsn()::text AS replayed,
              pg_catalog.pg_last_wal_receive_lsn()::text AS received,
              (CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_is_wal_replay_paused() ELSE false END)::text AS paused`,
    )
    const row = r.rows[0]
    return {
      inRecovery: row.recovery === 'true',
      replayed: row.replayed === null ? null : parseLsn(row.replayed),
      received: row.received === null ? null : parseLsn(row.received),
      paused: row.paused === 'true',
    }
  } catch (e) {
    throw queryError(e, "reading the replica's WAL replay position (pg_last_wal_replay_lsn)")
  }
}

async function waitForReplay(
  client: pg.Client,
  args: ReplicaLoadArgs,
  target: CatchupTarget,
): Promise<Lsn | undefined> {
  const { config, logger, signal, slot } = args
  const needed = target.lsn
  const where =
    target.source === 'slot'
      ? `where replication slot "${slot.name}" streams from`
      : target.source === 'state'
        ? `the smallest LOG_BASED bookmark of the state, which this run confirms to replication slot "${slot.name}"`
        : `the primary's position at the start of the run: pgoutput slot "${slot.name}" sends a table's changes only from when it joined the publication, which is no later than that`
  const replica = `replica ${config.secondary_host}:${config.secondary_port}`
  const limit = config.secondary_catchup_seconds
  const started = Date.now()
  let loggedAt: number | undefined
  for (;;) {
    const st = await readReplay(client)
    if (!st.inRecovery) {
      logger.debug(
        `${config.secondary_host}:${config.secondary_port} is not in recovery (not a replica): LOG_BASED initial loads are bookmarked at the primary's WAL position`,
      )
      return undefined
    }
    if (st.replayed === null) {
      throw new TapError(
        'REPLICA_BEHIND',
        `${replica} reports no WAL replay position (pg_last_wal_replay_lsn() is NULL): a LOG_BASED initial load read there cannot be matched with a position of replication slot "${slot.name}"`,
        { hint: 'set use_secondary to false for the runs that make LOG_BASED initial loads' },
      )
    }
    const elapsed = Date.now() - started
    const step = catchupStep(st.replayed, needed, elapsed, limit)
    if (step === 'ready') {
      if (loggedAt !== undefined)
        logger.info(
          `${replica} replayed up to ${formatLsn(st.replayed)} after ${Math.round(elapsed / 1000)} s`,
        )
      logger.info(
        `LOG_BASED initial loads read on ${replica}: bookmarked at its replay position ${formatLsn(st.replayed)}`,
      )
      return st.replayed
    }
    if (step === 'timeout') throw behindError(replica, st, needed, where, limit)
    const now = Date.now()
    if (loggedAt === undefined) {
      loggedAt = now
      logger.info(
        `${replica} has replayed WAL up to ${formatLsn(st.replayed)}${describe(st)}, behind ${formatLsn(needed)}, ${where}: ` +
          `a LOG_BASED initial load read there now would miss changes; waiting up to ${limit} s (secondary_catchup_seconds)`,
      )
    } else if (now - loggedAt >= LOG_EVERY_MS) {
      loggedAt = now
      logger.info(
        `Waiting ${Math.round(elapsed / 1000)} s for ${replica} to replay up to ${formatLsn(needed)}: replayed ${formatLsn(st.replayed)}, ${prettyBytes(needed - st.replayed)} behind${describe(st)}`,
      )
    }
    await sleep(POLL_MS, signal)
    if (signal.aborted) return undefined
  }
}

function describe(st: ReplayStatus): string {
  if (st.paused) return ' (replay is paused)'
  if (st.received !== null && st.replayed !== null && st.received > st.replayed)
    return ` (received up to ${formatLsn(st.received)})`
  return ''
}

function behindError(replica: string, st: ReplayStatus, needed: Lsn, where: string, limit: number): TapError {
  const replayed = st.replayed as Lsn
  const what = st.paused
    ? 'resume replay on the replica (SELECT pg_wal_replay_resume())'
    : 'check that the replica streams from the primary and keeps up (pg_stat_wal_receiver, pg_stat_replication)'
  return new TapError(
    'REPLICA_BEHIND',
    `${replica} has replayed WAL only up to ${formatLsn(replayed)}${describe(st)}, and a LOG_BASED initial load read there needs at least ${formatLsn(needed)}, ` +
      `${where} (${prettyBytes(needed - replayed)} more); waited ${limit} s (secondary_catchup_seconds)`,
    { hint: `${what}, raise secondary_catchup_seconds, or set use_secondary to false for this run` },
  )
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
