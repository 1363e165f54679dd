/**
 * The replication slot (docs/behaviour.md#the-replication-slot): find, create, drop and describe it, and turn the server's
 * replication errors into errors a user can act on. Runs on an ordinary (not walsender) connection:
 * the slot functions (https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-REPLICATION)
 * and pg_replication_slots work there, and need the REPLICATION attribute or superuser.
 */
import type pg from 'pg'
import type { TapConfig } from '../config/tap-config.js'
import { SlotError, TapError } from '../errors.js'
import { queryError } from '../pg/pg-errors.js'
import { parseLsn, type Lsn } from '../pg/lsn.js'
import { createPublication, PublicationError, readPublication } from './publication.js'
import { defaultSlotNames, pickExistingSlot, publicationNameOf, slotNameToCreate } from './slot-name.js'

/**
 * The output plugins the tap streams from. A run uses the slot's own (pg_replication_slots.plugin),
 * so a wal2json slot made by pipelinewise keeps working. pgoutput is built into PostgreSQL 10+,
 * wal2json is an extension.
 */
export const SLOT_PLUGINS = ['pgoutput', 'wal2json'] as const
export type SlotPlugin = (typeof SLOT_PLUGINS)[number]
/** What `slot create` makes: pgoutput is built in, wal2json an extension many servers lack. */
export const DEFAULT_SLOT_PLUGIN: SlotPlugin = 'pgoutput'

export function isSlotPlugin(plugin: string | null): plugin is SlotPlugin {
  return (SLOT_PLUGINS as readonly (string | null)[]).includes(plugin)
}

const CREATE_HINT =
  'create it with `tap-postgres slot create --config <config>` (needs the REPLICATION attribute)'

export interface SlotInfo {
  readonly name: string
  readonly plugin: string | null
  readonly database: string | null
  readonly active: boolean
  readonly activePid: number | null
  /** Where the consumer has confirmed (the next run starts here at the earliest). */
  readonly confirmedFlushLsn: Lsn | null
  /** The oldest WAL the slot keeps. */
  readonly restartLsn: Lsn | null
  /** PG13+: reserved, extended, unreserved or lost (lost: the slot can no longer be used). */
  readonly walStatus: string | null
  /** pg_current_wal_lsn() − confirmed_flush_lsn: the WAL the consumer has not confirmed yet. */
  readonly lagBytes: bigint | null
  /** pg_current_wal_lsn() − restart_lsn: the WAL the slot holds on the server's disk. */
  readonly retainedBytes: bigint | null
  /** PG13+: WAL that may still be written before the slot is lost; null without max_slot_wal_keep_size. */
  readonly safeWalSize: bigint | null
}

const SLOTS_SQL = `
SELECT slot_name, plugin, database, active, active_pid,
       confirmed_flush_lsn::text AS confirmed_flush_lsn, restart_lsn::text AS restart_lsn, wal_status, safe_wal_size::text AS safe_wal_size,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag_bytes,
       pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn)::text AS retained_bytes
FROM pg_catalog.pg_replication_slots
WHERE slot_name = ANY($1::text[])`

type Row = Record<string, string | null>

function toInfo(r: Row): SlotInfo {
  const lsn = (v: string | null) => (v === null ? null : parseLsn(v))
  // pg_wal_lsn_diff returns numeric; byte counts are whole numbers.
  const bytes = (v: string | null) => (v === null ? null : BigInt(v.replace(/\.0*$/, '')))
  return {
    name: r.slot_name ?? '',
    plugin: r.plugin,
    database: r.database,
    active: r.active === 't' || r.active === 'true',
    activePid: r.active_pid === null ? null : Number(r.active_pid),
    confirmedFlushLsn: lsn(r.confirmed_flush_lsn),
    restartLsn: lsn(r.restart_lsn),
    walStatus: r.wal_status,
    lagBytes: bytes(r.lag_bytes),
    retainedBytes: bytes(r.retained_bytes),
    safeWalSize: bytes(r.safe_wal_size),
  }
}

