/**
 * The facts `check` judges, read on its one connection. Reading is kept apart from judging
 * (assess.ts) so the rules are testable without a server. Every query here only reads.
 */
import type pg from 'pg'

export interface ServerFacts {
  serverVersion: string
  serverVersionNum: number
  walLevel: string
  /** Only some builds have this list of allowed output plugins; null elsewhere, or when hidden from the user. */
  outputPluginLibraries: string | null
  inRecovery: boolean
  user: string
  database: string
  isSuperuser: boolean
  /** REPLICATION attribute (superusers have it implicitly). */
  canReplicate: boolean
  maxConnections: number
  /** Slots kept for superusers (and, from PostgreSQL 16, for pg_use_reserved_connections). */
  reservedConnections: number
  /** Client backends now, this session included. */
  clientBackends: number
  /** -1: no limit. */
  roleConnLimit: number
  roleBackends: number
  databaseConnLimit: number
  databaseBackends: number
  maxWalSenders: number
  walSenders: number
}

// Without pg_read_all_stats, pg_stat_activity hides the backend_type of other users' sessions but
// not their database: such rows with a database are counted as client backends (which may count
// another user's walsender or parallel worker too: on the safe side). Walsenders have their own
// pool since PostgreSQL 12; active slots stand in for the ones a plain user cannot see.
// output_plugin_libraries is superuser-only: pg_settings leaves it out (null) rather than failing,
// and the wal2json probe then finds out whether the plugin is allowed.
const SERVER_SQL = `
SELECT current_setting('server_version') AS server_version,
       current_setting('server_version_num') AS server_version_num,
       current_setting('wal_level') AS wal_level,
       (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'output_plugin_libraries') AS output_plugin_libraries,
       pg_is_in_recovery() AS in_recovery,
       current_user AS user_name,
       current_database() AS database,
       r.rolsuper AS is_superuser,
       (r.rolsuper OR r.rolreplication) AS can_replicate,
       current_setting('max_connections') AS max_connections,
       current_setting('superuser_reserved_connections')::int
         + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) AS reserved_connections,
       a.client_backends, r.rolconnlimit AS role_conn_limit, a.role_backends,
       d.datconnlimit AS database_conn_limit, a.database_backends,
       current_setting('max_wal_senders') AS max_wal_senders,
       greatest(a.wal_senders, (SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE active)) AS wal_senders
FROM pg_catalog.pg_roles r, pg_catalog.pg_database d,
     (SELECT count(*) FILTER (WHERE client) AS client_backends,
             count(*) FILTER (WHERE client AND usesysid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)) AS role_backends,
             count(*) FILTER (WHERE client AND datname = current_database()) AS database_backends,
             count(*) FILTER (WHERE backend_type = 'walsender') AS wal_senders
      FROM (SELECT *, coalesce(backend_type = 'client backend', datid IS NOT NULL) AS client
            FROM pg_catalog.pg_stat_activity) act) a
WHERE r.rolname = current_user AND d.datname = current_database()
`

type Row = Record<string, string | null>

const num = (v: string | null | undefined): number => Number(v ?? 0)
const bool = (v: string | null | undefined): boolean => v === 't' || v === 'true'

export async function readServerFacts(client: pg.Client): Promise<ServerFacts> {
  const r = (await client.query<Row>(SERVER_SQL)).rows[0]
  return {
    serverVersion: r.server_version ?? '',
    serverVersionNum: num(r.server_version_num),
    walLevel: r.wal_level ?? '',
    outputPluginLibraries: r.output_plugin_libraries ?? null,
    inRecovery: bool(r.in_recovery),
    user: r.user_name ?? '',
    database: r.database ?? '',
    isSuperuser: bool(r.is_superuser),
    canReplicate: bool(r.can_replicate),
    maxConnections: num(r.max_connections),
    reservedConnections: num(r.reserved_connections),
    clientBackends: num(r.client_backends),
    roleConnLimit: num(r.role_conn_limit),
    roleBackends: num(r.role_backends),
    databaseConnLimit: num(r.database_conn_limit),
    databaseBackends: num(r.database_backends),
    maxWalSenders: num(r.max_wal_senders),
    walSenders: num(r.wal_senders),
  }
}

