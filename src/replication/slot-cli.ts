/**
 * What `tap-postgres slot create|drop|status` do, apart from flag parsing (src/cli/commands/slot/).
 * Each runs on one short-lived primary connection and writes a short report through `out`
 * (stdout: these commands have no Singer output); problems are thrown as TapErrors.
 */
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import { formatLsn } from '../pg/lsn.js'
import { withClient } from '../pg/connect.js'
import { createSlot, dropSlot, findSlot, prettyBytes, unreservedSlotWarning, type SlotInfo } from './slot.js'

export type SlotReportFormat = 'text' | 'json'

/** The slot as `key: value` lines, or one JSON object (LSNs as `X/Y`, byte counts as integers). */
function formatSlot(slot: SlotInfo, format: SlotReportFormat): string {
  const lsn = (v: bigint | null) => (v === null ? null : formatLsn(v))
  if (format === 'json') {
    const bytes = (v: bigint | null) => (v === null ? 'null' : v.toString())
    const fields = {
      slot_name: slot.name,
      plugin: slot.plugin,
      database: slot.database,
      active: slot.active,
      active_pid: slot.activePid,
      confirmed_flush_lsn: lsn(slot.confirmedFlushLsn),
      restart_lsn: lsn(slot.restartLsn),
      wal_status: slot.walStatus,
    }
    const json = JSON.stringify(fields)
    // Byte counts can pass 2^53 in theory: written as raw integers, not through a JS number.
    return `${json.slice(0, -1)},"lag_bytes":${bytes(slot.lagBytes)},"retained_bytes":${bytes(slot.retainedBytes)},"safe_wal_size":${bytes(slot.safeWalSize)}}`
  }
  const bytes = (v: bigint | null) => (v === null ? 'unknown' : `${v} (${prettyBytes(v)})`)
  return [
    `slot_name: ${slot.name}`,
    `plugin: ${slot.plugin ?? 'none (physical)'}`,
    `database: ${slot.database ?? ''}`,
    `active: ${slot.active}${slot.activePid !== null ? ` (pid ${slot.activePid})` : ''}`,
    `confirmed_flush_lsn: ${lsn(slot.confirmedFlushLsn) ?? 'none'}`,
    `restart_lsn: ${lsn(slot.restartLsn) ?? 'none'}`,
    `wal_status: ${slot.walStatus ?? 'unknown'}`,
    `lag_bytes: ${bytes(slot.lagBytes)}`,
    `retained_bytes: ${bytes(slot.retainedBytes)}`,
    `safe_wal_size: ${slot.safeWalSize === null ? 'unlimited (max_slot_wal_keep_size = -1)' : bytes(slot.safeWalSize)}`,
  ].join('\n')
}

export async function runSlotStatus(
  config: TapConfig,
  logger: Logger,
  format: SlotReportFormat,
  out: (text: string) => void,
): Promise<void> {
  const slot = await withClient(config, { target: 'primary' }, (client) => findSlot(client, config))
  out(formatSlot(slot, format) + '\n')
  const unreserved = unreservedSlotWarning(slot)
  if (unreserved !== undefined) logger.warn(`replication slot "${slot.name}" ${unreserved}`)
}

export async function runSlotCreate(
  config: TapConfig,
  logger: Logger,
  format: SlotReportFormat,
  out: (text: string) => void,
): Promise<void> {
  const result = await withClient(config, { target: 'primary' }, (client) => createSlot(client, config))
  if (result.created) logger.info(`Created replication slot ${result.slot.name} (wal2json)`)
  else logger.warn(`Replication slot ${result.slot.name} already exists (wal2json); kept as it is`)
  out(formatSlot(result.slot, format) + '\n')
}

export async function runSlotDrop(
  config: TapConfig,
  logger: Logger,
  out: (text: string) => void,
): Promise<void> {
  const slot = await withClient(config, { target: 'primary' }, (client) => dropSlot(client, config))
  logger.info(`Dropped replication slot ${slot.name}`)
  out(`dropped: ${slot.name}\n`)
}
