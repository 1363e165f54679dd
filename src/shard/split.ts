/**
 * Splitting the selected streams of a catalog into shards, each run as its own tap process with its
 * own STATE: greedy, largest first, each stream onto the shard lightest so far. Pure and
 * deterministic (same sizes, same shards), so a re-plan moves no stream without a reason.
 */
import type { ReplicationMethod } from '../config/schema.js'
import { InputError } from '../errors.js'

/** A selected stream with its estimated size. */
export interface SizedStream {
  readonly tapStreamId: string
  readonly method: ReplicationMethod
  /** pg_table_size of the table (of every partition, for a partitioned table); 0 when unknown. */
  readonly bytes: number
  /** Estimated rows (planner statistics scaled to the current size); 0 when unknown. */
  readonly rows: number
  /** Why the size is unknown (a view, a table that is gone), else undefined. */
  readonly unsized?: string
}

export interface Shard {
  /** 1-based, as in the file names (shard-1.catalog.json). */
  readonly index: number
  readonly streams: readonly SizedStream[]
  readonly bytes: number
  readonly rows: number
}

/**
 * Every stream in exactly one shard, each shard non-empty. Order of placement: bytes descending,
 * then rows, then tap_stream_id; the lightest shard is the one with the fewest bytes, then the
 * fewest streams (so streams of unknown size spread out too), then the lowest index.
 * Refuses a shard count below 1 or above the number of streams (a shard with nothing to do would
 * still be a process, a STATE and a slot to look after).
 */
export function splitStreams(streams: readonly SizedStream[], shards: number): Shard[] {
  if (!Number.isInteger(shards) || shards < 1)
    throw new InputError('USAGE', `--shards ${shards}: must be a whole number of at least 1`)
  if (streams.length === 0)
    throw new InputError('CATALOG_INVALID', 'the catalog selects no stream: nothing to split', {
      hint: 'select streams first (metadata "selected": true)',
    })
  if (shards > streams.length) {
    throw new InputError(
      'USAGE',
      `--shards ${shards}: the catalog selects only ${streams.length} stream${streams.length === 1 ? '' : 's'}, and every shard needs at least one`,
      { hint: `use --shards ${streams.length} or fewer` },
    )
  }
  const order = [...streams].sort(
    (a, b) =>
      b.bytes - a.bytes ||
      b.rows - a.rows ||
      (a.tapStreamId < b.tapStreamId ? -1 : a.tapStreamId > b.tapStreamId ? 1 : 0),
  )
  const bins = Array.from({ length: shards }, () => ({ bytes: 0, rows: 0, streams: [] as SizedStream[] }))
  for (const s of order) {
    let best = 0
    for (let i = 1; i < bins.length; i++) {
      const a = bins[i]
      const b = bins[best]
      if (a.bytes < b.bytes || (a.bytes === b.bytes && a.streams.length < b.streams.length)) best = i
    }
    bins[best].streams.push(s)
    bins[best].bytes += s.bytes
    bins[best].rows += s.rows
  }
  return bins.map((b, i) => ({ index: i + 1, streams: b.streams, bytes: b.bytes, rows: b.rows }))
}