/** The slots among `names` that exist, by name. */
async function readSlots(client: pg.Client, names: readonly string[]): Promise<Map<string, SlotInfo>> {
  try {
    const r = await client.query<Row>(SLOTS_SQL, [names])
    return new Map(r.rows.map((row) => [row.slot_name ?? '', toInfo(row)]))
  } catch (e) {
    throw queryError(e, 'reading pg_replication_slots')
  }
}

/**
 * The slot a LOG_BASED run reads: the first of the configured names that exists (docs/behaviour.md#the-replication-slot),
 * checked to be usable by this tap. Throws SlotError naming the command that creates it.
 */
export async function findSlot(
  client: pg.Client,
  config: Pick<TapConfig, 'dbname' | 'tap_id' | 'replication_slot_name'>,
): Promise<SlotInfo> {
  const names = defaultSlotNames(config)
  const slots = await readSlots(client, names)
  const name = pickExistingSlot(names, slots.keys())
  if (name === undefined) {
    // On a server that cannot have a logical slot, that is the problem to report.
    await assertLogicalWal(client)
    const which = names.length === 1 ? `"${names[0]}"` : names.map((n) => `"${n}"`).join(' or ')
    throw new SlotError(names[0], `replication slot ${which} does not exist`, { hint: CREATE_HINT })
  }
  const slot = slots.get(name) as SlotInfo
  assertUsable(slot, config.dbname)
  return slot
}

/** A slot we can stream from: ours (pgoutput or wal2json, this database) and not lost. */
export function assertUsable(slot: SlotInfo, dbname: string): void {
  if (!isSlotPlugin(slot.plugin)) {
    throw new SlotError(
      slot.name,
      `replication slot "${slot.name}" uses ${slot.plugin === null ? 'physical replication' : `the ${slot.plugin} plugin`}, not ${SLOT_PLUGINS.join(' or ')}`,
      {
        hint: 'set replication_slot_name to a pgoutput or wal2json slot, or drop this one and run `tap-postgres slot create`',
      },
    )
  }
  if (slot.database !== null && slot.database !== dbname) {
    throw new SlotError(
      slot.name,
      `replication slot "${slot.name}" belongs to database "${slot.database}", not "${dbname}"`,
      { hint: 'slots are per database: set replication_slot_name' },
    )
  }
  if (slot.walStatus === 'lost') {
    throw new SlotError(
      slot.name,
      `replication slot "${slot.name}" is lost: the server removed WAL it still needed (max_slot_wal_keep_size)`,
      {
        hint: 'drop and recreate the slot (`tap-postgres slot drop`, `tap-postgres slot create`), then resync the LOG_BASED streams from scratch (remove their bookmarks)',
      },
    )
  }
}

/**
 * PostgreSQL 13+ `wal_status = unreserved`: the slot needs WAL beyond max_slot_wal_keep_size, and
 * the next checkpoint may remove it; the slot is then lost (a LOG_BASED run refuses it, and every
 * LOG_BASED stream must be loaded again). It can still recover if it is consumed before that.
 * What `check` and `slot status` warn after the slot's name, or undefined for any other status.
 */
export function unreservedSlotWarning(
  slot: Pick<SlotInfo, 'walStatus' | 'retainedBytes' | 'safeWalSize'>,
): string | undefined {
  if (slot.walStatus !== 'unreserved') return undefined
  const retained =
    slot.retainedBytes === null
      ? ''
      : ` it retains ${prettyBytes(slot.retainedBytes)} of WAL (pg_current_wal_lsn() - restart_lsn: ${slot.retainedBytes} bytes),`
  const safe = slot.safeWalSize === null ? '' : ` (safe_wal_size ${slot.safeWalSize} bytes)`
  return (
    `is unreserved:${retained} more than max_slot_wal_keep_size allows${safe}, ` +
    'and the next checkpoint may remove WAL it needs, which loses the slot; run a LOG_BASED sync now so it catches up, or raise max_slot_wal_keep_size'
  )
}

