// Long (~430 lines): the identity rules and the partition routing share their pg_class facts and the refusal wording; splitting them would split one set of rules.
/**
 * What logical decoding can deliver of a LOG_BASED table, decided before anything is read (README,
 * "What LOG_BASED refuses, and why"), and where a partition's changes belong.
 *
 * - Replica identity: an UPDATE or DELETE reaches the WAL with the row's key only when the table has
 *   a usable replica identity: a primary key under REPLICA IDENTITY DEFAULT, USING INDEX (while the
 *   index exists), or FULL. Without one (no primary key, or NOTHING) inserts still come through but
 *   the output plugin drops every UPDATE and DELETE with nothing but a server log line. Such a stream is
 *   refused, unless `log_based_inserts_only` lists it.
 * - Partitions: changes come from the leaf partitions and are named after them, never after the
 *   partitioned parent; so the leaves' identities are the ones that matter, and a leaf's changes
 *   go to every selected ancestor's stream.
 */
import type pg from 'pg'
import { InputError, TapError } from '../errors.js'
import { queryError } from '../pg/pg-errors.js'
import { qualifiedName } from '../pg/sql.js'
import type { TableName } from '../values/pg-type.js'

/** pg_class facts that decide whether a relation's UPDATEs and DELETEs reach the WAL with a key. */
export interface IdentityFacts {
  /** pg_class.relkind: r table, p partitioned table, f foreign table. */
  readonly relkind: string
  /** pg_class.relreplident: d default, n nothing, f full, i index. */
  readonly replident: string
  readonly hasPrimaryKey: boolean
  /** An index marked indisreplident exists (what USING INDEX needs). */
  readonly hasIdentityIndex: boolean
}

export interface RelationFacts extends TableName, IdentityFacts {}

/** A selected LOG_BASED table and, when partitioned, every relation below it (all levels). */
export interface LogBasedTableFacts extends RelationFacts {
  readonly partitions: readonly RelationFacts[]
}

/** Why a relation's UPDATEs and DELETEs cannot be streamed; undefined when they can. */
export function identityProblem(f: IdentityFacts): string | undefined {
  if (f.relkind === 'f') return "is a foreign table (its changes are not in this server's WAL)"
  if (f.relkind !== 'r') return undefined
  switch (f.replident) {
    case 'f':
      return undefined
    case 'd':
      return f.hasPrimaryKey ? undefined : 'has no primary key and REPLICA IDENTITY DEFAULT'
    case 'i':
      return f.hasIdentityIndex
        ? undefined
        : 'has REPLICA IDENTITY USING INDEX on an index that no longer exists'
    case 'n':
      return 'has REPLICA IDENTITY NOTHING'
    default:
      return `has replica identity "${f.replident}", which the tap does not know`
  }
}

// ---------------------------------------------------------------------------------------------
// At the start of a run, on the main connection: one query for every selected LOG_BASED table.

/**
 * Each wanted relation (its own row, `depth` 0) and the partitions below it at every level.
 * pg_inherits also holds legacy INHERITS children, whose changes belong to themselves: only
 * relations with relispartition are followed. Works from PostgreSQL 10 (no pg_partition_tree).
 */
const LOG_BASED_TABLES_SQL = `
WITH RECURSIVE wanted AS (
  SELECT c.oid, n.nspname, c.relname
  FROM unnest($1::text[], $2::text[]) AS w(schema_name, table_name)
  JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.table_name
),
tree(root, oid, depth) AS (
  SELECT oid, oid, 0 FROM wanted
  UNION ALL
  SELECT t.root, i.inhrelid, t.depth + 1
  FROM tree t
  JOIN pg_catalog.pg_inherits i ON i.inhparent = t.oid
  JOIN pg_catalog.pg_class ch ON ch.oid = i.inhrelid
  WHERE ch.relispartition
)
SELECT w.nspname AS root_schema, w.relname AS root_table, t.depth, n.nspname AS schema_name, c.relname AS table_name,
       c.relkind::text AS relkind, c.relreplident::text AS replident,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = c.oid AND x.indisprimary) AS has_primary_key,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = c.oid AND x.indisreplident) AS has_identity_index
FROM tree t
JOIN wanted w ON w.oid = t.root
JOIN pg_catalog.pg_class c ON c.oid = t.oid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
ORDER BY 1, 2, 3, 4, 5
`

