/**
 * Decoded wal2json changes → Singer RECORD (and SCHEMA) lines, in the replication worker (docs/behaviour.md#change-records,
 * §7.4). No I/O except the one re-read of a table's columns when a change carries a column the
 * stream does not know, which goes through the injected `readColumns` (the worker's one cached
 * connection).
 *
 * Values go through the shared renderer (src/values) with the column types from the catalog, so a
 * value looks the same as in a table read: arrays and hstore are parsed here, never by a query.
 *
 * Record shapes (pipelinewise's, docs/behaviour.md#change-records):
 * - insert, update: the new row, `_sdc_deleted_at: null`;
 * - delete: the replica identity columns, `_sdc_deleted_at` = the transaction's commit time;
 * - `_sdc_lsn`: the change's LSN as a decimal string, with debug_lsn.
 * An update whose unchanged TOAST columns wal2json left out is written without those keys (a target
 * merging by key keeps what it has; null would overwrite a real value) and counted.
 *
 * A TRUNCATE of a stream's table switches the stream to a new `version`: an ACTIVATE_VERSION line
 * at the truncate's place, and the stream's later records under the new version, so a target that
 * honours ACTIVATE_VERSION drops the truncated rows. The batch carries the switch; the main thread
 * puts the version into the bookmark once the line is written. A restart from a STATE before the
 * truncate meets it again and switches again, to a newer version. A partition's TRUNCATE, under a
 * partitioned parent's stream, is refused: a version switch would drop the other partitions' rows.
 *
 * Columns a change lacks are checked against the table once per column list (a re-read), because a schema
 * change makes them lack columns too: one the table no longer has was dropped or renamed; one an
 * insert lacks and the table has was added or renamed after the change; one an update lacks is an
 * unchanged TOAST value, unless the update also carries a column the table no longer has (made
 * before a rename or drop: then either). Each case is a warning saying so, never TOAST's.
 *
 * Partitioned tables: wal2json names the leaf partition a change was made in. Each relation name
 * maps to the streams it feeds (its own, and each selected partitioned ancestor's), from the
 * partitions known at the start and, for a name seen for the first time, one catalog lookup
 * (cached). A change goes to each such stream, its columns matched by name (a partition may order
 * them differently). A row moved between partitions is a DELETE in one and an INSERT in the
 * other, in that order: a target applying them in order ends with the row.
 */
import type { ColumnInfo, PgValueType } from '../values/pg-type.js'
import type { Logger } from '../log/logger.js'
import { activateVersionLine, recordPrefix, recordSuffix } from '../singer/messages.js'
import { streamSchemaLine } from '../catalog/stream-schema.js'
import { ClampCounter, compileRecordRenderer, type RecordColumn } from '../values/index.js'
import type { ReplicatedStream, StreamReport, VersionSwitch } from '../protocol/replication-messages.js'
import {
  attachedDuringRunError,
  identityProblem,
  newPartitionRefusal,
  partitionTruncateRefusal,
  type RelationRoute,
} from './replica-identity.js'
import type { TableName } from '../values/pg-type.js'
import { byteaText, type Wal2JsonEvent, type Wal2JsonTuple } from './wal2json.js'

type ChangeEvent = Extract<Wal2JsonEvent, { action: 'I' | 'U' | 'D' }>
type TruncateEvent = Extract<Wal2JsonEvent, { action: 'T' }>

const DELETED_AT: RecordColumn = { name: '_sdc_deleted_at', type: { kind: 'timestamptz' } }
const SDC_LSN: RecordColumn = { name: '_sdc_lsn', type: { kind: 'text' } }
/** Type of a new column the live table no longer has (added and dropped since): its text. */
const UNKNOWN_TYPE: PgValueType = { kind: 'text' }

/** Records and lines gathered for the next batch. */
export class BatchBuilder {
  lines = ''
  records = 0
  messages = 0
  readonly counts = new Map<string, number>()
  /** TRUNCATEs whose ACTIVATE_VERSION lines are in `lines`, in order. */
  versions: VersionSwitch[] = []
  /** time_extracted of the batch's records: when their first change was read. */
  #timeExtracted: Date | undefined
  readonly #suffixes = new Map<string, string>()

