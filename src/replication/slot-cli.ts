/**
 * What `tap-postgres slot create|drop|status` do, apart from flag parsing (src/cli/commands/slot/).
 * Each runs on one short-lived primary connection and writes a short report through `out`
 * (stdout: these commands have no Singer output); problems are thrown as TapErrors.
 */
import type { TapConfig } from '../config/tap-config.js'
import type { Logger } from '../log/logger.js'
import { formatLsn } from '../pg/lsn.js'
import { withClient } from '../pg/connect.js'
import { readPublication, type PublicationInfo } from './publication.js'
import {
  createSlot,
  dropSlot,
  findSlot,
  prettyBytes,
  unreservedSlotWarning,
  type SlotInfo,
  type SlotPlugin,
} from './slot.js'
import { publicationNameOf } from './slot-name.js'

export type SlotReportFormat = 'text' | 'json'

/** A pgoutput slot's publication as found (undefined info: it does not exist). */
interface PublicationReport {
  readonly name: string
  readonly info: PublicationInfo | undefined
}

/** Tables named in the text report; the JSON report lists them all. */
const LISTED_TABLES = 20

function publicationLines(p: PublicationReport): string[] {
  const info = p.info
  if (info === undefined) return [`publication: ${p.name} (missing)`]
  const names = info.tables.map((t) => `${t.schemaName}.${t.tableName}`)
  const more = names.length > LISTED_TABLES ? `, and ${names.length - LISTED_TABLES} more` : ''
  const covers = info.allTables
    ? `all tables (FOR ALL TABLES)`
    : names.length === 0
      ? 'no table yet (a LOG_BASED run adds the tables it streams)'
      : `${names.length} table${names.length === 1 ? '' : 's'}: ${names.slice(0, LISTED_TABLES).join(', ')}${more}`
  return [
    `publication: ${p.name}`,
    `publication_covers: ${covers}`,
    `publication_publishes: ${info.operations.join(', ')}`,
    `publication_via_partition_root: ${info.viaRoot}`,
  ]
}

function publicationJson(p: PublicationReport): Record<string, unknown> {
  const info = p.info
  if (info === undefined) return { name: p.name, exists: false }
  return {
    name: p.name,
    exists: true,
    all_tables: info.allTables,
    publish: info.operations,
    via_partition_root: info.viaRoot,
    tables: info.tables.map((t) => `${t.schemaName}.${t.tableName}`),
  }
}

/** The slot as `key: value` lines, or one JSON object (LSNs as `X/Y`, byte counts as integers). */
function formatSlot(slot: SlotInfo, format: SlotReportFormat, publication?: PublicationReport): string {
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
    const pub =
      publication === undefined ? '' : `,"publication":${JSON.stringify(publicationJson(publication))}`
    return `${json.slice(0, -1)},"lag_bytes":${bytes(slot.lagBytes)},"retained_bytes":${bytes(slot.retainedBytes)},"safe_wal_size":${bytes(slot.safeWalSize)}${pub}}`
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
    ...(publication === undefined ? [] : publicationLines(publication)),
  ].join('\n')
}

export async function runSlotStatus(
  config: TapConfig,
  logger: Logger,
  format: SlotReportFormat,
  out: (text: string) => void,
): Promise<void> {
  const { slot, publication } = await withClient(config, { target: 'primary' }, async (client) => {
    const slot = await findSlot(client, config)
    if (slot.plugin !== 'pgoutput') return { slot, publication: undefined }
    const name = publicationNameOf(config, slot.name)
    return { slot, publication: { name, info: await readPublication(client, name) } }
  })
  out(formatSlot(slot, format, publication) + '\n')
  if (publication !== undefined && publication.info === undefined)
    logger.warn(
      `publication "${publication.name}" of pgoutput slot "${slot.name}" does not exist: LOG_BASED runs on this slot fail`,
    )
  const unreserved = unreservedSlotWarning(slot)
  if (unreserved !== undefined) logger.warn(`replication slot "${slot.name}" ${unreserved}`)
}

export async function runSlotCreate(
  config: TapConfig,
  logger: Logger,
  format: SlotReportFormat,
  out: (text: string) => void,
  plugin?: SlotPlugin,
): Promise<void> {
  const { result, publication } = await withClient(config, { target: 'primary' }, async (client) => {
    const result = await createSlot(client, config, plugin)
    const name = result.publication?.name
    return {
      result,
      publication: name === undefined ? undefined : { name, info: await readPublication(client, name) },
    }
  })
  const kind = result.slot.plugin ?? 'physical'
  if (result.publication?.created) logger.info(`Created publication ${result.publication.name}`)
  if (result.created) logger.info(`Created replication slot ${result.slot.name} (${kind})`)
  else
    logger.warn(
      `Replication slot ${result.slot.name} already exists (${kind}); kept as it is${plugin !== undefined && plugin !== kind ? ` (not a ${plugin} slot: drop it first for one)` : ''}`,
    )
  out(formatSlot(result.slot, format, publication) + '\n')
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
