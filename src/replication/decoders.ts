/**
 * The decoding step of the replication worker, as a seam: the slot's output plugin picks a decoder,
 * which says how to start the stream (the pg-logical-replication plugin with its options) and turns
 * each XLogData payload into one change event. Everything after it (change-records.ts, the acker)
 * sees events only, whichever plugin sent them: events in, records out.
 *
 * Today one decoder: wal2json format-version 2 (wal2json.ts). Another plugin plugs in here.
 */
import type { LogicalReplicationService } from 'pg-logical-replication'
import { TapError } from '../errors.js'
import type { ReplicatedStream } from '../protocol/messages.js'
import { Wal2JsonText } from './replication-service.js'
import { addTablesOption, decodeWal2Json, type Wal2JsonEvent } from './wal2json.js'

/** What pg-logical-replication's `subscribe` takes. */
export type ReplicationPlugin = Parameters<LogicalReplicationService['subscribe']>[0]

/** One decoded message (B, C, I, U, D, T, or one the pipeline has no use for). */
export type ChangeEvent = Wal2JsonEvent

export interface ChangeDecoder {
  /** Starts the stream: START_REPLICATION with the plugin's options; `parse` makes the payload. */
  readonly plugin: ReplicationPlugin
  /** The payload `plugin.parse` made → one event. Throws on a malformed message. */
  decode(payload: unknown): ChangeEvent
}

/** The decoder for a slot's output plugin. */
export function decoderFor(pluginName: string, streams: readonly ReplicatedStream[]): ChangeDecoder {
  if (pluginName === 'wal2json') return wal2jsonDecoder(streams)
  throw new TapError(
    'REPLICATION_UNAVAILABLE',
    `the replication slot's output plugin ${pluginName} cannot be decoded (wal2json can)`,
  )
}

function wal2jsonDecoder(streams: readonly ReplicatedStream[]): ChangeDecoder {
  const plugin = new Wal2JsonText({
    formatVersion: '2',
    includeTimestamp: true,
    // B and C then carry `nextlsn` (the commit end), which the per-stream skip needs up front.
    includeLsn: true,
    // Types come from the catalog; leaving them out makes each message about a third smaller.
    includeTypes: false,
    // truncate: a TRUNCATE becomes a version switch of its stream (change-records.ts).
    actions: 'insert,update,delete,truncate',
    // add-tables lists names: it cannot follow a partition created or attached during the run
    // (in any schema), so with a partitioned stream every table's changes come and
    // ChangeRecords keeps those of the selected tables and their partitions.
    ...(streams.some((s) => s.partitions !== undefined) ? {} : { addTables: addTablesOption(streams) }),
  })
  return { plugin, decode: (payload) => decodeWal2Json(payload as string) }
}