  /** RECORD line suffix for this batch (version and time_extracted), built once per stream. */
  suffix(stream: string, version: number | undefined): string {
    let s = this.#suffixes.get(stream)
    if (s === undefined) {
      this.#timeExtracted ??= new Date()
      s = recordSuffix(version, this.#timeExtracted) + '\n'
      this.#suffixes.set(stream, s)
    }
    return s
  }

  addRecord(stream: string, line: string): void {
    this.lines += line
    this.records++
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + 1)
  }

  addLine(line: string): void {
    this.lines += line
  }

  /** The ACTIVATE_VERSION line of a switch; the stream's next records get a suffix with the new version. */
  addVersionSwitch(sw: VersionSwitch): void {
    this.lines += activateVersionLine(sw.stream, sw.version)
    this.versions.push(sw)
    this.#suffixes.delete(sw.stream)
  }

  reset(): void {
    this.lines = ''
    this.records = 0
    this.messages = 0
    this.counts.clear()
    this.versions = []
    this.#timeExtracted = undefined
    this.#suffixes.clear()
  }
}

/** How one column list (as wal2json sent it) maps onto a stream's record. */
interface Layout {
  readonly render: (values: readonly (string | null)[]) => string
  /** For each emitted stream column, its index in the wal2json tuple. */
  readonly pick: readonly number[]
  /** Indexes of bytea values in the rendered row: wal2json's text needs its `\x` back (byteaText). */
  readonly bytea: readonly number[]
  /** Stream columns the tuple lacks. */
  readonly missing: readonly string[]
  /** The tuple's column names as one key (verdicts on `missing` are kept by it). */
  readonly key: string
  /** Tuple columns the stream has never seen (not deselected): a schema change. */
  readonly unknown: readonly string[]
}

class StreamState {
  columns: readonly ColumnInfo[]
  #known = new Set<string>()
  readonly deselected: ReadonlySet<string>
  readonly prefix: string
  /** The `version` of the stream's records: the bookmark's, then each TRUNCATE's. */
  version: number | undefined
  readonly clamps = new ClampCounter()
  readonly #layouts = new Map<string, Layout>()
  #lastNames: readonly string[] | undefined
  #lastLayout: Layout | undefined
  /** Re-reads done, by the set of unknown columns that caused them (docs/behaviour.md#new-columns-mid-stream: once per set). */
  readonly rereads = new Set<string>()
  /** Column lists whose missing columns were checked against the table (by Layout.key), for inserts. */
  readonly checkedInserts = new Set<string>()
  /** The same for updates, with the missing columns that are unchanged TOAST values. */
  readonly toastByLayout = new Map<string, readonly string[]>()
  /** Columns already named in a warning as dropped or renamed. */
  readonly gone = new Set<string>()
  toastRecords = 0
  readonly toastColumns = new Set<string>()
  skipped = 0

  constructor(
    readonly spec: ReplicatedStream,
    readonly debugLsn: boolean,
  ) {
    this.columns = spec.columns
    this.#known = new Set(spec.columns.map((c) => c.name))
    this.deselected = new Set(spec.deselected)
    this.prefix = recordPrefix(spec.stream)
    this.version = spec.version
  }

  setColumns(columns: readonly ColumnInfo[]): void {
    this.columns = columns
    this.#known = new Set(columns.map((c) => c.name))
    this.#layouts.clear()
    this.#lastNames = undefined
  }

