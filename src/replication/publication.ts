// Long (~480 lines): one room for everything a publication is (its SQL, the pure decision of what to add or refuse, and the wait after an addition), because the three follow from the same catalog-history rules written below; the decision is pure and tested apart (test/replication/publication.test.ts).
/**
 * The publication a pgoutput slot streams through (docs/behaviour.md#publications): read it, create
 * it, and make it cover the selected LOG_BASED tables before anything is read.
 *
 * pgoutput sends the changes of the tables in the publications named at START_REPLICATION, and it
 * decides membership with the catalog as it was when each change was made (logical decoding's
 * historic snapshot). Three consequences, each measured on PostgreSQL 15:
 * - a publication created after the slot's position cannot be decoded at all (`publication "p" does
 *   not exist` at the first change before its creation), so `slot create` makes the publication
 *   first and a run never creates one;
 * - a table added with ALTER PUBLICATION ... ADD TABLE is published from that command's commit on:
 *   its earlier changes are never sent, even those of a transaction that commits later. So a table
 *   is only added for a stream whose initial load is read after the addition, and the run then
 *   waits for every transaction that could have written the table before the addition to end
 *   (`waitForOlderWriters`) before it takes the position the load starts from;
 * - with publish_via_partition_root, a TRUNCATE of one partition is not sent at all. The tap's
 *   partitioned streams therefore take their partitions' changes under the partitions' own names
 *   (routed to the parent's stream as with wal2json, src/replication/change-records.ts), where such
 *   a TRUNCATE arrives and is refused; a publication with publish_via_partition_root is refused
 *   for a partitioned stream or a partition.
 *
 * A table without a usable replica identity is never added: in a publication that publishes
 * UPDATEs and DELETEs, PostgreSQL would refuse the application's own UPDATEs and DELETEs on it.
 */
import type pg from 'pg'
import { TapError } from '../errors.js'
import { queryError } from '../pg/pg-errors.js'
import { qualifiedName, quoteIdent } from '../pg/sql.js'
import type { TableName } from '../values/pg-type.js'
import { identityProblem, type LogBasedTableFacts } from './replica-identity.js'

/** The operations a stream needs published: every change, and TRUNCATE (PostgreSQL 11+). */
const NEEDED_OPERATIONS = ['insert', 'update', 'delete', 'truncate'] as const

export class PublicationError extends TapError {
  readonly publication: string
  constructor(publication: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('PUBLICATION_INVALID', message, options)
    this.publication = publication
  }
}

export interface PublicationInfo {
  readonly name: string
  readonly owner: string
  /** FOR ALL TABLES. */
  readonly allTables: boolean
  /** publish_via_partition_root (PostgreSQL 13+; false before). */
  readonly viaRoot: boolean
  /** The operations it publishes, of insert, update, delete, truncate. */
  readonly operations: readonly string[]
  /** Tables whose changes it sends, under their own names (pg_publication_tables), sorted. */
  readonly tables: readonly TableName[]
}

const PUBLICATION_SQL = `
SELECT to_jsonb(p) AS pub, pg_catalog.pg_get_userbyid(p.pubowner) AS owner,
       (SELECT coalesce(json_agg(json_build_array(t.schemaname, t.tablename) ORDER BY t.schemaname, t.tablename), '[]')
        FROM pg_catalog.pg_publication_tables t WHERE t.pubname = p.pubname) AS tables
FROM pg_catalog.pg_publication p
WHERE p.pubname = $1`

interface PublicationRow {
  pub: string | Record<string, unknown>
  owner: string
  tables: string | Array<[string, string]>
}

/** Values may come back as text (src/pg/connect.ts TEXT_TYPES) or parsed. */
function json<T>(v: string | T): T {
  return typeof v === 'string' ? (JSON.parse(v) as T) : v
}

