/**
 * Every setting of the tap, once. This list drives config validation and defaults
 * (load-config.ts), `--about` (JSON and Markdown), the README settings table and meltano.yml kinds.
 */

export type SettingKind = 'string' | 'integer' | 'number' | 'boolean' | 'string-list' | 'enum' | 'object'

export interface SettingSpec {
  readonly name: string
  readonly kind: SettingKind
  readonly description: string
  readonly required?: boolean
  readonly secret?: boolean
  readonly default?: string | number | boolean
  readonly choices?: readonly string[]
  /** Inclusive lower bound for integer/number settings. */
  readonly minimum?: number
  /** Inclusive upper bound for integer/number settings. */
  readonly maximum?: number
  /** JSON Schema of an object setting's value (`--about`); load-config.ts checks the value itself. */
  readonly objectSchema?: Readonly<Record<string, unknown>>
}

export const REPLICATION_METHODS = ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'] as const
export type ReplicationMethod = (typeof REPLICATION_METHODS)[number]

/** What a run does with a LOG_BASED bookmark behind the slot's confirmed_flush_lsn (src/sync/behind-slot.ts). */
const STATE_BEHIND_SLOT = ['fail', 'reload', 'continue'] as const
export type StateBehindSlot = (typeof STATE_BEHIND_SLOT)[number]

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