  /** The layout for a tuple's column names (a row, or a delete's identity). */
  layout(names: readonly string[]): Layout {
    // Consecutive changes of a table nearly always have the same columns: compare with the last
    // ones before building a key. wal2json sends a table's columns in attnum order every time, so
    // a handful of layouts (full row, row without TOAST columns, key only) serve a whole run.
    if (this.#lastNames !== undefined && sameNames(this.#lastNames, names)) return this.#lastLayout as Layout
    const key = names.join('\0')
    let l = this.#layouts.get(key)
    if (l === undefined) {
      l = this.#compile(names, key)
      this.#layouts.set(key, l)
    }
    this.#lastNames = names
    this.#lastLayout = l
    return l
  }

  #compile(names: readonly string[], key: string): Layout {
    const at = new Map<string, number>()
    for (const [i, n] of names.entries()) at.set(n, i)
    const emitted: RecordColumn[] = []
    const pick: number[] = []
    const bytea: number[] = []
    const missing: string[] = []
    for (const c of this.columns) {
      const i = at.get(c.name)
      if (i === undefined) {
        missing.push(c.name)
        continue
      }
      if (c.type.kind === 'bytea') bytea.push(emitted.length)
      emitted.push({ name: c.name, type: c.type })
      pick.push(i)
    }
    const unknown = names.filter((n) => !this.#known.has(n) && !this.deselected.has(n))
    emitted.push(DELETED_AT)
    if (this.debugLsn) emitted.push(SDC_LSN)
    return { render: compileRecordRenderer(emitted, this.clamps), pick, bytea, missing, key, unknown }
  }

  /** Whether this change's missing columns need a look at the table (once per column list and kind of change). */
  needsMissingCheck(action: 'I' | 'U' | 'D', layout: Layout): boolean {
    if (action === 'D' || layout.missing.length === 0) return false
    return action === 'I' ? !this.checkedInserts.has(layout.key) : !this.toastByLayout.has(layout.key)
  }

  report(): StreamReport {
    return {
      stream: this.spec.stream,
      toastRecords: this.toastRecords,
      toastColumns: [...this.toastColumns],
      skipped: this.skipped,
      clamped: this.clamps.entries(),
    }
  }
}

export interface ChangeRecordsOptions {
  readonly streams: readonly ReplicatedStream[]
  readonly debugLsn: boolean
  /** The table's live columns (one query), or undefined when the table is gone. */
  readonly readColumns: (schemaName: string, tableName: string) => Promise<readonly ColumnInfo[] | undefined>
  /**
   * Relations' partition ancestors and identity (one query; undefined for a name that no longer
   * exists). Asked once per relation name the run does not know, only when a stream is
   * partitioned, and once more at the end for the names found to be no partition.
   */
  readonly readRoutes?: (relations: readonly TableName[]) => Promise<ReadonlyArray<RelationRoute | undefined>>
  readonly logger: Logger
  /** Fallback commit time (timestamptz text) should a delete come without one. */
  readonly now?: () => Date
}

export class ChangeRecords {
  readonly #byTable = new Map<string, StreamState>()
  /** Relation name → the streams its changes go to ([] for a relation outside the run). */
  readonly #routes = new Map<string, readonly StreamState[]>()
  /** Some stream is partitioned: a relation name not in #routes may be one of its partitions. */
  readonly #followPartitions: boolean
  /** Relations looked up and found to be no partition of a streamed table (checked again at the end). */
  readonly #ignored: TableName[] = []
  readonly #opts: ChangeRecordsOptions
  /** Commit end of the open transaction (B's `nextlsn`), for the per-stream skip. */
  #commitEnd: bigint | undefined

