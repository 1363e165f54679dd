/**
 * What a sync run does, decided from the catalog, the state, the config and the live columns, with
 * no I/O: which streams, by which method, reading which columns, from which bookmark. Every input
 * defect is an InputError here, before anything is written to stdout.
 */
import type { ReplicationMethod } from '../config/schema.js'
import type { TapConfig } from '../config/tap-config.js'
import { InputError } from '../errors.js'
import type { Catalog, CatalogEntry } from '../singer/catalog-types.js'
import {
  isColumnDeselected,
  isStreamSelected,
  keyPropertiesOf,
  resolveReplication,
  schemaNameOf,
  tableNameOf,
} from '../catalog/metadata.js'
import { isViewRelkind, type ColumnInfo, type TableInfo } from '../values/pg-type.js'
import { CHUNKS_KEY, chunkStateOf } from './chunk-state.js'
import {
  getBookmark,
  keyValueParameter,
  patchBookmark,
  reconcileBookmark,
  type Bookmark,
  type SingerState,
} from '../singer/state.js'
import { checkReplicationKeyValue } from './bookmark-check.js'

/** A selected catalog stream with its method resolved (no database needed yet). */
export interface SelectedStream {
  readonly entry: CatalogEntry
  readonly tapStreamId: string
  /** The Singer stream name: `<schema>-<stream>` (pipelinewise's calculate_destination_stream_name). */
  readonly stream: string
  readonly schemaName: string
  readonly tableName: string
  readonly method: ReplicationMethod
  readonly replicationKey?: string
  /** From the catalog; filtered to live columns by planStreams. */
  readonly keyProperties: readonly string[]
  /** The operator's row filter (stream_options custom_where_clauses; row-filters.ts), when it has one. */
  readonly rowFilter?: readonly string[]
}

export function selectStreams(
  catalog: Catalog,
  config: Pick<TapConfig, 'default_replication_method'>,
): SelectedStream[] {
  const seen = new Set<string>()
  const out: SelectedStream[] = []
  for (const entry of catalog.streams) {
    if (seen.has(entry.tap_stream_id))
      throw new InputError('CATALOG_INVALID', `invalid catalog: stream ${entry.tap_stream_id} appears twice`)
    seen.add(entry.tap_stream_id)
    if (!isStreamSelected(entry)) continue
    const { method, replicationKey } = resolveReplication(entry, config.default_replication_method)
    const schemaName = schemaNameOf(entry)
    out.push({
      entry,
      tapStreamId: entry.tap_stream_id,
      stream: `${schemaName}-${entry.stream}`,
      schemaName,
      tableName: tableNameOf(entry),
      method,
      replicationKey,
      keyProperties: keyPropertiesOf(entry),
    })
  }
  return out
}

/** A selected stream matched with its table as it is now. */
export interface PlannedStream extends SelectedStream {
  readonly relkind: TableInfo['relkind']
  readonly isView: boolean
  /** The columns to read and emit, in table order: selected ones plus keys and the replication key. */
  readonly columns: readonly ColumnInfo[]
  readonly rowEstimate: number
}

export interface Plan {
  readonly streams: PlannedStream[]
  /** One line each: selected tables that are gone, key columns that are gone. */
  readonly warnings: string[]
}

function tableKey(schemaName: string, tableName: string): string {
  return JSON.stringify([schemaName, tableName])
}

export function planStreams(selected: readonly SelectedStream[], live: readonly TableInfo[]): Plan {
  const byName = new Map(live.map((t) => [tableKey(t.schemaName, t.tableName), t]))
  const warnings: string[] = []
  const streams: PlannedStream[] = []
  for (const s of selected) {
    const table = byName.get(tableKey(s.schemaName, s.tableName))
    if (table === undefined) {
      warnings.push(
        `stream ${s.tapStreamId}: table ${s.schemaName}.${s.tableName} no longer exists (or cannot be read); skipped`,
      )
      continue
    }
    const liveNames = new Set(table.columns.map((c) => c.name))
    const isView = isViewRelkind(table.relkind)
    if (s.method === 'LOG_BASED' && isView) {
      throw new InputError(
        'STREAM_INVALID',
        `stream ${s.tapStreamId}: LOG_BASED replication is not possible on a view`,
        { hint: 'use FULL_TABLE or INCREMENTAL for views' },
      )
    }
    if (s.replicationKey !== undefined && !liveNames.has(s.replicationKey)) {
      throw new InputError(
        'STREAM_INVALID',
        `stream ${s.tapStreamId}: replication key "${s.replicationKey}" is not a column of ${s.schemaName}.${s.tableName}`,
      )
    }
    const gone = s.keyProperties.filter((k) => !liveNames.has(k))
    if (gone.length > 0)
      warnings.push(
        `stream ${s.tapStreamId}: key column(s) ${gone.join(', ')} no longer exist; not used as keys`,
      )
    const keyProperties = s.keyProperties.filter((k) => liveNames.has(k))
    const mustRead = new Set([
      ...keyProperties,
      ...(s.replicationKey === undefined ? [] : [s.replicationKey]),
    ])
    const columns = table.columns.filter((c) => mustRead.has(c.name) || !isColumnDeselected(s.entry, c.name))
    streams.push({
      ...s,
      keyProperties,
      relkind: table.relkind,
      isView,
      columns,
      rowEstimate: table.rowCount,
    })
  }
  return { streams, warnings }
}

