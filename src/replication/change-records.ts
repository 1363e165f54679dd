/**
 * Decoded changes (change-event.ts: wal2json's or pgoutput's) → Singer RECORD (and SCHEMA) lines, in the replication worker (docs/behaviour.md#change-records,
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
 * An update whose unchanged TOAST columns the plugin left out is written without those keys (a target
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
 * Partitioned tables: changes name the leaf partition they were made in (pgoutput too: the tap's
 * publications never publish via the partition root, publication.ts). Each relation name
 * maps to the streams it feeds (its own, and each selected partitioned ancestor's), from the
 * partitions known at the start and, for a name seen for the first time, one catalog lookup
 * (cached). A change goes to each such stream, its columns matched by name (a partition may order
 * them differently). A row moved between partitions is a DELETE in one and an INSERT in the
 * other, in that order: a target applying them in order ends with the row.
 */
import type { Logger } from '../log/logger.js'
import type { ReplicatedStream, StreamReport } from '../protocol/messages.js'
import type { ColumnInfo, TableName } from '../values/pg-type.js'
import type { BatchBuilder } from './batch-builder.js'
import { recheckColumns } from './column-check.js'
import {
  attachedDuringRunError,
  identityProblem,
  newPartitionRefusal,
  partitionTruncateRefusal,
  type RelationRoute,
} from './replica-identity.js'
import { type Layout, StreamState } from './stream-layout.js'
import type { ChangeTuple, RowChangeEvent, TruncateEvent } from './change-event.js'
import { byteaText } from './wal2json.js'

type ChangeEvent = RowChangeEvent

/**
 * Where the open transaction's commit record lies, as far as the plugin says up front: its end
 * (wal2json's `nextlsn`) or its start (pgoutput's Begin). Either decides whether a bookmark covers
 * the transaction (docs/lsn-and-state.md, "Skipping what a table already has").
 */
export type CommitBound = { readonly end: bigint } | { readonly start: bigint }

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
  /** Where the open transaction's commit record lies (from its B), for the per-stream skip. */
  #commit: CommitBound | undefined

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

  /** A `B` message: where the transaction's commit record lies, when the plugin says. */
  begin(commit: CommitBound | undefined): void {
    this.#commit = commit
  }

  commit(): void {
    this.#commit = undefined
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
    const c = this.#commit
    if (bookmark === undefined || c === undefined) return false
    // A bookmark covers a transaction whose commit record starts before it (docs/lsn-and-state.md,
    // "What a bookmark means"); a commit record never spans a bookmark, so its end at or before it
    // says the same.
    if ('end' in c ? c.end > bookmark : c.start >= bookmark) return false
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
      return recheckColumns(st, tuple.names, ev.action, out, this.#opts).then(() =>
        this.#emit(st, lsn, ev, tuple, out),
      )
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

  #emit(st: StreamState, lsn: bigint, ev: ChangeEvent, tuple: ChangeTuple, out: BatchBuilder): void {
    this.#emitWith(st, st.layout(tuple.names), lsn, ev, tuple, out)
  }

  #emitWith(
    st: StreamState,
    layout: Layout,
    lsn: bigint,
    ev: ChangeEvent,
    tuple: ChangeTuple,
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

  /** Now as timestamptz text, as the server prints it (`2026-11-25 13:42:46.827+00`). */
  #nowText(): string {
    return (this.#opts.now?.() ?? new Date()).toISOString().replace('T', ' ').replace('Z', '+00')
  }
}

/** The version a TRUNCATE switches to: now in epoch ms, as versions are, and always above the old one. */
export function nextVersion(old: number | undefined, nowMs: number): number {
  return old === undefined || nowMs > old ? nowMs : old + 1
}

function tableKey(schemaName: string, tableName: string): string {
  return `${schemaName}\0${tableName}`
}