export const SETTINGS: readonly SettingSpec[] = [
  { name: 'host', kind: 'string', required: true, description: 'Hostname or IP of the primary server.' },
  {
    name: 'port',
    kind: 'integer',
    default: 5432,
    minimum: 1,
    maximum: 65535,
    description: 'Port of the primary server.',
  },
  { name: 'user', kind: 'string', required: true, description: 'Database user.' },
  {
    name: 'password',
    kind: 'string',
    secret: true,
    description: 'Password; may be absent (trust, .pgpass, client certificates).',
  },
  { name: 'dbname', kind: 'string', required: true, description: 'Database to extract from.' },
  {
    name: 'filter_schemas',
    kind: 'string-list',
    description: 'Schemas to discover (comma-separated list or array); default: all non-system schemas.',
  },
  {
    name: 'ssl',
    kind: 'boolean',
    default: false,
    description: '`true` means sslmode=require (pipelinewise meaning).',
  },
  {
    name: 'sslmode',
    kind: 'enum',
    choices: SSL_MODES,
    description: 'libpq-style SSL mode; wins over `ssl`.',
  },
  {
    name: 'sslrootcert',
    kind: 'string',
    description: 'Path of the CA certificate file (verify-ca, verify-full).',
  },
  { name: 'sslcert', kind: 'string', description: 'Path of the client certificate file.' },
  { name: 'sslkey', kind: 'string', secret: true, description: 'Path of the client private key file.' },
  {
    name: 'application_name',
    kind: 'string',
    default: 'tap-postgres',
    description: 'Shown in pg_stat_activity for every connection the tap opens.',
  },
  {
    name: 'max_workers',
    kind: 'integer',
    default: 4,
    minimum: 1,
    maximum: 64,
    description: 'Size of the worker pool: the most connections used for table reads.',
  },
  {
    name: 'chunk_rows',
    kind: 'integer',
    default: 1000000,
    minimum: 0,
    description:
      'FULL_TABLE loads and LOG_BASED initial loads of tables with more estimated rows than this are read in chunks of about this many rows (ctid page ranges, PostgreSQL 14+), in parallel on the pool and all on one exported snapshot; resumable chunk by chunk. 0 turns chunking off.',
  },
  {
    name: 'itersize',
    kind: 'integer',
    default: 5000,
    minimum: 1,
    maximum: 1000000,
    description:
      'INCREMENTAL reads: rows per FETCH of the cursor (as pipelinewise). All table reads: rows between the progress lines (`Fetched N rows total`); FULL_TABLE reads stream through COPY, with no fetch size.',
  },
  {
    name: 'state_interval_seconds',
    kind: 'number',
    default: 1,
    minimum: 0,
    maximum: 3600,
    description:
      "Least time between two STATE messages, in seconds: a STATE is due every 1000 rows and at each stream's start and end, and is written only if the last one is at least this old (the run's last STATE is always written). Each STATE carries every bookmark, so with thousands of streams this keeps the output linear. 0: every due STATE (pipelinewise's cadence).",
  },
  {
    name: 'work_mem',
    kind: 'string',
    description: "Session work_mem for every read connection, e.g. `256MB`; default: the server's.",
  },
  {
    name: 'fast_sync',
    kind: 'boolean',
    default: false,
    description: 'Fresh FULL_TABLE syncs skip the ORDER BY xmin; such a sync is not resumable.',
  },
  {
    name: 'diagnostic_mode',
    kind: 'boolean',
    default: false,
    description: 'Log server settings, database and table sizes, query and batch timings.',
  },
  {
    name: 'default_replication_method',
    kind: 'enum',
    choices: REPLICATION_METHODS,
    description: 'Replication method of streams whose metadata names none.',
  },
  {
    name: 'stream_options',
    kind: 'object',
    description:
      'Per-stream options by tap_stream_id: `{"<tap_stream_id>": {"custom_where_clauses": ["<SQL boolean expression>", ...]}}`. The clauses are ANDed into every FULL_TABLE and INCREMENTAL read of the stream (chunked loads too); a LOG_BASED stream with clauses is refused at start, as its changes cannot be filtered. Trusted SQL, run as the tap\'s user (README: Row filters).',
    objectSchema: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { custom_where_clauses: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
    },
  },
  {
    name: 'use_secondary',
    kind: 'boolean',
    default: false,
    description: 'Send discovery and table reads to a replica (secondary_host/secondary_port).',
  },
  { name: 'secondary_host', kind: 'string', description: 'Replica host; required when use_secondary.' },
  {
    name: 'secondary_port',
    kind: 'integer',
    minimum: 1,
    maximum: 65535,
    description: 'Replica port; required when use_secondary.',
  },
  {
    name: 'secondary_catchup_seconds',
    kind: 'number',
    default: 300,
    minimum: 0,
    description:
      'LOG_BASED with use_secondary: how long an initial load waits for the replica to replay up to where the replication slot streams from, before the run fails.',
  },
  {
    name: 'limit',
    kind: 'integer',
    minimum: 1,
    description:
      "INCREMENTAL: rows per run beyond the bookmark. A run never ends inside a run of equal key values: it reads the rows at the bookmark's value again, `limit` rows with a greater key, and the rest of the last one's key value, so it may return more than `limit` rows.",
  },
  { name: 'tap_id', kind: 'string', description: 'Part of the default replication slot name.' },
  {
    name: 'replication_slot_name',
    kind: 'string',
    description: 'Replication slot to read from; default: pipelinewise_<dbname>[_<tap_id>].',
  },
  {
    name: 'publication_name',
    kind: 'string',
    description:
      "LOG_BASED on a pgoutput slot: the publication the slot streams through; default: the slot's name. `slot create` creates it; a run adds each selected LOG_BASED table it lacks (README: LOG_BASED).",
  },
  {
    name: 'poll_interval',
    kind: 'number',
    default: 5,
    minimum: 0.1,
    maximum: 3600,
    description: 'LOG_BASED: seconds between standby status updates (keepalives).',
  },
  {
    name: 'logical_poll_total_seconds',
    kind: 'number',
    default: 10800,
    minimum: 0.1,
    description: 'LOG_BASED: stop after this many seconds without new data.',
  },
  {
    name: 'max_run_seconds',
    kind: 'number',
    default: 43200,
    minimum: 0.1,
    description: 'LOG_BASED: hard cap on the length of one run, in seconds.',
  },
  {
    name: 'break_at_end_lsn',
    kind: 'boolean',
    default: true,
    description: 'LOG_BASED: stop once caught up with the LSN current at the start of the run.',
  },
  {
    name: 'debug_lsn',
    kind: 'boolean',
    default: false,
    description: 'LOG_BASED: add `_sdc_lsn` to records.',
  },
  {
    name: 'state_behind_slot',
    kind: 'enum',
    choices: STATE_BEHIND_SLOT,
    default: 'fail',
    description:
      "LOG_BASED: what to do with a stream whose `lsn` bookmark is behind the slot's confirmed_flush_lsn (an older STATE, a target restored from a backup: the changes in between cannot be read again). `fail`: refuse the run before any record; `reload`: load the table again under a new version, then stream; `continue`: stream from the slot's position and accept the gap.",
  },
  {
    name: 'log_based_inserts_only',
    kind: 'string-list',
    description:
      'LOG_BASED: tap_stream_ids of streams whose tables have no usable replica identity (no primary key under REPLICA IDENTITY DEFAULT, or NOTHING) and whose inserts alone are wanted. Without it such a stream is refused: its UPDATEs and DELETEs cannot be streamed.',
  },
]

export const SECRET_SETTINGS: readonly string[] = SETTINGS.filter((s) => s.secret).map((s) => s.name)

/** The settings as a JSON Schema (draft-07), for `--about` and validation. */
export function settingsJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (const s of SETTINGS) {
    const p: Record<string, unknown> = { description: s.description }
    switch (s.kind) {
      case 'string':
        p.type = 'string'
        break
      case 'integer':
        p.type = 'integer'
        break
      case 'number':
        p.type = 'number'
        break
      case 'boolean':
        p.type = 'boolean'
        break
      case 'enum':
        p.type = 'string'
        p.enum = [...(s.choices ?? [])]
        break
      case 'string-list':
        p.oneOf = [{ type: 'string' }, { type: 'array', items: { type: 'string' } }]
        break
      case 'object':
        Object.assign(p, s.objectSchema ?? { type: 'object' })
        break
    }
    if (s.default !== undefined) p.default = s.default
    if (s.minimum !== undefined) p.minimum = s.minimum
    if (s.maximum !== undefined) p.maximum = s.maximum
    if (s.secret) p.secret = true
    if (s.secret) p.writeOnly = true
    properties[s.name] = p
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties,
    required: SETTINGS.filter((s) => s.required).map((s) => s.name),
  }
}