export interface SchemaAccess {
  schema: string
  exists: boolean
  usage: boolean
  /** Tables, partitioned tables, views and materialized views. */
  relations: number
  /** Those with at least one column the user may SELECT: what discovery lists. */
  readable: number
}

// The same relation kinds and schema rule as discovery (src/catalog/discover.ts).
const SCHEMAS_SQL = String.raw`
SELECT n.nspname AS schema,
       has_schema_privilege(n.oid, 'USAGE') AS usage,
       count(c.oid) AS relations,
       count(c.oid) FILTER (WHERE has_any_column_privilege(c.oid, 'SELECT')) AS readable
FROM pg_catalog.pg_namespace n
LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm')
WHERE CASE WHEN $1::text[] IS NULL
           THEN n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
           ELSE n.nspname = ANY ($1::text[]) END
GROUP BY n.oid, n.nspname
ORDER BY n.nspname
`

export async function readSchemaAccess(
  client: pg.Client,
  filterSchemas: readonly string[] | undefined,
): Promise<SchemaAccess[]> {
  const filter = filterSchemas && filterSchemas.length > 0 ? [...filterSchemas] : null
  const rows = (await client.query<Row>(SCHEMAS_SQL, [filter])).rows
  const found: SchemaAccess[] = rows.map((r) => ({
    schema: r.schema ?? '',
    exists: true,
    usage: bool(r.usage),
    relations: num(r.relations),
    readable: bool(r.usage) ? num(r.readable) : 0,
  }))
  const missing = (filter ?? []).filter((s) => !found.some((f) => f.schema === s))
  return [
    ...found,
    ...missing.map((schema) => ({ schema, exists: false, usage: false, relations: 0, readable: 0 })),
  ]
}

export interface SlotFacts {
  name: string
  plugin: string | null
  slotType: string
  /** Database the slot decodes; null for physical slots. */
  database: string | null
  active: boolean
  activePid: number | null
  /** PostgreSQL 13+: reserved, extended, unreserved or lost. */
  walStatus: string | null
  /** WAL the slot holds back, in bytes (null on a standby or when never confirmed). */
  lagBytes: number | null
  /** pg_current_wal_lsn() − restart_lsn: the WAL the slot keeps on disk (null on a standby or without restart_lsn). */
  retainedBytes: bigint | null
  /** PostgreSQL 13+: WAL that may still be written before the slot is lost; null without max_slot_wal_keep_size. */
  safeWalSize: bigint | null
}

// row_to_json keeps this working on servers whose pg_replication_slots lacks newer columns.
const SLOTS_SQL = `
SELECT row_to_json(s)::text AS slot,
       CASE WHEN pg_is_in_recovery() THEN NULL
            ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint END AS lag_bytes,
       CASE WHEN pg_is_in_recovery() THEN NULL
            ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint::text END AS retained_bytes
FROM pg_catalog.pg_replication_slots s
WHERE s.slot_name = ANY ($1::text[])
`

export async function readSlots(client: pg.Client, names: readonly string[]): Promise<SlotFacts[]> {
  const rows = (await client.query<Row>(SLOTS_SQL, [[...names]])).rows
  return rows.map((r) => {
    const s = JSON.parse(r.slot ?? '{}') as Record<string, unknown>
    return {
      name: String(s.slot_name),
      plugin: typeof s.plugin === 'string' ? s.plugin : null,
      slotType: String(s.slot_type),
      database: typeof s.database === 'string' ? s.database : null,
      active: s.active === true,
      activePid: typeof s.active_pid === 'number' ? s.active_pid : null,
      walStatus: typeof s.wal_status === 'string' ? s.wal_status : null,
      lagBytes: r.lag_bytes === null || r.lag_bytes === undefined ? null : Number(r.lag_bytes),
      retainedBytes:
        r.retained_bytes === null || r.retained_bytes === undefined ? null : BigInt(r.retained_bytes),
      safeWalSize:
        typeof s.safe_wal_size === 'number' && Number.isSafeInteger(s.safe_wal_size)
          ? BigInt(s.safe_wal_size)
          : null,
    }
  })
}