interface FactsRow {
  root_schema: string
  root_table: string
  depth: string
  schema_name: string
  table_name: string
  relkind: string
  replident: string
  has_primary_key: string | boolean
  has_identity_index: string | boolean
}

/** Values come back as text (src/pg/connect.ts TEXT_TYPES). */
const bool = (v: string | boolean): boolean => v === true || v === 't'

function relationFacts(r: FactsRow): RelationFacts {
  return {
    schemaName: r.schema_name,
    tableName: r.table_name,
    relkind: r.relkind,
    replident: r.replident,
    hasPrimaryKey: bool(r.has_primary_key),
    hasIdentityIndex: bool(r.has_identity_index),
  }
}

export async function readLogBasedTables(
  client: pg.Client,
  tables: readonly TableName[],
): Promise<LogBasedTableFacts[]> {
  if (tables.length === 0) return []
  let rows: FactsRow[]
  try {
    rows = (
      await client.query<FactsRow>(LOG_BASED_TABLES_SQL, [
        tables.map((t) => t.schemaName),
        tables.map((t) => t.tableName),
      ])
    ).rows
  } catch (e) {
    throw queryError(e, 'reading the replica identity and partitions of the LOG_BASED tables')
  }
  // Ordered by root, then depth: each root's own row comes before its partitions.
  const roots = new Map<string, RelationFacts & { partitions: RelationFacts[] }>()
  for (const r of rows) {
    const key = JSON.stringify([r.root_schema, r.root_table])
    if (Number(r.depth) === 0) roots.set(key, { ...relationFacts(r), partitions: [] })
    else roots.get(key)?.partitions.push(relationFacts(r))
  }
  return [...roots.values()]
}

// ---------------------------------------------------------------------------------------------
// The decision, pure.

export interface LogBasedTableStream extends TableName {
  readonly tapStreamId: string
}

/** What streaming needs to know of one stream's table. */
export interface StreamTableFacts {
  /** A partitioned table's leaf partitions (where its changes come from); undefined for a plain table. */
  readonly partitions?: readonly TableName[]
  /** No usable replica identity, allowed by `log_based_inserts_only`: only its inserts are streamed. */
  readonly insertsOnly: boolean
}

export interface IdentityDecision {
  readonly streams: ReadonlyMap<string, StreamTableFacts>
  /** One line each, for the log. */
  readonly warnings: readonly string[]
}

interface Problem {
  readonly relation: RelationFacts
  readonly why: string
}

const name = (t: TableName): string => `${t.schemaName}.${t.tableName}`

/**
 * Every selected LOG_BASED stream whose UPDATEs or DELETEs cannot be streamed is refused (one
 * InputError naming each, what was found and the fixes) unless `insertsOnly` lists it; a foreign
 * partition cannot be waived (not even its inserts are in the WAL). Streams without facts (their
 * table vanished since the plan) are left to the plan's warning.
 */
export function decideReplicaIdentity(
  streams: readonly LogBasedTableStream[],
  facts: readonly LogBasedTableFacts[],
  insertsOnly: readonly string[] = [],
): IdentityDecision {
  const allowed = new Set(insertsOnly)
  const warnings: string[] = []
  const out = new Map<string, StreamTableFacts>()
  const refused: Array<{ stream: LogBasedTableStream; problems: Problem[]; waivable: boolean }> = []
  for (const id of allowed) {
    if (!streams.some((s) => s.tapStreamId === id))
      warnings.push(`log_based_inserts_only lists ${id}, which is not a selected LOG_BASED stream; ignored`)
  }
  for (const s of streams) {
    const f = facts.find((t) => t.schemaName === s.schemaName && t.tableName === s.tableName)
    if (f === undefined) continue
    const partitioned = f.relkind === 'p'
    const relations = partitioned ? f.partitions : [f]
    const problems = relations.flatMap((r): Problem[] => {
      const why = identityProblem(r)
      return why === undefined ? [] : [{ relation: r, why }]
    })
    const partitions = partitioned
      ? f.partitions
          .filter((p) => p.relkind === 'r')
          .map((p) => ({ schemaName: p.schemaName, tableName: p.tableName }))
      : undefined
    const waivable = problems.every((p) => p.relation.relkind !== 'f')
    if (problems.length === 0) {
      if (allowed.has(s.tapStreamId))
        warnings.push(
          `log_based_inserts_only lists ${s.tapStreamId}, whose changes all have a key: its UPDATEs and DELETEs are streamed too`,
        )
    } else if (waivable && allowed.has(s.tapStreamId)) {
      warnings.push(
        `stream ${s.tapStreamId}: inserts only (log_based_inserts_only): ${describe(f, problems)}, so its UPDATEs and DELETEs are not streamed`,
      )
      out.set(s.tapStreamId, { partitions, insertsOnly: true })
      continue
    } else {
      refused.push({ stream: s, problems, waivable })
    }
    out.set(s.tapStreamId, { partitions, insertsOnly: false })
  }
  if (refused.length > 0) throw refusal(refused, facts)
  return { streams: out, warnings }
}