/** The publication, or undefined when there is none of that name. */
export async function readPublication(client: pg.Client, name: string): Promise<PublicationInfo | undefined> {
  let rows: PublicationRow[]
  try {
    rows = (await client.query<PublicationRow>(PUBLICATION_SQL, [name])).rows
  } catch (e) {
    throw queryError(e, `reading publication "${name}"`)
  }
  if (rows.length === 0) return undefined
  const pub = json<Record<string, unknown>>(rows[0].pub)
  // Columns a server version lacks are absent from to_jsonb: pubtruncate (before 11) and
  // pubviaroot (before 13); a server that cannot decode TRUNCATE publishes every one it has.
  const operations = NEEDED_OPERATIONS.filter((op) => pub[`pub${op}`] !== false)
  return {
    name,
    owner: rows[0].owner,
    allTables: pub.puballtables === true,
    viaRoot: pub.pubviaroot === true,
    operations,
    tables: json<Array<[string, string]>>(rows[0].tables).map(([schemaName, tableName]) => ({
      schemaName,
      tableName,
    })),
  }
}

/**
 * Creates an empty publication (tables are added by the runs that stream them). Called before the
 * slot is created: a publication younger than the slot's position cannot be decoded.
 */
export async function createPublication(client: pg.Client, name: string): Promise<void> {
  try {
    await client.query(`CREATE PUBLICATION ${quoteIdent(name)}`)
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === '42501') {
      throw new PublicationError(
        name,
        `publication "${name}" does not exist and this role may not create it (${firstLine(e)})`,
        {
          hint: `an administrator runs: CREATE PUBLICATION ${quoteIdent(name)}; then GRANT CREATE ON DATABASE to this role, or make it the publication's owner (ALTER PUBLICATION ... OWNER TO)`,
          cause: e,
        },
      )
    }
    throw queryError(e, `creating publication "${name}"`)
  }
}

// ---------------------------------------------------------------------------------------------
// What a selected table needs of the publication.

/** One selected LOG_BASED stream, as the publication sees it. */
export interface PublishedStream extends TableName {
  readonly tapStreamId: string
  /** The columns the stream emits (a publication column list must hold them all). */
  readonly columns: readonly string[]
  /**
   * The stream's initial load is read after this point of the run (no `lsn` yet, or a load
   * started over): a table added to the publication now misses none of its changes.
   */
  readonly loadsFromScratch: boolean
}

/** A relation as the publication has it: a selected table or one of its partitions. */
export interface PublishedRelation extends TableName {
  readonly relkind: string
  readonly isPartition: boolean
  /** Its row in pg_publication_tables: its changes are published under its own name. */
  readonly listed: boolean
  /** A member itself (ALTER PUBLICATION ... ADD TABLE), or through its schema (PostgreSQL 15+). */
  readonly member: boolean
  /** PostgreSQL 15+: the publication's row filter for it, if any. */
  readonly rowFilter: string | null
  /** PostgreSQL 15+: the columns published (all of them without a column list); null before 15. */
  readonly columns: readonly string[] | null
  /** Its generated columns (PostgreSQL 12+): pgoutput (protocol 1) never sends their values. */
  readonly generated: readonly string[]
}

export interface PublicationDecision {
  /** Tables to add (each covered by nothing yet and safe to add). */
  readonly add: readonly TableName[]
  /** One sentence each: why a stream cannot be streamed through this publication as it is. */
  readonly refusals: readonly string[]
  /** The SQL an administrator runs for the refused streams, where one statement fixes them. */
  readonly adminSql: readonly string[]
}

const name = (t: TableName): string => `${t.schemaName}.${t.tableName}`
const key = (t: TableName): string => JSON.stringify([t.schemaName, t.tableName])

/**
 * What the publication must become for these streams. Pure. `facts` are the identity facts of the
 * selected tables (replica-identity.ts), `relations` the publication's view of each selected table
 * and partition (readPublishedRelations).
 */