export interface CreateResult {
  /** False: a usable slot of that name existed and was kept as it is (whatever its plugin). */
  readonly created: boolean
  readonly slot: SlotInfo
  /** pgoutput: the publication and whether this call created it. */
  readonly publication?: { readonly name: string; readonly created: boolean }
}

/**
 * Creates the configured slot with `plugin`; an existing usable slot of that name is kept. For
 * pgoutput the publication (publication_name, default: the slot's name) is created first when
 * missing: pgoutput cannot decode WAL from before its publication existed (publication.ts).
 */
export async function createSlot(
  client: pg.Client,
  config: Pick<TapConfig, 'dbname' | 'tap_id' | 'replication_slot_name' | 'publication_name'>,
  plugin: SlotPlugin = DEFAULT_SLOT_PLUGIN,
): Promise<CreateResult> {
  const name = slotNameToCreate(config)
  const existing = (await readSlots(client, [name])).get(name)
  if (existing !== undefined) {
    assertUsable(existing, config.dbname)
    if (existing.plugin !== 'pgoutput') return { created: false, slot: existing }
    const publication = publicationNameOf(config, name)
    if ((await readPublication(client, publication)) === undefined) {
      throw new PublicationError(
        publication,
        `replication slot "${name}" (pgoutput) exists but publication "${publication}" does not, and one created now cannot be decoded for the WAL the slot holds from before it`,
        {
          hint: 'drop the slot (`tap-postgres slot drop`) and run `tap-postgres slot create` again, which creates the publication first',
        },
      )
    }
    return { created: false, slot: existing, publication: { name: publication, created: false } }
  }
  await assertLogicalWal(client)
  let publication: CreateResult['publication']
  if (plugin === 'pgoutput') {
    const pubName = publicationNameOf(config, name)
    const found = (await readPublication(client, pubName)) !== undefined
    if (!found) await createPublication(client, pubName)
    publication = { name: pubName, created: !found }
  }
  try {
    await client.query('SELECT pg_catalog.pg_create_logical_replication_slot($1, $2)', [name, plugin])
  } catch (e) {
    throw replicationError(e, name, `creating replication slot "${name}"`)
  }
  const slot = (await readSlots(client, [name])).get(name)
  if (slot === undefined)
    throw new SlotError(
      name,
      `replication slot "${name}" was created but is not listed in pg_replication_slots`,
    )
  return { created: true, slot, publication }
}

/** Drops the slot the run would use (the first configured name that exists). */
export async function dropSlot(
  client: pg.Client,
  config: Pick<TapConfig, 'dbname' | 'tap_id' | 'replication_slot_name'>,
): Promise<SlotInfo> {
  const names = defaultSlotNames(config)
  const slots = await readSlots(client, names)
  const name = pickExistingSlot(names, slots.keys())
  if (name === undefined)
    throw new SlotError(
      names[0],
      `replication slot ${names.map((n) => `"${n}"`).join(' or ')} does not exist`,
    )
  const slot = slots.get(name) as SlotInfo
  if (slot.active) {
    throw new SlotError(name, `replication slot "${name}" is in use by process ${slot.activePid ?? '?'}`, {
      hint: 'stop the running sync first',
    })
  }
  try {
    await client.query('SELECT pg_catalog.pg_drop_replication_slot($1)', [name])
  } catch (e) {
    throw replicationError(e, name, `dropping replication slot "${name}"`)
  }
  return slot
}

/** wal_level must be logical for any logical slot (https://www.postgresql.org/docs/15/runtime-config-wal.html). */
async function assertLogicalWal(client: pg.Client): Promise<void> {
  let level: string
  try {
    level = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0].wal_level
  } catch (e) {
    throw queryError(e, 'reading wal_level')
  }
  if (level !== 'logical') {
    throw new TapError(
      'REPLICATION_UNAVAILABLE',
      `LOG_BASED replication needs wal_level = logical; the server has wal_level = ${level}`,
      {
        hint: "set wal_level = logical in postgresql.conf (or the provider's parameter group) and restart the server",
      },
    )
  }
}