  constructor(opts: ChangeRecordsOptions) {
    this.#opts = opts
    for (const s of opts.streams)
      this.#byTable.set(tableKey(s.schemaName, s.tableName), new StreamState(s, opts.debugLsn))
    const routes = new Map<string, StreamState[]>()
    for (const [key, st] of this.#byTable) routes.set(key, [st])
    for (const st of this.#byTable.values()) {
      for (const p of st.spec.partitions ?? []) {
        const key = tableKey(p.schemaName, p.tableName)
        const to = routes.get(key)
        if (to === undefined) routes.set(key, [st])
        else if (!to.includes(st)) to.push(st)
      }
    }
    for (const [key, to] of routes) this.#routes.set(key, to)
    this.#followPartitions = opts.streams.some((s) => s.partitions !== undefined)
  }

  /** A `B` message: `commitEnd` is where the transaction's commit record ends, when known. */
  begin(commitEnd: bigint | undefined): void {
    this.#commitEnd = commitEnd
  }

  commit(): void {
    this.#commitEnd = undefined
  }

  /**
   * Adds the record(s) of one change to `out`. Returns a promise only when a query is needed first
   * (a column the stream does not know or a column set it has not checked: the table's columns are
   * re-read; a relation name seen for the first time while a stream is partitioned: its parents are
   * looked up); otherwise works synchronously.
   */
  change(lsn: bigint, ev: ChangeEvent, out: BatchBuilder): void | Promise<void> {
    const to = this.#streamsOf(ev.schema, ev.table)
    if (to === undefined) return
    if (to instanceof Promise) return to.then((streams) => this.#deliver(streams, 0, lsn, ev, out))
    return this.#deliver(to, 0, lsn, ev, out)
  }

  /**
   * The streams a relation's messages go to: known at once, or after one lookup (a name seen for
   * the first time while a stream is partitioned); undefined for a table outside the run.
   */
  #streamsOf(
    schemaName: string,
    tableName: string,
  ): readonly StreamState[] | Promise<readonly StreamState[]> | undefined {
    const to = this.#routes.get(tableKey(schemaName, tableName))
    if (to !== undefined) return to
    // add-tables already filters when no stream is partitioned; a table outside the run is ignored.
    if (!this.#followPartitions) return undefined
    return this.#route(schemaName, tableName)
  }

  /** The bookmark already covers the open transaction: its messages were written for `st` before (counted). */
  #covered(st: StreamState): boolean {
    const bookmark = st.spec.bookmark
    if (bookmark === undefined || this.#commitEnd === undefined || this.#commitEnd > bookmark) return false
    st.skipped++
    return true
  }

  reports(): StreamReport[] {
    return [...this.#byTable.values()].map((s) => s.report())
  }

  /**
   * At the end of a run: a relation whose changes were ignored and which is now a partition of a
   * streamed table was attached during the run, after its lookup; the changes it had since were
   * not streamed. That is refused (a TapError), never passed over.
   */
  async checkIgnored(): Promise<void> {
    if (this.#ignored.length === 0 || this.#opts.readRoutes === undefined) return
    const routes = await this.#opts.readRoutes(this.#ignored)
    const found = this.#ignored.flatMap((partition, i) =>
      this.#targets(routes[i]).map((st) => ({
        tapStreamId: st.spec.tapStreamId,
        parent: st.spec as TableName,
        partition,
      })),
    )
    if (found.length > 0) throw attachedDuringRunError(found)
  }

  /** The streams of a relation's selected ancestors. */
  #targets(route: RelationRoute | undefined): StreamState[] {
    return (route?.ancestors ?? []).flatMap((a) => {
      const st = this.#byTable.get(tableKey(a.schemaName, a.tableName))
      return st === undefined ? [] : [st]
    })
  }