export function decidePublication(
  pub: PublicationInfo,
  streams: readonly PublishedStream[],
  facts: readonly LogBasedTableFacts[],
  relations: readonly PublishedRelation[],
): PublicationDecision {
  const add: TableName[] = []
  const refusals: string[] = []
  const adminSql: string[] = []
  const ident = quoteIdent(pub.name)
  const missingOps = NEEDED_OPERATIONS.filter((op) => !pub.operations.includes(op))
  if (missingOps.length > 0 && streams.length > 0) {
    refusals.push(
      `publication "${pub.name}" does not publish ${missingOps.join(', ')}: those changes would never reach the tap`,
    )
    adminSql.push(`ALTER PUBLICATION ${ident} SET (publish = '${NEEDED_OPERATIONS.join(', ')}')`)
  }
  const byName = new Map(relations.map((r) => [key(r), r]))
  for (const s of streams) {
    const f = facts.find((t) => t.schemaName === s.schemaName && t.tableName === s.tableName)
    const rel = byName.get(key(s))
    // A table gone since the plan is the plan's warning, not the publication's business.
    if (f === undefined || rel === undefined) continue
    const partitioned = f.relkind === 'p'
    const leaves = partitioned ? f.partitions.filter((p) => p.relkind === 'r') : [f]
    if (pub.viaRoot && (partitioned || rel.isPartition)) {
      refusals.push(
        `stream ${s.tapStreamId}: publication "${pub.name}" has publish_via_partition_root = true, with which PostgreSQL does not send a TRUNCATE of one partition of ${partitioned ? name(s) : `the table ${name(s)} belongs to`} at all`,
      )
      adminSql.push(`ALTER PUBLICATION ${ident} SET (publish_via_partition_root = false)`)
      continue
    }
    // A generated column's value never comes (protocol 1): whether the table is covered or added.
    const generated = [...new Set(leaves.flatMap((l) => byName.get(key(l))?.generated ?? []))].filter((c) =>
      s.columns.includes(c),
    )
    if (generated.length > 0) {
      const n = generated.length
      refusals.push(
        `stream ${s.tapStreamId}: column${n > 1 ? 's' : ''} ${generated.join(', ')} of ${name(s)} ${n > 1 ? 'are' : 'is'} generated, and pgoutput does not send generated columns; deselect ${n > 1 ? 'them' : 'it'}, or stream the table through a wal2json slot`,
      )
      continue
    }
    const covered = pub.allTables || (partitioned ? rel.member : rel.listed)
    if (!covered) {
      if (!s.loadsFromScratch) {
        refusals.push(
          `stream ${s.tapStreamId}: table ${name(s)} is not in publication "${pub.name}", so its changes since the stream's bookmark were never sent (pgoutput sends a table's changes from when it joins the publication)`,
        )
        adminSql.push(`ALTER PUBLICATION ${ident} ADD TABLE ${qualifiedName(s.schemaName, s.tableName)}`)
        continue
      }
      const problems = leaves.flatMap((l) => {
        const why = identityProblem(l)
        return why === undefined ? [] : [`${name(l)} ${why}`]
      })
      if (problems.length > 0) {
        refusals.push(
          `stream ${s.tapStreamId}: table ${name(s)} is not in publication "${pub.name}" and is not added: ${problems.join(', ')}, and in a publication that publishes UPDATEs and DELETEs PostgreSQL would then refuse the application's UPDATEs and DELETEs on it (log_based_inserts_only cannot change that); give it a replica identity, or stream it through a wal2json slot`,
        )
        continue
      }
      add.push({ schemaName: s.schemaName, tableName: s.tableName })
      continue
    }
    // Covered: nothing may be filtered out of it on the way.
    for (const leaf of partitioned ? leaves : [s]) {
      const r = byName.get(key(leaf))
      if (r === undefined || !r.listed) continue
      if (r.rowFilter !== null) {
        refusals.push(
          `stream ${s.tapStreamId}: publication "${pub.name}" publishes only the rows of ${name(leaf)} where ${r.rowFilter}`,
        )
        adminSql.push(
          `ALTER PUBLICATION ${ident} SET TABLE ... (without the WHERE clause of ${qualifiedName(leaf.schemaName, leaf.tableName)})`,
        )
      }
      const published = r.columns
      const lacking = published === null ? [] : s.columns.filter((c) => !published.includes(c))
      if (lacking.length > 0) {
        refusals.push(
          `stream ${s.tapStreamId}: publication "${pub.name}" leaves column${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')} of ${name(leaf)} out (a column list)`,
        )
        adminSql.push(
          `ALTER PUBLICATION ${ident} SET TABLE ... (${qualifiedName(leaf.schemaName, leaf.tableName)} without a column list)`,
        )
      }
    }
  }
  return { add, refusals, adminSql: [...new Set(adminSql)] }
}

