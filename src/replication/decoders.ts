/**
 * The decoding step of the replication worker, as a seam: the slot's output plugin picks a decoder,
 * which says how to start the stream (the pg-logical-replication plugin with its options) and turns
 * each XLogData payload into a change event (change-event.ts). Everything after it
 * (change-records.ts, the acker) sees events only, whichever plugin sent them: events in, records
 * out.
 *
 * - pgoutput (pgoutput.ts): `proto_version '1'`, the slot's publication; the payload's bytes.
 * - wal2json format-version 2 (wal2json.ts): the payload as text.
 */
import type { LogicalReplicationService } from 'pg-logical-replication'
import { TapError } from '../errors.js'
import type { ReplicatedStream } from '../protocol/messages.js'
import type { ChangeEvent } from './change-event.js'
import { PgoutputDecoder, type TruncateMessage } from './pgoutput.js'
import { PgoutputBytes, Wal2JsonText } from './replication-service.js'
import { addTablesOption, decodeWal2Json } from './wal2json.js'

/** What pg-logical-replication's `subscribe` takes. */
export type ReplicationPlugin = Parameters<LogicalReplicationService['subscribe']>[0]

export type { ChangeEvent }

/** One decoded message: an event, or (pgoutput) a TRUNCATE of several tables, one event each. */
export type DecodedMessage = ChangeEvent | TruncateMessage

export interface ChangeDecoder {
  /** Starts the stream: START_REPLICATION with the plugin's options; `parse` makes the payload. */
  readonly plugin: ReplicationPlugin
  /** The payload `plugin.parse` made → its event(s). Throws on a malformed message. */
  decode(payload: unknown): DecodedMessage
}

export interface DecoderOptions {
  readonly streams: readonly ReplicatedStream[]
  /** pgoutput: the publication the slot streams through. */
  readonly publication?: string
}

/** The decoder for a slot's output plugin. */
export function decoderFor(pluginName: string, opts: DecoderOptions): ChangeDecoder {
  if (pluginName === 'pgoutput') return pgoutputDecoder(opts)
  if (pluginName === 'wal2json') return wal2jsonDecoder(opts.streams)
  throw new TapError(
    'REPLICATION_UNAVAILABLE',
    `the replication slot's output plugin ${pluginName} cannot be decoded (pgoutput and wal2json can)`,
  )
}

function pgoutputDecoder(opts: DecoderOptions): ChangeDecoder {
  if (opts.publication === undefined)
    throw new TapError('INTERNAL', 'a pgoutput slot streamed without a publication name')
  // The publication chooses the tables (publication.ts made it cover the run's): no filter here.
  const decoder = new PgoutputDecoder()
  return {
    plugin: new PgoutputBytes(opts.publication),
    decode: (payload) => decoder.decode(payload as Buffer),
  }
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