/**
 * A server error met while creating, starting or dropping replication → a TapError that says what
 * to do. `what` names the action (`starting replication from slot "x"`).
 */
export function replicationError(e: unknown, slotName: string, what: string): TapError {
  if (e instanceof TapError) return e
  const err = e as { code?: string; message?: string }
  const message = (err.message ?? String(e)).split('\n')[0]
  const code = err.code ?? ''
  // pgoutput, 42704 undefined_object like a missing slot: `publication "x" does not exist`.
  const publication = /publication "((?:[^"]|"")*)" does not exist/.exec(message)
  if (publication !== null) {
    return new PublicationError(publication[1], `${what}: ${message}`, {
      hint: 'a publication created after the slot cannot be decoded for the WAL before it: drop the slot and run `tap-postgres slot create`, which creates the publication first',
      cause: e,
    })
  }
  // 58P01 undefined_file: `could not access file "wal2json": No such file or directory`.
  if (code === '58P01' || /could not access file "?wal2json/i.test(message)) {
    return new TapError(
      'REPLICATION_UNAVAILABLE',
      `${what}: the wal2json output plugin is not installed on the server (${message})`,
      {
        hint: 'install wal2json on the server (Debian/Ubuntu: postgresql-<major>-wal2json); managed services: enable it in the provider settings',
      },
    )
  }
  if (/may not be used as an output plugin/i.test(message)) {
    const plugin = /"([^"]+)" may not be used/.exec(message)?.[1] ?? 'the plugin'
    return new TapError(
      'REPLICATION_UNAVAILABLE',
      `${what}: the server does not allow ${plugin} as an output plugin (${message})`,
      {
        hint:
          plugin === 'pgoutput'
            ? `add pgoutput to output_plugin_libraries in postgresql.conf`
            : `add ${plugin} to output_plugin_libraries in postgresql.conf, or use a pgoutput slot (\`tap-postgres slot create\`, the default), which needs no extension`,
      },
    )
  }
  // 55000 object_not_in_prerequisite_state: `logical decoding requires wal_level >= logical`.
  if (/wal_level/i.test(message)) {
    return new TapError('REPLICATION_UNAVAILABLE', `${what}: ${message}`, {
      hint: 'set wal_level = logical and restart the server',
    })
  }
  // 42710 duplicate_object, 42704 undefined_object, 55006 object_in_use, 53400 all slots in use.
  if (code === '42704')
    return new SlotError(slotName, `${what}: replication slot "${slotName}" does not exist`, {
      hint: CREATE_HINT,
      cause: e,
    })
  if (code === '55006')
    return new SlotError(slotName, `${what}: replication slot "${slotName}" is in use by another process`, {
      hint: 'another sync may be running on this slot',
      cause: e,
    })
  if (code === '42710')
    return new SlotError(slotName, `${what}: replication slot "${slotName}" already exists`, { cause: e })
  if (code === '53400')
    return new SlotError(slotName, `${what}: ${message}`, {
      hint: 'raise max_replication_slots or drop unused slots',
      cause: e,
    })
  // 42501 insufficient_privilege: `must be superuser or replication role to use replication slots`.
  if (code === '42501')
    return new TapError('REPLICATION_UNAVAILABLE', `${what}: ${message}`, {
      hint: 'ALTER ROLE <user> REPLICATION',
      cause: e,
    })
  return queryError(e, what, 'REPLICATION_FAILED')
}

/** Bytes in a short human form for logs and `slot status` (1 kB = 1024 B, as pg_size_pretty). */
export function prettyBytes(bytes: bigint): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB']
  let v = bytes < 0n ? -bytes : bytes
  let u = 0
  // pg_size_pretty switches unit at 10240 of the smaller one; so do we.
  while (v >= 10240n && u < units.length - 1) {
    v = (v + 512n) / 1024n
    u++
  }
  return `${bytes < 0n ? '-' : ''}${v} ${units[u]}`
}