function describe(table: TableName, problems: readonly Problem[]): string {
  const [first] = problems
  if (
    problems.length === 1 &&
    first.relation.schemaName === table.schemaName &&
    first.relation.tableName === table.tableName
  )
    return `table ${name(table)} ${first.why}`
  if (problems.length === 1) return `partition ${name(first.relation)} of ${name(table)} ${first.why}`
  return `partitions of ${name(table)}: ${problems.map((p) => `${name(p.relation)} ${p.why}`).join(', ')}`
}

function refusal(
  refused: ReadonlyArray<{ stream: LogBasedTableStream; problems: Problem[]; waivable: boolean }>,
  facts: readonly LogBasedTableFacts[],
): InputError {
  const described = refused.map(({ stream, problems }) => {
    const table = facts.find(
      (t) => t.schemaName === stream.schemaName && t.tableName === stream.tableName,
    ) as TableName
    return `stream ${stream.tapStreamId}: ${describe(table, problems)}`
  })
  const anyForeign = refused.some((r) => !r.waivable)
  const what = anyForeign ? 'changes' : 'UPDATEs and DELETEs'
  const why = anyForeign ? '' : ' (logical decoding has no key to send for them)'
  const message =
    described.length === 1
      ? `${described[0]}; its ${what} cannot be streamed${why}`
      : `LOG_BASED streams whose ${what} cannot be streamed${why}: ${described.join('; ')}`
  const keyless = refused.flatMap((r) =>
    r.problems.filter((p) => p.relation.relkind !== 'f').map((p) => p.relation),
  )
  const foreign = refused.flatMap((r) =>
    r.problems.filter((p) => p.relation.relkind === 'f').map((p) => p.relation),
  )
  const hints: string[] = []
  if (keyless.length > 0) {
    const example = qualifiedName(keyless[0].schemaName, keyless[0].tableName)
    const waivable = refused.filter((r) => r.waivable).map((r) => r.stream.tapStreamId)
    hints.push(
      `give ${keyless.map(name).join(', ')} a usable replica identity: a primary key (with REPLICA IDENTITY DEFAULT), or ALTER TABLE ${example} REPLICA IDENTITY FULL (or REPLICA IDENTITY USING INDEX <a unique index on NOT NULL columns>)` +
        (waivable.length > 0
          ? `; to stream inserts alone, add ${waivable.join(', ')} to the log_based_inserts_only setting`
          : ''),
    )
  }
  if (foreign.length > 0)
    hints.push(
      `replicate ${refused
        .filter((r) => !r.waivable)
        .map((r) => r.stream.tapStreamId)
        .join(
          ', ',
        )} with FULL_TABLE, or detach the foreign partition${foreign.length === 1 ? '' : 's'} ${foreign.map(name).join(', ')}`,
    )
  return new InputError('STREAM_INVALID', message, { hint: hints.join('; ') })
}

// ---------------------------------------------------------------------------------------------
// While streaming, on the replication worker's ordinary connection: relations the run does not
// know (a partition created or attached since the start, or any other table).

/** A relation's partition ancestors (nearest first) and its own identity facts. */
export interface RelationRoute extends IdentityFacts {
  readonly ancestors: readonly TableName[]
}

const RELATION_ROUTES_SQL = `
WITH RECURSIVE rel AS (
  SELECT w.ord, c.oid, c.relispartition, c.relkind::text AS relkind, c.relreplident::text AS replident,
         EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = c.oid AND x.indisprimary) AS has_primary_key,
         EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = c.oid AND x.indisreplident) AS has_identity_index
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(schema_name, table_name, ord)
  JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.table_name
),
up(ord, oid, partition, depth) AS (
  SELECT rel.ord, i.inhparent, p.relispartition, 1
  FROM rel
  JOIN pg_catalog.pg_inherits i ON i.inhrelid = rel.oid
  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
  WHERE rel.relispartition
  UNION ALL
  SELECT up.ord, i.inhparent, p.relispartition, up.depth + 1
  FROM up
  JOIN pg_catalog.pg_inherits i ON i.inhrelid = up.oid
  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
  WHERE up.partition
)
SELECT rel.ord, rel.relkind, rel.replident, rel.has_primary_key, rel.has_identity_index,
       (SELECT json_agg(json_build_array(n.nspname, c.relname) ORDER BY up.depth)
        FROM up
        JOIN pg_catalog.pg_class c ON c.oid = up.oid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE up.ord = rel.ord) AS ancestors
FROM rel
`

