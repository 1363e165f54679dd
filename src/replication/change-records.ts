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
 * merging by key keeps what it has; null would overwrite a real value) and counted.
 *
 * A TRUNCATE of a stream's table switches the stream to a new `version`: an ACTIVATE_VERSION line
 * at the truncate's place, and the stream's later records under the new version, so a target that
 * honours ACTIVATE_VERSION drops the truncated rows. The batch carries the switch; the main thread
 * puts the version into the bookmark once the line is written. A restart from a STATE before the
 * truncate meets it again and switches again, to a newer version.
 */
import type { ColumnInfo, PgValueType } from '../catalog/pg-type.js'
import type { Logger } from '../log/logger.js'
import { activateVersionLine, recordPrefix, recordSuffix } from '../singer/messages.js'
import { streamSchemaLine } from '../sync/stream-schema.js'
import { ClampCounter, compileRecordRenderer, type RecordColumn } from '../values/index.js'
import type { ReplicatedStream, StreamReport, VersionSwitch } from './protocol.js'
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
  /** Re-reads done, by the set of unknown columns that caused them (spec §7.4: once per set). */
  readonly rereads = new Set<string>()
  toastRecords = 0
  readonly toastColumns = new Set<string>()
  skipped = 0

  constructor(readonly spec: ReplicatedStream, readonly debugLsn: boolean) {
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
    return { render: compileRecordRenderer(emitted, this.clamps), pick, bytea, missing, unknown }
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
  readonly logger: Logger
  /** Fallback commit time (timestamptz text) should a delete come without one. */
  readonly now?: () => Date
}

export class ChangeRecords {
  readonly #byTable = new Map<string, StreamState>()
  readonly #opts: ChangeRecordsOptions
  /** Commit end of the open transaction (B's `nextlsn`), for the per-stream skip. */
  #commitEnd: bigint | undefined

  constructor(opts: ChangeRecordsOptions) {
    this.#opts = opts
    for (const s of opts.streams) this.#byTable.set(tableKey(s.schemaName, s.tableName), new StreamState(s, opts.debugLsn))
  }

  /** A `B` message: `commitEnd` is where the transaction's commit record ends, when known. */
  begin(commitEnd: bigint | undefined): void {
    this.#commitEnd = commitEnd
  }

  commit(): void {
    this.#commitEnd = undefined
  }

  /**
   * Adds the record of one change to `out`. Returns a promise only when the change has a column
   * the stream does not know (the table's columns are re-read first); otherwise works synchronously.
   */
  change(lsn: bigint, ev: ChangeEvent, out: BatchBuilder): void | Promise<void> {
    const st = this.#byTable.get(tableKey(ev.schema, ev.table))
    if (st === undefined) return // add-tables already filters; a table outside the run is ignored
    const bookmark = st.spec.bookmark
    if (bookmark !== undefined && this.#commitEnd !== undefined && this.#commitEnd <= bookmark) {
      st.skipped++
      return
    }
    const tuple = ev.action === 'D' ? ev.identity : ev.columns
    const layout = st.layout(tuple.names)
    if (layout.unknown.length > 0) return this.#newColumns(st, layout.unknown, out).then(() => this.#emit(st, lsn, ev, tuple, out))
    this.#emitWith(st, layout, lsn, ev, tuple, out)
  }

  /** A `T` message: a selected table's stream switches to a new version (see the top of this file). */
  truncate(ev: TruncateEvent, out: BatchBuilder): void {
    const st = this.#byTable.get(tableKey(ev.schema, ev.table))
    if (st === undefined) return
    // As for a change: the bookmark already covers this transaction, the switch was written then.
    const bookmark = st.spec.bookmark
    if (bookmark !== undefined && this.#commitEnd !== undefined && this.#commitEnd <= bookmark) {
      st.skipped++
      return
    }
    st.version = nextVersion(st.version, (this.#opts.now?.() ?? new Date()).getTime())
    out.addVersionSwitch({ tapStreamId: st.spec.tapStreamId, stream: st.spec.stream, table: `${ev.schema}.${ev.table}`, version: st.version })
  }

  reports(): StreamReport[] {
    return [...this.#byTable.values()].map((s) => s.report())
  }

  #emit(st: StreamState, lsn: bigint, ev: ChangeEvent, tuple: Wal2JsonTuple, out: BatchBuilder): void {
    this.#emitWith(st, st.layout(tuple.names), lsn, ev, tuple, out)
  }

  #emitWith(st: StreamState, layout: Layout, lsn: bigint, ev: ChangeEvent, tuple: Wal2JsonTuple, out: BatchBuilder): void {
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
      st.toastRecords++
      for (const c of layout.missing) st.toastColumns.add(c)
    }
    out.addRecord(st.spec.stream, st.prefix + layout.render(values) + out.suffix(st.spec.stream, st.version))
  }

  /** Spec §7.4: re-read the table once per new column set, then a SCHEMA before the next record. */
  async #newColumns(st: StreamState, unknown: readonly string[], out: BatchBuilder): Promise<void> {
    const key = [...unknown].sort().join('\0')
    if (st.rereads.has(key)) return
    st.rereads.add(key)
    const { schemaName, tableName } = st.spec
    const live = (await this.#opts.readColumns(schemaName, tableName)) ?? []
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
