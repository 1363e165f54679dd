/**
 * Decoded wal2json changes → Singer RECORD (and SCHEMA) lines, in the replication worker (spec §7.3,
 * §7.4). No I/O except the one re-read of a table's columns when a change carries a column the
 * stream does not know, which goes through the injected `readColumns` (the worker's one cached
 * connection).
 *
 * Values go through the shared renderer (src/values) with the column types from the catalog, so a
 * value looks the same as in a table read: arrays and hstore are parsed here, never by a query.
 *
 * Record shapes (pipelinewise's, spec §7.3):
 * - insert, update: the new row, `_sdc_deleted_at: null`;
 * - delete: the replica identity columns, `_sdc_deleted_at` = the transaction's commit time;
 * - `_sdc_lsn`: the change's LSN as a decimal string, with debug_lsn.
 * An update whose unchanged TOAST columns wal2json left out is written without those keys (a target
 * merging by key keeps what it has; null would overwrite a real value) and counted. A column that
 * an insert lacks, or an update lacks and the table no longer has, was dropped or renamed: the
 * table is re-read once per such column set, and a warning names it (never as TOAST).
 *
 * Partitioned tables: wal2json names the leaf partition a change was made in. Each relation name
 * maps to the streams it feeds (its own, and each selected partitioned ancestor's), from the
 * partitions known at the start and, for a name seen for the first time, one catalog lookup
 * (cached). A change goes to each such stream, its columns matched by name (a partition may order
 * them differently). A row moved between partitions is a DELETE in one and an INSERT in the
 * other, in that order: a target applying them in order ends with the row.
 */
import type { ColumnInfo, PgValueType } from '../catalog/pg-type.js'
import type { Logger } from '../log/logger.js'
import { attachedDuringRunError, identityProblem, newPartitionRefusal, type RelationRoute, type TableName } from './replica-identity.js'
import { recordPrefix, recordSuffix } from '../singer/messages.js'
import { streamSchemaLine } from '../sync/stream-schema.js'
import { ClampCounter, compileRecordRenderer, type RecordColumn } from '../values/index.js'
import type { ReplicatedStream, StreamReport } from './protocol.js'
import type { Wal2JsonEvent, Wal2JsonTuple } from './wal2json.js'

type ChangeEvent = Extract<Wal2JsonEvent, { action: 'I' | 'U' | 'D' }>

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
  /** time_extracted of the batch's records: when their first change was read. */
  #timeExtracted: Date | undefined
  readonly #suffixes = new Map<string, string>()

  get isEmpty(): boolean {
    return this.lines.length === 0 && this.messages === 0
  }

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

  reset(): void {
    this.lines = ''
    this.records = 0
    this.messages = 0
    this.counts.clear()
    this.#timeExtracted = undefined
    this.#suffixes.clear()
  }
}

/** How one column list (as wal2json sent it) maps onto a stream's record. */
interface Layout {
  readonly render: (values: readonly (string | null)[]) => string
  /** For each emitted stream column, its index in the wal2json tuple. */
  readonly pick: readonly number[]
  /** Stream columns the tuple lacks. */
  readonly missing: readonly string[]
  /** `missing` as one key (for the once-per-set check). */
  readonly missingKey: string
  /** Tuple columns the stream has never seen (not deselected): a schema change. */
  readonly unknown: readonly string[]
}

class StreamState {
  columns: readonly ColumnInfo[]
  #known = new Set<string>()
  readonly deselected: ReadonlySet<string>
  readonly prefix: string
  readonly clamps = new ClampCounter()
  readonly #layouts = new Map<string, Layout>()
  #lastNames: readonly string[] | undefined
  #lastLayout: Layout | undefined
  /** Re-reads done, by the set of unknown columns that caused them (spec §7.4: once per set). */
  readonly rereads = new Set<string>()
  /** Missing-column sets already checked against the table, for inserts and for updates. */
  readonly checkedInserts = new Set<string>()
  readonly checkedUpdates = new Set<string>()
  /** Stream columns the table no longer has (dropped or renamed): never taken for TOAST. */
  readonly gone = new Set<string>()
  toastRecords = 0
  readonly toastColumns = new Set<string>()
  skipped = 0