  #deliver(
    to: readonly StreamState[],
    from: number,
    lsn: bigint,
    ev: ChangeEvent,
    out: BatchBuilder,
  ): void | Promise<void> {
    for (let i = from; i < to.length; i++) {
      const pending = this.#changeOf(to[i], lsn, ev, out)
      if (pending) return pending.then(() => this.#deliver(to, i + 1, lsn, ev, out))
    }
  }

  #changeOf(st: StreamState, lsn: bigint, ev: ChangeEvent, out: BatchBuilder): void | Promise<void> {
    if (this.#covered(st)) return
    const tuple = ev.action === 'D' ? ev.identity : ev.columns
    const layout = st.layout(tuple.names)
    if (layout.unknown.length > 0 || st.needsMissingCheck(ev.action, layout)) {
      return this.#reread(st, tuple.names, ev.action, out).then(() => this.#emit(st, lsn, ev, tuple, out))
    }
    this.#emitWith(st, layout, lsn, ev, tuple, out)
  }

  /**
   * A `T` message: a selected table's stream switches to a new version (see the top of this file).
   * A partition's TRUNCATE cannot be one: a version switch of its parent's stream would drop the
   * other partitions' rows too, so it is refused (a TapError), never passed over.
   */
  truncate(ev: TruncateEvent, out: BatchBuilder): void | Promise<void> {
    const to = this.#streamsOf(ev.schema, ev.table)
    if (to === undefined) return
    if (to instanceof Promise) return to.then((streams) => this.#truncateOf(streams, ev, out))
    this.#truncateOf(to, ev, out)
  }

  #truncateOf(to: readonly StreamState[], ev: TruncateEvent, out: BatchBuilder): void {
    for (const st of to) {
      // As for a change: the switch was written when the bookmark's transaction was.
      if (this.#covered(st)) continue
      if (st.spec.schemaName !== ev.schema || st.spec.tableName !== ev.table) {
        throw partitionTruncateRefusal(st.spec.tapStreamId, st.spec, {
          schemaName: ev.schema,
          tableName: ev.table,
        })
      }
      st.version = nextVersion(st.version, (this.#opts.now?.() ?? new Date()).getTime())
      out.addVersionSwitch({
        tapStreamId: st.spec.tapStreamId,
        stream: st.spec.stream,
        table: `${ev.schema}.${ev.table}`,
        version: st.version,
      })
    }
  }

  /** The streams a relation the run did not know feeds: its selected partitioned ancestors. */
  async #route(schemaName: string, tableName: string): Promise<readonly StreamState[]> {
    const key = tableKey(schemaName, tableName)
    const [route] =
      this.#opts.readRoutes === undefined ? [] : await this.#opts.readRoutes([{ schemaName, tableName }])
    const to = this.#targets(route)
    if (route === undefined) {
      this.#opts.logger.warn(
        `Changes of ${schemaName}.${tableName} ignored: no such table any more, so whether it was a partition of a selected table cannot be told (it was not one when the run started)`,
      )
    } else if (to.length > 0) {
      const why = identityProblem(route)
      const strict = to.find((st) => !st.spec.insertsOnly)
      if (why !== undefined && strict !== undefined)
        throw newPartitionRefusal(strict.spec.tapStreamId, strict.spec, { schemaName, tableName }, why)
      for (const st of to)
        this.#opts.logger.info(
          `New partition ${schemaName}.${tableName}: its changes go to stream ${st.spec.stream}`,
        )
    } else {
      this.#ignored.push({ schemaName, tableName })
    }
    this.#routes.set(key, to)
    return to
  }

  #emit(st: StreamState, lsn: bigint, ev: ChangeEvent, tuple: Wal2JsonTuple, out: BatchBuilder): void {
    this.#emitWith(st, st.layout(tuple.names), lsn, ev, tuple, out)
  }

  #emitWith(
    st: StreamState,
    layout: Layout,
    lsn: bigint,
    ev: ChangeEvent,
    tuple: Wal2JsonTuple,
    out: BatchBuilder,
  ): void {
    const pick = layout.pick
    const n = pick.length
    const values: Array<string | null> = new Array(n + (st.debugLsn ? 2 : 1))
    for (let k = 0; k < n; k++) values[k] = tuple.values[pick[k]]
    for (const k of layout.bytea) {
      const v = values[k]
      if (v != null) values[k] = byteaText(v)
    }
    values[n] = ev.action === 'D' ? (ev.timestamp ?? this.#nowText()) : null
    if (st.debugLsn) values[n + 1] = lsn.toString()
    if (ev.action === 'U' && layout.missing.length > 0) {
      const toast = st.toastByLayout.get(layout.key) ?? layout.missing
      if (toast.length > 0) {
        st.toastRecords++
        for (const c of toast) st.toastColumns.add(c)
      }
    }
    out.addRecord(st.spec.stream, st.prefix + layout.render(values) + out.suffix(st.spec.stream, st.version))
  }

  /**
   * One read of the table's columns for what this change's layout needs: new columns (docs/behaviour.md#new-columns-mid-stream,
   * a SCHEMA before the record), and missing columns the table no longer has (dropped or renamed).
   */
  async #reread(
    st: StreamState,
    names: readonly string[],
    action: 'I' | 'U' | 'D',
    out: BatchBuilder,
  ): Promise<void> {
    const first = st.layout(names)
    const unknownKey = [...first.unknown].sort().join('\0')
    const newColumns = first.unknown.length > 0 && !st.rereads.has(unknownKey)
    if (!newColumns && !st.needsMissingCheck(action, first)) return
    const { schemaName, tableName } = st.spec
    const table = await this.#opts.readColumns(schemaName, tableName)
    const live = table ?? []
    if (newColumns) {
      st.rereads.add(unknownKey)
      this.#newColumns(st, first.unknown, live, out)
    }
    const layout = st.layout(names)
    if (!st.needsMissingCheck(action, layout)) return
    const missing = layout.missing
    const they = (n: number) => (n > 1 ? 'them' : 'it')
    const s = (n: number) => (n > 1 ? 's' : '')
    if (table === undefined) {
      if (action === 'I') st.checkedInserts.add(layout.key)
      else st.toastByLayout.set(layout.key, missing)
      this.#opts.logger.warn(
        `${schemaName}.${tableName} no longer exists: whether the column${s(missing.length)} ${missing.join(', ')} its changes lack ` +
          `${action === 'U' ? 'were unchanged TOAST values or ' : ''}were dropped or renamed cannot be told; records leave ${they(missing.length)} out`,
      )
      return
    }
    const liveNames = new Set(live.map((c) => c.name))
    const gone = missing.filter((c) => !liveNames.has(c))
    const present = missing.filter((c) => liveNames.has(c))
    // Columns the change carries and the table no longer has: it was made before a rename or drop.
    const stale = names.filter((n) => !liveNames.has(n) && !st.deselected.has(n))
    const newlyGone = gone.filter((c) => !st.gone.has(c))
    for (const c of newlyGone) st.gone.add(c)
    if (newlyGone.length > 0) {
      const n = newlyGone.length
      this.#opts.logger.warn(
        `Column${s(n)} ${newlyGone.join(', ')} of ${schemaName}.${tableName} ${n > 1 ? 'are' : 'is'} no longer in the table (dropped or renamed): ` +
          `changes made since come without ${they(n)}; stream ${st.spec.stream} keeps the column${s(n)} in its SCHEMA, its records leave ${they(n)} out`,
        first.unknown.length > 0
          ? { note: `new in the same change: ${first.unknown.join(', ')} (a rename shows as a new column)` }
          : undefined,
      )
    }
    if (action === 'I') {
      st.checkedInserts.add(layout.key)
      if (present.length > 0) {
        const n = present.length
        this.#opts.logger.warn(
          `Inserts into ${schemaName}.${tableName} made before column${s(n)} ${present.join(', ')} existed under ${n > 1 ? 'those names' : 'that name'} ` +
            `(added, or renamed, since) come without ${they(n)}; records leave ${they(n)} out`,
          stale.length > 0
            ? { note: `they carry ${stale.join(', ')}, which the table no longer has` }
            : undefined,
        )
      }
      return
    }
    if (present.length > 0 && stale.length > 0) {
      const n = present.length
      this.#opts.logger.warn(
        `Updates of ${schemaName}.${tableName} made before a column was renamed or dropped (they carry ${stale.join(', ')}, which the table no longer has) ` +
          `come without ${present.join(', ')}: added or renamed since, or unchanged TOAST value${s(n)}; records leave ${they(n)} out`,
      )
      st.toastByLayout.set(layout.key, [])
      return
    }
    st.toastByLayout.set(layout.key, present)
  }

  /** Spec §7.4: the stream's columns from the table's, re-read once per new column set, then a SCHEMA before the next record. */
  #newColumns(
    st: StreamState,
    unknown: readonly string[],
    live: readonly ColumnInfo[],
    out: BatchBuilder,
  ): void {
    const { schemaName, tableName } = st.spec
    const byName = new Map(live.map((c) => [c.name, c]))
    const added: ColumnInfo[] = unknown.map(
      (name, i) => byName.get(name) ?? { name, sqlType: 'text', type: UNKNOWN_TYPE, position: 100_000 + i },
    )
    const columns = [...st.columns, ...added].sort((a, b) => a.position - b.position)
    st.setColumns(columns)
    const gone = added.filter((c) => !byName.has(c.name)).map((c) => c.name)
    this.#opts.logger.info(
      `New column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in ${schemaName}.${tableName}: SCHEMA of ${st.spec.stream} updated`,
      gone.length > 0 ? { note: `${gone.join(', ')} no longer in the table; sent as text` } : undefined,
    )
    out.addLine(
      streamSchemaLine(
        { stream: st.spec.stream, method: 'LOG_BASED', columns, keyProperties: st.spec.keyProperties },
        st.debugLsn,
      ),
    )
  }

  /** Now as timestamptz text, as the server prints it (`2026-11-25 13:42:46.827+00`). */
  #nowText(): string {
    return (this.#opts.now?.() ?? new Date()).toISOString().replace('T', ' ').replace('Z', '+00')
  }
}

/** The version a TRUNCATE switches to: now in epoch ms, as versions are, and always above the old one. */
export function nextVersion(old: number | undefined, nowMs: number): number {
  return old === undefined || nowMs > old ? nowMs : old + 1
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function tableKey(schemaName: string, tableName: string): string {
  return `${schemaName}\0${tableName}`
}
