/**
 * LOG_BASED streaming, main-thread side (docs/behaviour.md#steps-of-a-run), behind the sync engine's seam
 * (src/sync/log-based-seam.ts): find the slot, check the bookmarks against it, write the SCHEMA
 * lines, then hand over to the run of the replication worker (replication-run.ts).
 * The LSN rules are in docs/lsn-and-state.md.
 */
import { publicationNameOf } from '../replication/slot-name.js'
import { withClient } from '../pg/connect.js'
import { formatLsn, smallestLsn, type Lsn } from '../pg/lsn.js'
import { getBookmark } from '../singer/state.js'
import type { LogBasedRunner } from './log-based-seam.js'
import {
  behindSlotContinueWarning,
  behindSlotError,
  positionsBehindSlot,
  streamPosition,
} from './behind-slot.js'
import { ReplicationRun } from './replication-run.js'
import { streamSchemaLine } from '../catalog/stream-schema.js'
import { slotFloor } from '../replication/acker.js'
import { findSlot, prettyBytes } from '../replication/slot.js'

/** Batches the worker may post before the main thread has written them (~0.5 MB of lines each). */
const MAX_IN_FLIGHT = 4

export const runLogBased: LogBasedRunner = async (args) => {
  const { config, emitter, streams } = args
  const logger = args.logger.child({ component: 'replication' })

  const slot = await withClient(config, { target: 'primary' }, (client) => findSlot(client, config))
  const slotConfirmed = slot.confirmedFlushLsn ?? 0n
  const bookmarks = new Map<string, Lsn | undefined>(
    streams.map((s) => [s.tapStreamId, getBookmark(emitter.state, s.tapStreamId).lsn]),
  )
  const startLsn = smallestLsn(bookmarks.values()) ?? args.endLsn
  const inputFloor = slotFloor(
    args.inputState,
    emitter.state,
    streams.map((s) => s.tapStreamId),
    args.held ?? [],
  )
  if (slot.active)
    logger.warn(
      `replication slot ${slot.name} is in use by process ${slot.activePid ?? '?'}; starting will fail while it is`,
    )
  // Settled before the pool phase (src/sync/behind-slot.ts); found here only under `continue`, or
  // when the slot moved since (another consumer): then it is too late to reload, so it is refused.
  const behind = positionsBehindSlot(
    streams.map((s) => streamPosition(s.tapStreamId, getBookmark(emitter.state, s.tapStreamId))),
    slot.confirmedFlushLsn,
  )
  if (behind.length > 0) {
    const at = { name: slot.name, confirmedFlushLsn: slotConfirmed }
    if (config.state_behind_slot !== 'continue') throw behindSlotError(at, behind)
    logger.warn(behindSlotContinueWarning(at, behind))
  }
  logger.info(
    `LOG_BASED: ${streams.length} stream${streams.length === 1 ? '' : 's'} from ${formatLsn(startLsn)} to ${formatLsn(args.endLsn)} ` +
      `(slot ${slot.name}, ${slot.plugin ?? 'physical'}${slot.plugin === 'pgoutput' ? ` publication ${publicationNameOf(config, slot.name)}` : ''}, lag ${slot.lagBytes === null ? 'unknown' : prettyBytes(slot.lagBytes)})`,
  )

  // pipelinewise sends each LOG_BASED stream's SCHEMA before streaming; loaded streams already did.
  for (const s of streams) {
    if (!s.schemaWritten)
      await emitter.write(streamSchemaLine({ ...s, method: 'LOG_BASED' }, config.debug_lsn))
  }

  const run = new ReplicationRun(args, logger, bookmarks, startLsn > slotConfirmed ? startLsn : slotConfirmed)
  await run.execute({
    slotName: slot.name,
    plugin: slot.plugin ?? 'wal2json',
    ...(slot.plugin === 'pgoutput' ? { publication: publicationNameOf(config, slot.name) } : {}),
    startLsn,
    inputFloor,
    slotConfirmed,
    streams: streams.map((s) => ({
      ...s,
      bookmark: bookmarks.get(s.tapStreamId),
      version: getBookmark(emitter.state, s.tapStreamId).version,
    })),
    debugLsn: config.debug_lsn,
    pollIntervalMs: Math.max(100, Math.round(config.poll_interval * 1000)),
    maxInFlight: MAX_IN_FLIGHT,
  })
}