const RELATIONS_SQL = (version: number) => `
SELECT w.ord, c.relkind::text AS relkind, c.relispartition AS is_partition,
       ${
         version >= 120000
           ? `(SELECT coalesce(json_agg(a.attname ORDER BY a.attnum), '[]') FROM pg_catalog.pg_attribute a
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> '')`
           : `'[]'`
       } AS generated,
       (SELECT to_jsonb(t) FROM pg_catalog.pg_publication_tables t
        WHERE t.pubname = $1 AND t.schemaname = n.nspname AND t.tablename = c.relname) AS listed,
       (EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
                WHERE p.pubname = $1 AND r.prrelid = c.oid)
        ${version >= 150000 ? `OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace s JOIN pg_catalog.pg_publication p ON p.oid = s.pnpubid WHERE p.pubname = $1 AND s.pnnspid = c.relnamespace)` : ''}
       ) AS member
FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS w(schema_name, table_name, ord)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema_name
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.table_name`

interface RelationRow {
  ord: string
  relkind: string
  is_partition: string | boolean
  listed: string | Record<string, unknown> | null
  member: string | boolean
  generated: string | string[]
}

const bool = (v: string | boolean): boolean => v === true || v === 't'

/** The publication's view of each relation (the missing ones left out). */
export async function readPublishedRelations(
  client: pg.Client,
  publication: string,
  relations: readonly TableName[],
): Promise<PublishedRelation[]> {
  if (relations.length === 0) return []
  let rows: RelationRow[]
  try {
    const version = Number(
      (await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0].v,
    )
    rows = (
      await client.query<RelationRow>(RELATIONS_SQL(version), [
        publication,
        relations.map((r) => r.schemaName),
        relations.map((r) => r.tableName),
      ])
    ).rows
  } catch (e) {
    throw queryError(e, `reading which tables publication "${publication}" covers`)
  }
  return rows.map((row) => {
    const listed = row.listed === null ? null : json<Record<string, unknown>>(row.listed)
    const rel = relations[Number(row.ord) - 1]
    return {
      schemaName: rel.schemaName,
      tableName: rel.tableName,
      relkind: row.relkind,
      isPartition: bool(row.is_partition),
      listed: listed !== null,
      member: bool(row.member),
      rowFilter: typeof listed?.rowfilter === 'string' ? listed.rowfilter : null,
      columns: Array.isArray(listed?.attnames) ? (listed.attnames as string[]) : null,
      generated: json<string[]>(row.generated),
    }
  })
}

export interface EnsureResult {
  readonly publication: PublicationInfo
  /** Tables this run added. */
  readonly added: readonly TableName[]
}

/** What the publication is now, for the selected tables and their partitions (one connection, two queries). */
export interface PublicationFacts {
  readonly name: string
  /** Undefined: it does not exist. */
  readonly publication: PublicationInfo | undefined
  readonly relations: readonly PublishedRelation[]
}

export async function readPublicationFacts(
  client: pg.Client,
  publication: string,
  facts: readonly LogBasedTableFacts[],
): Promise<PublicationFacts> {
  const pub = await readPublication(client, publication)
  if (pub === undefined) return { name: publication, publication: undefined, relations: [] }
  const all = facts.flatMap((f) => [f as TableName, ...f.partitions])
  return {
    name: publication,
    publication: pub,
    relations: await readPublishedRelations(client, publication, all),
  }
}

/**
 * The tables to add for these streams, or a PublicationError naming each stream the publication
 * cannot cover and the SQL an administrator runs. Pure: decided before anything is read.
 */
export function tablesToAdd(
  found: PublicationFacts,
  streams: readonly PublishedStream[],
  facts: readonly LogBasedTableFacts[],
): readonly TableName[] {
  const pub = found.publication
  if (pub === undefined) {
    throw new PublicationError(
      found.name,
      `publication "${found.name}" does not exist; the pgoutput slot streams the tables it covers`,
      {
        hint: 'a publication created after the slot cannot be decoded for the WAL before it: drop the slot and run `tap-postgres slot create`, which creates the publication first (or set publication_name to the publication the slot was made with)',
      },
    )
  }
  const decision = decidePublication(pub, streams, facts, found.relations)
  if (decision.refusals.length > 0) throw refusal(pub.name, decision)
  return decision.add
}