  constructor(readonly spec: ReplicatedStream, readonly debugLsn: boolean) {
    this.columns = spec.columns
    this.#known = new Set(spec.columns.map((c) => c.name))
    this.deselected = new Set(spec.deselected)
    this.prefix = recordPrefix(spec.stream)
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
      l = this.#compile(names)
      this.#layouts.set(key, l)
    }
    this.#lastNames = names
    this.#lastLayout = l
    return l
  }

  #compile(names: readonly string[]): Layout {
    const at = new Map<string, number>()
    names.forEach((n, i) => at.set(n, i))
    const emitted: RecordColumn[] = []
    const pick: number[] = []
    const missing: string[] = []
    for (const c of this.columns) {
      const i = at.get(c.name)
      if (i === undefined) {
        missing.push(c.name)
        continue
      }
      emitted.push({ name: c.name, type: c.type })
      pick.push(i)
    }
    const unknown = names.filter((n) => !this.#known.has(n) && !this.deselected.has(n))
    emitted.push(DELETED_AT)
    if (this.debugLsn) emitted.push(SDC_LSN)
    return { render: compileRecordRenderer(emitted, this.clamps), pick, missing, missingKey: [...missing].sort().join('\0'), unknown }
  }

  /** Whether this change's missing columns need a look at the table (once per set and kind of change). */
  needsMissingCheck(action: 'I' | 'U' | 'D', layout: Layout): boolean {
    if (action === 'D' || layout.missing.length === 0) return false
    return !(action === 'I' ? this.checkedInserts : this.checkedUpdates).has(layout.missingKey)
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
    for (const s of opts.streams) this.#byTable.set(tableKey(s.schemaName, s.tableName), new StreamState(s, opts.debugLsn))
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
    const to = this.#routes.get(tableKey(ev.schema, ev.table))
    if (to !== undefined) return this.#deliver(to, 0, lsn, ev, out)
    // add-tables already filters when no stream is partitioned; a table outside the run is ignored.
    if (!this.#followPartitions) return
    return this.#route(ev.schema, ev.table).then((streams) => this.#deliver(streams, 0, lsn, ev, out))
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
    const found = this.#ignored.flatMap((partition, i) => this.#targets(routes[i]).map((st) => ({ tapStreamId: st.spec.tapStreamId, parent: st.spec as TableName, partition })))
    if (found.length > 0) throw attachedDuringRunError(found)
  }

  /** The streams of a relation's selected ancestors. */
  #targets(route: RelationRoute | undefined): StreamState[] {
    return (route?.ancestors ?? []).flatMap((a) => { const st = this.#byTable.get(tableKey(a.schemaName, a.tableName)); return st === undefined ? [] : [st] })
  }

  #deliver(to: readonly StreamState[], from: number, lsn: bigint, ev: ChangeEvent, out: BatchBuilder): void | Promise<void> {
    for (let i = from; i < to.length; i++) {
      const pending = this.#changeOf(to[i], lsn, ev, out)
      if (pending) return pending.then(() => this.#deliver(to, i + 1, lsn, ev, out))
    }
  }

  #changeOf(st: StreamState, lsn: bigint, ev: ChangeEvent, out: BatchBuilder): void | Promise<void> {
    const bookmark = st.spec.bookmark
    if (bookmark !== undefined && this.#commitEnd !== undefined && this.#commitEnd <= bookmark) {
      st.skipped++
      return
    }
    const tuple = ev.action === 'D' ? ev.identity : ev.columns
    const layout = st.layout(tuple.names)
    if (layout.unknown.length > 0 || st.needsMissingCheck(ev.action, layout)) {
      return this.#reread(st, tuple.names, ev.action, out).then(() => this.#emit(st, lsn, ev, tuple, out))
    }
    this.#emitWith(st, layout, lsn, ev, tuple, out)
  }

  /** The streams a relation the run did not know feeds: its selected partitioned ancestors. */
  async #route(schemaName: string, tableName: string): Promise<readonly StreamState[]> {
    const key = tableKey(schemaName, tableName)
    const [route] = this.#opts.readRoutes === undefined ? [] : await this.#opts.readRoutes([{ schemaName, tableName }])
    const to = this.#targets(route)
    if (route === undefined) {
      this.#opts.logger.warn(`Changes of ${schemaName}.${tableName} ignored: no such table any more, so whether it was a partition of a selected table cannot be told (it was not one when the run started)`)
    } else if (to.length > 0) {
      const why = identityProblem(route)
      const strict = to.find((st) => !st.spec.insertsOnly)
      if (why !== undefined && strict !== undefined) throw newPartitionRefusal(strict.spec.tapStreamId, strict.spec, { schemaName, tableName }, why)
      for (const st of to) this.#opts.logger.info(`New partition ${schemaName}.${tableName}: its changes go to stream ${st.spec.stream}`)
    } else {
      this.#ignored.push({ schemaName, tableName })
    }
    this.#routes.set(key, to)
    return to
  }

  #emit(st: StreamState, lsn: bigint, ev: ChangeEvent, tuple: Wal2JsonTuple, out: BatchBuilder): void {
    this.#emitWith(st, st.layout(tuple.names), lsn, ev, tuple, out)
  }

  #emitWith(st: StreamState, layout: Layout, lsn: bigint, ev: ChangeEvent, tuple: Wal2JsonTuple, out: BatchBuilder): void {
    const pick = layout.pick
    const n = pick.length
    const values: Array<string | null> = new Array(n + (st.debugLsn ? 2 : 1))
    for (let k = 0; k < n; k++) values[k] = tuple.values[pick[k]]
    values[n] = ev.action === 'D' ? (ev.timestamp ?? this.#nowText()) : null
    if (st.debugLsn) values[n + 1] = lsn.toString()
    if (ev.action === 'U' && layout.missing.length > 0) {
      let toast = false
      for (const c of layout.missing) {
        if (st.gone.has(c)) continue
        toast = true
        st.toastColumns.add(c)
      }
      if (toast) st.toastRecords++
    }
    out.addRecord(st.spec.stream, st.prefix + layout.render(values) + out.suffix(st.spec.stream, st.spec.version))
  }

  /**
   * One read of the table's columns for what this change's layout needs: new columns (spec §7.4,
   * a SCHEMA before the record), and missing columns the table no longer has (dropped or renamed).
   */
  async #reread(st: StreamState, names: readonly string[], action: 'I' | 'U' | 'D', out: BatchBuilder): Promise<void> {
    const first = st.layout(names)
    const unknownKey = [...first.unknown].sort().join('\0')
    const newColumns = first.unknown.length > 0 && !st.rereads.has(unknownKey)
    if (!newColumns && !st.needsMissingCheck(action, first)) return
    const { schemaName, tableName } = st.spec
    const live = (await this.#opts.readColumns(schemaName, tableName)) ?? []
    if (newColumns) {
      st.rereads.add(unknownKey)
      this.#newColumns(st, first.unknown, live, out)
    }
    const layout = st.layout(names)
    if (!st.needsMissingCheck(action, layout)) return
    ;(action === 'I' ? st.checkedInserts : st.checkedUpdates).add(layout.missingKey)
    const liveNames = new Set(live.map((c) => c.name))
    const gone = layout.missing.filter((c) => !liveNames.has(c) && !st.gone.has(c))
    for (const c of gone) st.gone.add(c)
    if (gone.length > 0) {
      const s = gone.length > 1 ? 's' : ''
      this.#opts.logger.warn(`Column${s} ${gone.join(', ')} of ${schemaName}.${tableName} ${gone.length > 1 ? 'are' : 'is'} no longer in the table (dropped or renamed): ` +
        `changes from then on come without ${gone.length > 1 ? 'them' : 'it'}; stream ${st.spec.stream} keeps the column${s} in its SCHEMA, its records leave ${gone.length > 1 ? 'them' : 'it'} out`,
        first.unknown.length > 0 ? { note: `new in the same change: ${first.unknown.join(', ')} (a rename shows as a new column)` } : undefined)
    }
    const odd = action === 'I' ? layout.missing.filter((c) => liveNames.has(c)) : []
    if (odd.length > 0) {
      this.#opts.logger.warn(`An insert into ${schemaName}.${tableName} came without column${odd.length > 1 ? 's' : ''} ${odd.join(', ')}, which the table has now (dropped and added again since?): those records leave ${odd.length > 1 ? 'them' : 'it'} out`)
    }
  }

  /** Spec §7.4: the stream's columns from the table's, re-read once per new column set, then a SCHEMA before the next record. */
  #newColumns(st: StreamState, unknown: readonly string[], live: readonly ColumnInfo[], out: BatchBuilder): void {
    const { schemaName, tableName } = st.spec
    const byName = new Map(live.map((c) => [c.name, c]))
    const added: ColumnInfo[] = unknown.map((name, i) => byName.get(name) ?? { name, sqlType: 'text', type: UNKNOWN_TYPE, position: 100_000 + i })
    const columns = [...st.columns, ...added].sort((a, b) => a.position - b.position)
    st.setColumns(columns)
    const gone = added.filter((c) => !byName.has(c.name)).map((c) => c.name)
    this.#opts.logger.info(`New column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in ${schemaName}.${tableName}: SCHEMA of ${st.spec.stream} updated`,
      gone.length > 0 ? { note: `${gone.join(', ')} no longer in the table; sent as text` } : undefined)
    out.addLine(streamSchemaLine({ stream: st.spec.stream, method: 'LOG_BASED', columns, keyProperties: st.spec.keyProperties }, st.debugLsn))
  }

  /** Now as timestamptz text, as the server prints it (`2026-11-25 13:42:46.827+00`). */
  #nowText(): string {
    return (this.#opts.now?.() ?? new Date()).toISOString().replace('T', ' ').replace('Z', '+00')
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function tableKey(schemaName: string, tableName: string): string {
  return `${schemaName}\0${tableName}`
}
