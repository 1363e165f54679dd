/**
 * What a change's column list says about the table, checked once per list against the table's
 * columns as they are now (one query, docs/behaviour.md#new-columns-mid-stream): columns the stream
 * does not know are new (the stream's SCHEMA is widened, a SCHEMA line goes before the record);
 * columns the list lacks were dropped or renamed, or (an update) are unchanged TOAST values, or (an
 * insert) were added after the change. Each case is a warning saying so, never TOAST's.
 */
import { streamSchemaLine } from '../catalog/stream-schema.js'
import type { Logger } from '../log/logger.js'
import type { ColumnInfo, PgValueType } from '../values/pg-type.js'
import type { BatchBuilder } from './batch-builder.js'
import type { StreamState } from './stream-layout.js'

/** Type of a new column the live table no longer has (added and dropped since): its text. */
const UNKNOWN_TYPE: PgValueType = { kind: 'text' }

export interface ColumnCheckDeps {
  /** The table's live columns (one query), or undefined when the table is gone. */
  readonly readColumns: (schemaName: string, tableName: string) => Promise<readonly ColumnInfo[] | undefined>
  readonly logger: Logger
}

/**
 * One read of the table's columns for what this change's layout needs: new columns (docs/behaviour.md#new-columns-mid-stream,
 * a SCHEMA before the record), and missing columns the table no longer has (dropped or renamed).
 */
export async function recheckColumns(
  st: StreamState,
  names: readonly string[],
  action: 'I' | 'U' | 'D',
  out: BatchBuilder,
  deps: ColumnCheckDeps,
): Promise<void> {
  const first = st.layout(names)
  const unknownKey = [...first.unknown].sort().join('\0')
  const hasNew = first.unknown.length > 0 && !st.rereads.has(unknownKey)
  if (!hasNew && !st.needsMissingCheck(action, first)) return
  const { schemaName, tableName } = st.spec
  const table = await deps.readColumns(schemaName, tableName)
  const live = table ?? []
  if (hasNew) {
    st.rereads.add(unknownKey)
    newColumns(st, first.unknown, live, out, deps.logger)
  }
  const layout = st.layout(names)
  if (!st.needsMissingCheck(action, layout)) return
  const missing = layout.missing
  const they = (n: number) => (n > 1 ? 'them' : 'it')
  const s = (n: number) => (n > 1 ? 's' : '')
  if (table === undefined) {
    if (action === 'I') st.checkedInserts.add(layout.key)
    else st.toastByLayout.set(layout.key, missing)
    deps.logger.warn(
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
    deps.logger.warn(
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
      deps.logger.warn(
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
    deps.logger.warn(
      `Updates of ${schemaName}.${tableName} made before a column was renamed or dropped (they carry ${stale.join(', ')}, which the table no longer has) ` +
        `come without ${present.join(', ')}: added or renamed since, or unchanged TOAST value${s(n)}; records leave ${they(n)} out`,
    )
    st.toastByLayout.set(layout.key, [])
    return
  }
  st.toastByLayout.set(layout.key, present)
}

/** docs/behaviour.md#new-columns-mid-stream: the stream's columns from the table's, re-read once per new column set, then a SCHEMA before the next record. */
function newColumns(
  st: StreamState,
  unknown: readonly string[],
  live: readonly ColumnInfo[],
  out: BatchBuilder,
  logger: Logger,
): void {
  const { schemaName, tableName } = st.spec
  const byName = new Map(live.map((c) => [c.name, c]))
  const added: ColumnInfo[] = unknown.map(
    (name, i) => byName.get(name) ?? { name, sqlType: 'text', type: UNKNOWN_TYPE, position: 100_000 + i },
  )
  const columns = [...st.columns, ...added].sort((a, b) => a.position - b.position)
  st.setColumns(columns)
  const gone = added.filter((c) => !byName.has(c.name)).map((c) => c.name)
  logger.info(
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