/** The state this run starts from: every planned stream's bookmark reconciled with its method. */
export function reconcileState(state: SingerState, streams: readonly PlannedStream[]): SingerState {
  // One new bookmarks object for all streams: a copy per stream made thousands of streams quadratic.
  const bookmarks: { [tapStreamId: string]: Bookmark } = { ...state.bookmarks }
  for (const s of streams) {
    const after = reconcileBookmark(bookmarks[s.tapStreamId] ?? {}, s.method, s.replicationKey)
    const keyColumn =
      s.method === 'INCREMENTAL' ? s.columns.find((c) => c.name === s.replicationKey) : undefined
    if (keyColumn !== undefined && after.replication_key_value !== undefined)
      checkReplicationKeyValue(s.tapStreamId, keyColumn, after.replication_key_value)
    bookmarks[s.tapStreamId] = after
  }
  return { ...state, bookmarks }
}

/** How a FULL_TABLE read (or a LOG_BASED initial load) starts. */
export interface FullTableStart {
  readonly version: number
  readonly order: 'xmin' | 'unordered'
  readonly resumeXmin?: number
  /** ACTIVATE_VERSION goes out at the start only on the first run of a version. */
  readonly firstRunOfVersion: boolean
}

export function fullTableStart(
  bookmark: Bookmark,
  isView: boolean,
  fastSync: boolean,
  now: number,
): FullTableStart {
  if (isView) return { version: now, order: 'unordered', firstRunOfVersion: true }
  const resumable = typeof bookmark.xmin === 'number' && bookmark.version !== undefined
  if (resumable)
    return {
      version: bookmark.version as number,
      order: 'xmin',
      resumeXmin: bookmark.xmin as number,
      firstRunOfVersion: false,
    }
  return { version: now, order: fastSync ? 'unordered' : 'xmin', firstRunOfVersion: true }
}

export interface IncrementalStart {
  readonly version: number
  /** Bookmark value as the query parameter text. */
  readonly from?: string
}

export function incrementalStart(bookmark: Bookmark, now: number): IncrementalStart {
  const version = bookmark.version ?? now
  const kv = bookmark.replication_key_value
  return kv === undefined ? { version } : { version, from: keyValueParameter(kv) }
}

/**
 * A LOG_BASED initial load that started and did not finish: its bookmark holds the load's progress
 * (`xmin` of a load in one query, `chunks` of a chunked one). Its `lsn`, if any, is where the load's first
 * attempt started (docs/lsn-and-state.md), not a position streaming has reached.
 */
function initialLoadUnfinished(bookmark: Bookmark): boolean {
  const chunks = bookmark[CHUNKS_KEY]
  return typeof bookmark.xmin === 'number' || (chunks !== undefined && chunks !== null)
}

/** LOG_BASED streams without an lsn bookmark, or with an unfinished one, get (or resume) an initial FULL_TABLE load (docs/behaviour.md#steps-of-a-run). */
export function needsInitialLoad(bookmark: Bookmark): boolean {
  return bookmark.lsn === undefined || initialLoadUnfinished(bookmark)
}

/**
 * LOG_BASED bookmarks of an unfinished initial load that lack the position the load started at (a
 * state from an older tap-postgres, or edited by hand). Resuming such a load would stream from
 * this run's position and never deliver the deletes made since the first attempt, so the load starts
 * again under a new version (docs/lsn-and-state.md, "Initial loads"), with a warning per stream. A
 * chunked load's `snapshot_lsn` is that position: it becomes the bookmark's `lsn`.
 */
export function restartLoadsWithoutLsn(
  state: SingerState,
  streams: readonly PlannedStream[],
): { state: SingerState; warnings: string[] } {
  let out = state
  const warnings: string[] = []
  for (const s of streams) {
    const b = getBookmark(out, s.tapStreamId)
    if (s.method !== 'LOG_BASED' || b.lsn !== undefined || !initialLoadUnfinished(b)) continue
    const chunks = chunkStateOf(b)
    if (typeof chunks === 'object' && chunks.snapshotLsn !== undefined) {
      out = patchBookmark(out, s.tapStreamId, { lsn: chunks.snapshotLsn })
      continue
    }
    // An unreadable chunk state restarts anyway (chunkedStarts says so): nothing to add here.
    if (chunks === 'invalid') continue
    const progress = typeof b.xmin === 'number' ? `xmin ${b.xmin}` : 'a chunk plan'
    warnings.push(
      `stream ${s.tapStreamId}: the state holds an unfinished LOG_BASED initial load (${progress}) without the WAL position it started at ("lsn"; ` +
        'a state from an older tap-postgres, or edited); resuming it would miss the deletes made since, so the load starts again under a new version ' +
        '(its ACTIVATE_VERSION lets a target that honours versions drop the rows deleted meanwhile)',
    )
    out = {
      ...out,
      bookmarks: { ...out.bookmarks, [s.tapStreamId]: { last_replication_method: 'LOG_BASED' } },
    }
  }
  return { state: out, warnings }
}