/**
 * Adds the tables (one statement: all or none), then waits for the transactions that could have
 * written them unpublished (see the top of this file). A role that may not gets one line naming the
 * tables and the statement an administrator runs.
 */
export async function addToPublication(
  client: pg.Client,
  publication: string,
  tables: readonly TableName[],
  opts: { readonly onWait?: (message: string) => void; readonly signal?: AbortSignal } = {},
): Promise<void> {
  if (tables.length === 0) return
  const sql = `ALTER PUBLICATION ${quoteIdent(publication)} ADD TABLE ${tables.map((t) => qualifiedName(t.schemaName, t.tableName)).join(', ')}`
  try {
    await client.query(sql)
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === '42501') {
      throw new PublicationError(
        publication,
        `publication "${publication}" does not cover ${tables.map(name).join(', ')} and this role may not add ${tables.length > 1 ? 'them' : 'it'} (${firstLine(e)}); an administrator runs: ${sql}`,
        { cause: e },
      )
    }
    throw queryError(e, `adding ${tables.map(name).join(', ')} to publication "${publication}"`)
  }
  await waitForOlderWriters(client, opts)
}

/** readPublicationFacts, tablesToAdd and addToPublication on one connection. */
export async function ensurePublication(
  client: pg.Client,
  publication: string,
  streams: readonly PublishedStream[],
  facts: readonly LogBasedTableFacts[],
  opts: { readonly onWait?: (message: string) => void; readonly signal?: AbortSignal } = {},
): Promise<EnsureResult> {
  const found = await readPublicationFacts(client, publication, facts)
  const add = tablesToAdd(found, streams, facts)
  await addToPublication(client, publication, add, opts)
  const pub = add.length === 0 ? found.publication : await readPublication(client, publication)
  return { publication: pub as PublicationInfo, added: add }
}

function refusal(publication: string, d: PublicationDecision): PublicationError {
  const message = d.refusals.length === 1 ? d.refusals[0] : d.refusals.join('; ')
  return new PublicationError(
    publication,
    d.adminSql.length === 0 ? message : `${message}; an administrator runs: ${d.adminSql.join('; ')}`,
    {
      hint: 'then run again; a stream whose table joined the publication after its bookmark needs a fresh initial load: remove its bookmark from the state',
    },
  )
}

/**
 * Waits until every transaction that held an xid when this is called has ended. Called right after
 * a table joined the publication: a transaction that wrote the table before that commit and
 * commits later is not published (its change predates the membership), so the initial load's
 * position and snapshot must come after it commits. Transactions without an xid have written
 * nothing. Reports every ~10 s who is waited for.
 */
export async function waitForOlderWriters(
  client: pg.Client,
  opts: { readonly onWait?: (message: string) => void; readonly signal?: AbortSignal } = {},
): Promise<void> {
  const q = async (text: string): Promise<string> => {
    try {
      return (await client.query<{ v: string }>(text)).rows[0].v
    } catch (e) {
      throw queryError(e, 'waiting for transactions older than the publication change')
    }
  }
  // A snapshot's xmax is the newest completed xid + 1, not the next xid: a transaction that took
  // its xid after the last completion is not in the snapshot at all. An xid of our own, in its own
  // (empty) transaction, is newer than every xid taken before this call.
  const horizon = BigInt(await q('SELECT txid_current()::text AS v'))
  const started = Date.now()
  let reported = started
  for (let pause = 10; ; pause = Math.min(pause * 2, 500)) {
    if (BigInt(await q('SELECT txid_snapshot_xmin(txid_current_snapshot())::text AS v')) > horizon) return
    if (opts.signal?.aborted)
      throw new TapError(
        'REPLICATION_FAILED',
        'stopped while waiting for transactions older than the publication change',
      )
    if (Date.now() - reported >= 10_000) {
      reported = Date.now()
      const who = await q(
        `SELECT coalesce(string_agg(pid::text, ', '), 'a prepared transaction') AS v FROM pg_catalog.pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()`,
      )
      opts.onWait?.(
        `waiting ${Math.round((Date.now() - started) / 1000)} s for transactions that may have written a table before it joined the publication to end (pids ${who})`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, pause))
  }
}

function firstLine(e: unknown): string {
  return ((e as { message?: string }).message ?? String(e)).split('\n')[0]
}
