/**
 * One LOG_BASED stream inside the replication worker: its columns as they stand now, and how each
 * column list a change sends (a full row, a row without its unchanged TOAST columns, a delete's
 * identity) maps onto the stream's record (a `Layout`, compiled once per list), plus what the run
 * reports about the stream at its end.
 */
import type { ReplicatedStream, StreamReport } from '../protocol/messages.js'
import { recordPrefix } from '../singer/messages.js'
import { ClampCounter, compileRecordRenderer, type RecordColumn } from '../values/index.js'
import type { ColumnInfo } from '../values/pg-type.js'

const DELETED_AT: RecordColumn = { name: '_sdc_deleted_at', type: { kind: 'timestamptz' } }
const SDC_LSN: RecordColumn = { name: '_sdc_lsn', type: { kind: 'text' } }
/** How one column list (as the change sent it) maps onto a stream's record. */
export interface Layout {
  readonly render: (values: readonly (string | null)[]) => string
  /** For each emitted stream column, its index in the change's tuple. */
  readonly pick: readonly number[]
  /** Indexes of bytea values in the rendered row: wal2json's text needs its `\x` back (byteaText; pgoutput's has it). */
  readonly bytea: readonly number[]
  /** Stream columns the tuple lacks. */
  readonly missing: readonly string[]
  /** The tuple's column names as one key (verdicts on `missing` are kept by it). */
  readonly key: string
  /** Tuple columns the stream has never seen (not deselected): a schema change. */
  readonly unknown: readonly string[]
}

export class StreamState {
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
    this.deselected = new Set(spec.deselectedColumns)
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
    // ones before building a key. both plugins send a table's columns in attnum order every time, so
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

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
