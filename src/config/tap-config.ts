import type { ReplicationMethod, SslMode, StateBehindSlot } from './schema.js'
import type { StreamOptions } from './stream-options.js'

/** The validated, defaulted configuration. Built only by load-config.ts; passed down as an argument. */
export interface TapConfig {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password?: string
  readonly dbname: string
  readonly filter_schemas?: readonly string[]
  readonly ssl: boolean
  readonly sslmode?: SslMode
  readonly sslrootcert?: string
  readonly sslcert?: string
  readonly sslkey?: string
  readonly application_name: string
  readonly max_workers: number
  readonly itersize: number
  readonly state_interval_seconds: number
  readonly chunk_rows: number
  readonly work_mem?: string
  readonly fast_sync: boolean
  readonly diagnostic_mode: boolean
  readonly default_replication_method?: ReplicationMethod
  readonly stream_options?: StreamOptions
  readonly use_secondary: boolean
  readonly secondary_host?: string
  readonly secondary_port?: number
  readonly secondary_catchup_seconds: number
  readonly limit?: number
  readonly tap_id?: string
  readonly replication_slot_name?: string
  /** pgoutput slots: the publication; default: the slot's name (src/replication/publication.ts). */
  readonly publication_name?: string
  readonly poll_interval: number
  readonly logical_poll_total_seconds: number
  readonly max_run_seconds: number
  readonly break_at_end_lsn: boolean
  readonly debug_lsn: boolean
  readonly state_behind_slot: StateBehindSlot
  /** tap_stream_ids of LOG_BASED streams allowed to stream inserts alone (no usable replica identity). */
  readonly log_based_inserts_only?: readonly string[]
}
