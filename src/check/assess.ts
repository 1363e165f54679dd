/** The rules of `check`: facts read from the server → findings. Pure. */
import type { TapConfig } from '../config/tap-config.js'
import type { PublicationInfo } from '../replication/publication.js'
import { defaultSlotNames, pickExistingSlot, slotNameToCreate } from '../replication/slot-name.js'
import {
  DEFAULT_SLOT_PLUGIN,
  isSlotPlugin,
  SLOT_PLUGINS,
  type SlotPlugin,
  unreservedSlotWarning,
} from '../replication/slot.js'
import { fail, ok, replicationFinding, warn, type Finding } from './findings.js'
import type { PluginProbe } from './plugin-probe.js'
import type { SchemaAccess, ServerFacts, SlotFacts } from './server-facts.js'

/** pg_current_wal_lsn() and the pg_wal names the tap uses are PostgreSQL 10+. */
const MIN_SERVER_VERSION_NUM = 100000

export function assessServerVersion(facts: ServerFacts): Finding {
  const role = facts.inRecovery ? ' (a standby)' : ''
  if (facts.serverVersionNum < MIN_SERVER_VERSION_NUM) {
    return fail('server version', `${facts.serverVersion}${role}: tap-postgres needs PostgreSQL 10 or later`)
  }
  return ok('server version', `${facts.serverVersion}${role}`)
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/**
 * Schemas the user listed in filter_schemas must exist and be usable; without a filter, schemas the
 * user cannot use are only noted, since a database often holds other applications' schemas.
 */
export function assessSchemas(config: TapConfig, schemas: readonly SchemaAccess[]): Finding[] {
  const filtered = config.filter_schemas !== undefined && config.filter_schemas.length > 0
  const out: Finding[] = []
  for (const s of schemas) {
    const subject = `schema ${s.schema}`
    if (!s.exists) {
      out.push(fail(subject, 'does not exist (listed in filter_schemas)'))
    } else if (!s.usage) {
      const detail = `no USAGE privilege, its ${plural(s.relations, 'table or view is', 'tables and views are')} left out (GRANT USAGE ON SCHEMA ... TO ...)`
      out.push(filtered ? fail(subject, detail) : warn(subject, detail))
    } else if (s.readable < s.relations) {
      const hidden = s.relations - s.readable
      out.push(
        warn(
          subject,
          `${plural(hidden, 'table or view has', 'tables and views have')} no column the user may SELECT and ${hidden === 1 ? 'is' : 'are'} left out (${s.readable} of ${s.relations} readable)`,
        ),
      )
    }
  }
  const readable = schemas.reduce((n, s) => n + s.readable, 0)
  const inSchemas = schemas.filter((s) => s.readable > 0).length
  out.push(
    readable === 0
      ? fail(
          'privileges',
          `no table or view is readable${filtered ? ' in filter_schemas' : ''}: nothing to sync`,
        )
      : ok(
          'privileges',
          `${plural(readable, 'table or view', 'tables and views')} readable in ${plural(inSchemas, 'schema', 'schemas')}`,
        ),
  )
  return out
}

/**
 * Whether the server will take the connections a run opens: the pool (max_workers) plus the main
 * connection. This check's own session is counted among those in use but will be gone, hence +1.
 * The replication connection is a walsender, with its own pool since PostgreSQL 12.
 */
export function assessConnectionBudget(
  config: TapConfig,
  facts: ServerFacts,
  logBasedRelevant: boolean,
): Finding {
  const walsenderInPool = walsendersUseClientSlots(facts, logBasedRelevant)
  const need = config.max_workers + 1 + (walsenderInPool ? 1 : 0)
  const { free, why } = freeConnections(facts)
  const uses = `a run opens up to ${need} (max_workers ${config.max_workers} + 1 main${walsenderInPool ? ' + 1 replication' : ''})`
  if (free < need) {
    return fail(
      'connections',
      `${Math.max(free, 0)} free (${why}); ${uses}: lower max_workers or raise the limit`,
    )
  }
  return ok('connections', `${free} free (${why}); ${uses}`)
}

/** Before PostgreSQL 12 a walsender takes one of the max_connections slots; since, a pool of its own. */
export function walsendersUseClientSlots(
  facts: Pick<ServerFacts, 'serverVersionNum'>,
  logBased: boolean,
): boolean {
  return logBased && facts.serverVersionNum < 120000
}

/**
 * The client connections the server would still accept from this user in this database: the
 * tightest of max_connections (less the reserved slots, for non-superusers), the role's and the
 * database's CONNECTION LIMIT, with `why` naming it. The session reading the facts is counted in
 * use but will be gone, hence +1.
 */
export function freeConnections(facts: ServerFacts): { free: number; why: string } {
  const limits: Array<[number, string]> = [
    [
      facts.maxConnections - (facts.isSuperuser ? 0 : facts.reservedConnections) - facts.clientBackends + 1,
      `max_connections ${facts.maxConnections}, ${facts.clientBackends} in use${facts.isSuperuser ? '' : `, ${facts.reservedConnections} reserved`}`,
    ],
  ]
  if (facts.roleConnLimit >= 0)
    limits.push([
      facts.roleConnLimit - facts.roleBackends + 1,
      `CONNECTION LIMIT ${facts.roleConnLimit} of role ${facts.user}, ${facts.roleBackends} in use`,
    ])
  if (facts.databaseConnLimit >= 0)
    limits.push([
      facts.databaseConnLimit - facts.databaseBackends + 1,
      `CONNECTION LIMIT ${facts.databaseConnLimit} of database ${facts.database}, ${facts.databaseBackends} in use`,
    ])
  const [free, why] = limits.reduce((a, b) => (b[0] < a[0] ? b : a))
  return { free, why }
}

/** Library names in output_plugin_libraries (comma list, maybe quoted, maybe with a path). */
export function listsPlugin(setting: string, plugin: string): boolean {
  return setting
    .split(',')
    .map((s) => s.trim().replace(/^"|"$/g, '').replace(/^.*\//, '').replace(/\.so$/, ''))
    .includes(plugin)
}

/** Why the plugin's probe cannot run, or undefined when it can. */
export function probeBlocker(facts: ServerFacts, plugin: string): string | undefined {
  if (facts.walLevel !== 'logical') return 'wal_level is not logical'
  if (facts.inRecovery) return 'the server is a standby'
  if (!facts.canReplicate) return 'the user lacks REPLICATION'
  if (facts.outputPluginLibraries !== null && !listsPlugin(facts.outputPluginLibraries, plugin))
    return 'output_plugin_libraries does not list it'
  return undefined
}

/**
 * The output plugin LOG_BASED runs will use: the existing slot's own (a run streams with the slot's
 * plugin), else the one `slot create` gives a new slot.
 */
export function pluginInUse(config: TapConfig, slots: readonly SlotFacts[]): SlotPlugin {
  const name = pickExistingSlot(
    defaultSlotNames(config),
    slots.map((s) => s.name),
  )
  const plugin = slots.find((s) => s.name === name)?.plugin ?? null
  return isSlotPlugin(plugin) ? plugin : DEFAULT_SLOT_PLUGIN
}

export interface ReplicationInputs {
  facts: ServerFacts
  slots: readonly SlotFacts[]
  /** The plugin checked (pluginInUse), and its probe's outcome, or why it did not run. */
  plugin: SlotPlugin
  probe: PluginProbe | { status: 'skipped'; reason: string }
  /** pgoutput with an existing slot: its publication (info undefined: it does not exist). */
  publication?: { readonly name: string; readonly info: PublicationInfo | undefined }
}

/** LOG_BASED prerequisites; failures only when LOG_BASED is the default method (see findings.ts). */
export function assessReplication(
  config: TapConfig,
  { facts, slots, plugin, probe, publication }: ReplicationInputs,
): Finding[] {
  const required = config.default_replication_method === 'LOG_BASED'
  const rf = (subject: string, detail: string) => replicationFinding(required, subject, detail)
  const out: Finding[] = []

  out.push(
    facts.walLevel === 'logical'
      ? ok('wal_level', 'logical')
      : rf(
          'wal_level',
          `${facts.walLevel} (LOG_BASED needs logical: set wal_level = logical and restart the server)`,
        ),
  )
  if (facts.inRecovery) {
    out.push(rf('server role', 'a standby (LOG_BASED reads changes from the primary: point host at it)'))
  }
  out.push(
    facts.canReplicate
      ? ok('replication privilege', `${facts.user} has ${facts.isSuperuser ? 'superuser' : 'REPLICATION'}`)
      : rf(
          'replication privilege',
          `${facts.user} has neither REPLICATION nor superuser (LOG_BASED needs it: ALTER ROLE ... REPLICATION)`,
        ),
  )
  if (facts.outputPluginLibraries !== null) {
    out.push(
      listsPlugin(facts.outputPluginLibraries, plugin)
        ? ok('output_plugin_libraries', `lists ${plugin} (${facts.outputPluginLibraries})`)
        : rf(
            'output_plugin_libraries',
            `'${facts.outputPluginLibraries}' does not list ${plugin} (add it and reload the server configuration)`,
          ),
    )
  }
  out.push(pluginFinding(plugin, probe, rf, facts))
  out.push(...slotFindings(config, facts, slots, rf))
  if (publication !== undefined) out.push(publicationFinding(publication, rf))
  const freeSenders = facts.maxWalSenders - facts.walSenders
  out.push(
    freeSenders >= 1
      ? ok('wal senders', `${freeSenders} of ${facts.maxWalSenders} free (max_wal_senders)`)
      : rf(
          'wal senders',
          `all ${facts.maxWalSenders} in use (max_wal_senders): a LOG_BASED run could not start streaming`,
        ),
  )
  return out
}

type Rf = (subject: string, detail: string) => Finding

function pluginFinding(
  plugin: SlotPlugin,
  probe: ReplicationInputs['probe'],
  rf: Rf,
  facts: ServerFacts,
): Finding {
  const major = Math.floor(facts.serverVersionNum / 10000)
  switch (probe.status) {
    case 'ok':
      return ok(plugin, 'usable (a temporary slot with it was created and dropped)')
    case 'missing':
      return rf(
        plugin,
        plugin === 'wal2json'
          ? `not installed on the server (install wal2json for PostgreSQL ${major}, e.g. the postgresql-${major}-wal2json package; or use a pgoutput slot, which needs no extension)`
          : `not found on the server (${probe.message})`,
      )
    case 'not-allowed':
      return rf(plugin, `${probe.message} (add it to output_plugin_libraries)`)
    case 'no-free-slot':
      return warn(plugin, `not checked: ${probe.message} (max_replication_slots)`)
    case 'timeout':
      return warn(plugin, 'not checked: creating a temporary slot waited too long for running transactions')
    case 'error':
      return warn(plugin, `not checked: ${probe.message}`)
    case 'skipped':
      return warn(plugin, `not checked: ${probe.reason}`)
  }
}

/** What a pgoutput slot's publication covers (check does not read the catalog: runs add what they stream). */
function publicationFinding(p: NonNullable<ReplicationInputs['publication']>, rf: Rf): Finding {
  const info = p.info
  if (info === undefined)
    return rf(
      'publication',
      `${p.name} does not exist, and one created now cannot be decoded for the WAL the slot already holds: drop the slot and run \`tap-postgres slot create\`, which creates the publication first`,
    )
  const missing = ['insert', 'update', 'delete', 'truncate'].filter((op) => !info.operations.includes(op))
  if (missing.length > 0)
    return rf(
      'publication',
      `${p.name} does not publish ${missing.join(', ')} (ALTER PUBLICATION ... SET (publish = ...))`,
    )
  const n = info.tables.length
  const covers = info.allTables
    ? 'all tables'
    : n === 0
      ? 'no table yet (a LOG_BASED run adds the tables it streams)'
      : `${n} table${n === 1 ? '' : 's'} (${info.tables
          .slice(0, 5)
          .map((t) => `${t.schemaName}.${t.tableName}`)
          .join(', ')}${n > 5 ? ', ...' : ''})`
  return ok(
    'publication',
    `${p.name} covers ${covers}${info.viaRoot ? '; publish_via_partition_root is on (refused for partitioned streams)' : ''}`,
  )
}

function slotFindings(config: TapConfig, facts: ServerFacts, slots: readonly SlotFacts[], rf: Rf): Finding[] {
  const candidates = defaultSlotNames(config)
  const name = pickExistingSlot(
    candidates,
    slots.map((s) => s.name),
  )
  const slot = slots.find((s) => s.name === name)
  if (slot === undefined) {
    const toCreate = slotNameToCreate(config)
    const missing =
      candidates.length === 1 ? `${candidates[0]} does not exist` : `none of ${candidates.join(', ')} exists`
    return [rf('replication slot', `${missing}; \`tap-postgres slot create\` creates ${toCreate}`)]
  }
  const problems: string[] = []
  if (slot.slotType !== 'logical') problems.push('is a physical slot, not a logical one')
  else if (!isSlotPlugin(slot.plugin))
    problems.push(`uses the plugin ${slot.plugin ?? '?'}, not ${SLOT_PLUGINS.join(' or ')}`)
  if (slot.database !== null && slot.database !== facts.database)
    problems.push(`decodes database ${slot.database}, not ${facts.database}`)
  if (slot.walStatus === 'lost')
    problems.push('has lost WAL it needed (drop it, create it again and resync the LOG_BASED streams)')
  if (problems.length > 0) return [rf('replication slot', `${slot.name} ${problems.join('; ')}`)]
  // Not a failure: the slot still works, but only until the next checkpoint removes WAL it needs.
  const unreserved = unreservedSlotWarning(slot)
  const atRisk = unreserved === undefined ? [] : [warn('replication slot', `${slot.name} ${unreserved}`)]
  if (slot.active) {
    return [
      rf(
        'replication slot',
        `${slot.name} is in use by process ${slot.activePid ?? '?'} (another run?): a LOG_BASED run could not stream from it now`,
      ),
      ...atRisk,
    ]
  }
  if (atRisk.length > 0) return atRisk
  const held = slot.lagBytes === null ? '' : `, holds ${formatBytes(slot.lagBytes)} of WAL`
  return [ok('replication slot', `${slot.name} (${slot.plugin}${held})`)]
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB']
  let v = Math.max(n, 0)
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${v} bytes` : `${v.toFixed(1)} ${units[u]}`
}