interface RouteRow {
  ord: string
  relkind: string
  replident: string
  has_primary_key: string | boolean
  has_identity_index: string | boolean
  ancestors: string | null
}

/** One query for any number of relations; undefined for a name no relation has any more. */
export async function readRelationRoutes(
  client: pg.Client,
  relations: readonly TableName[],
): Promise<Array<RelationRoute | undefined>> {
  const out: Array<RelationRoute | undefined> = relations.map(() => undefined)
  if (relations.length === 0) return out
  let rows: RouteRow[]
  try {
    rows = (
      await client.query<RouteRow>(RELATION_ROUTES_SQL, [
        relations.map((r) => r.schemaName),
        relations.map((r) => r.tableName),
      ])
    ).rows
  } catch (e) {
    throw queryError(
      e,
      `looking up the partition parents of ${relations.length === 1 ? name(relations[0]) : `${relations.length} tables`}`,
    )
  }
  for (const row of rows) {
    const ancestors = (JSON.parse(row.ancestors ?? '[]') as Array<[string, string]>).map(([s, t]) => ({
      schemaName: s,
      tableName: t,
    }))
    out[Number(row.ord) - 1] = {
      relkind: row.relkind,
      replident: row.replident,
      hasPrimaryKey: bool(row.has_primary_key),
      hasIdentityIndex: bool(row.has_identity_index),
      ancestors,
    }
  }
  return out
}

/** A partition that appeared mid-run under a stream that must not lose its UPDATEs and DELETEs. */
export function newPartitionRefusal(
  tapStreamId: string,
  parent: TableName,
  partition: TableName,
  why: string,
): InputError {
  return new InputError(
    'STREAM_INVALID',
    `stream ${tapStreamId}: partition ${name(partition)} of ${name(parent)}, new since the run started, ${why}; its UPDATEs and DELETEs cannot be streamed`,
    {
      hint: `give it a primary key or run ALTER TABLE ${qualifiedName(partition.schemaName, partition.tableName)} REPLICA IDENTITY FULL, then run again (the stream resumes from its last STATE); or add ${tapStreamId} to log_based_inserts_only`,
    },
  )
}

/**
 * Tables whose changes this run took for another table's and that are now partitions of a
 * streamed table: attached during the run, their changes since the attach were not streamed.
 */
export function attachedDuringRunError(
  found: ReadonlyArray<{
    readonly tapStreamId: string
    readonly parent: TableName
    readonly partition: TableName
  }>,
): TapError {
  const parts = found.map(
    (f) =>
      `stream ${f.tapStreamId}: ${name(f.partition)} became a partition of ${name(f.parent)} during the run, after changes of it were read as another table's`,
  )
  const ids = [...new Set(found.map((f) => f.tapStreamId))]
  return new TapError(
    'STREAM_INVALID',
    `${parts.join('; ')}; its changes since the attach (and the rows it held before) are missing from the stream`,
    {
      hint: `re-read ${ids.join(', ')} from the start: remove ${ids.length === 1 ? 'its bookmark' : 'their bookmarks'} from the state (the next run loads the table again, under a new version)`,
    },
  )
}

/**
 * A TRUNCATE of one partition of a streamed partitioned table: the rows it removed cannot be
 * deleted downstream one by one (the WAL has no row for them), and a version switch of the parent's
 * stream would drop every other partition's rows too.
 */
export function partitionTruncateRefusal(
  tapStreamId: string,
  parent: TableName,
  partition: TableName,
): TapError {
  return new TapError(
    'STREAM_INVALID',
    `stream ${tapStreamId}: partition ${name(partition)} of ${name(parent)} was truncated; the rows it removed cannot be streamed as deletes, and a new version of the whole stream would drop the other partitions' rows`,
    {
      hint: `re-read ${tapStreamId} from the start: remove its bookmark from the state (the next run loads the table again, under a new version that replaces the truncated rows)`,
    },
  )
}
