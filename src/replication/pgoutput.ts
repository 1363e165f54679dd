/**
 * pgoutput payloads → change events (change-event.ts). Pure: bytes in, events out; the only state
 * is what the protocol itself makes the receiver keep, the Relation messages.
 *
 * pgoutput is PostgreSQL's built-in output plugin (10+); with `proto_version '1'` each XLogData
 * message carries one message of the logical replication protocol
 * (https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html). Version 1 sends a
 * transaction only once it committed, Begin to Commit, so no change can reach a record before its
 * transaction commits. (Version 2's streaming of transactions in progress would have to be held
 * here until their commit: it would move the server's spill files into this process's memory.)
 *
 * - Begin: the commit record's start LSN and the commit time (µs since 2000-01-01 UTC), printed as
 *   the timestamptz text wal2json sends (`2026-11-25 13:42:46.82744+00`), so both plugins give
 *   `_sdc_deleted_at` the same bytes.
 * - Relation: a table's columns (name, type oid, key flag), sent before the first change of the
 *   table on the connection and again after any change of its definition. Changes name the
 *   relation by oid; the decoder keeps the last description of each and names the columns with it,
 *   so a column added mid-stream shows up as a new name in the change's tuple, as with wal2json.
 * - Insert / Update / Delete: TupleData with one entry per column: `n` NULL, `u` an unchanged TOASTed
 *   value (left out of the tuple: its value is unknown, never null), `t` the type's text output.
 *   The text is what COPY sends before its escaping: the table read's renderer takes it unchanged.
 *   An old tuple `K` (the replica identity) holds every column with the non-key ones NULL: only the
 *   key columns are kept, as wal2json's `identity` has them; `O` (REPLICA IDENTITY FULL) is the row.
 * - Truncate: one event per table, as wal2json sends them.
 * - Type, Origin and logical decoding messages: ignored (`other`).
 *
 * Why not pg-logical-replication's PgoutputPlugin: it runs every value through node-postgres's type
 * parsers (timestamps become Date and lose their microseconds, floats become numbers) and builds an
 * object per message; the tap needs the text. Decoding the bytes here keeps the text as sent.
 *
 * Anything that does not parse (a message cut short, a tuple whose column count is not its
 * relation's, a change of a relation never described, a message kind version 1 does not send) is
 * a PgoutputError naming it: a change is never skipped on a guess.
 */
import { BinaryReadError, BinaryReader } from './binary-reader.js'
import type { ChangeEvent, ChangeTuple, TruncateEvent } from './change-event.js'

export class PgoutputError extends Error {
  override name = 'PgoutputError'
}

/** One column of a Relation message. */
export interface RelationColumn {
  readonly name: string
  readonly typeOid: number
  readonly typeMod: number
  /** Part of the replica identity (the key; every column under REPLICA IDENTITY FULL). */
  readonly key: boolean
}

export interface RelationInfo {
  readonly oid: number
  readonly schema: string
  readonly table: string
  /** relreplident: d default, n nothing, f full, i index. */
  readonly replicaIdentity: string
  readonly columns: readonly RelationColumn[]
  /** Every column name, in the order tuples send them (one array shared by every change). */
  readonly names: readonly string[]
  /** Indexes of the key columns, and their names: what a `K` tuple carries. */
  readonly keyIndexes: readonly number[]
  readonly keyNames: readonly string[]
}

/** A Truncate names several tables: one event each, in the order sent. */
export interface TruncateMessage {
  readonly action: 'truncate'
  readonly tables: readonly TruncateEvent[]
}

export type PgoutputEvent = ChangeEvent | TruncateMessage

/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000

const TUPLE_NULL = 0x6e // n
const TUPLE_UNCHANGED = 0x75 // u
const TUPLE_TEXT = 0x74 // t
const TUPLE_BINARY = 0x62 // b

export class PgoutputDecoder {
  readonly #relations = new Map<number, RelationInfo>()
  /** Commit time of the open transaction (from its Begin), undefined outside one. */
  #timestamp: string | undefined

  /** The last Relation message for `oid`, if any. */
  relation(oid: number): RelationInfo | undefined {
    return this.#relations.get(oid)
  }

  /** Decodes one XLogData payload. Throws PgoutputError on anything malformed. */
  decode(buf: Buffer): PgoutputEvent {
    const r = new BinaryReader(buf)
    const kind = buf.length > 0 ? String.fromCharCode(buf[0]) : ''
    try {
      const ev = this.#decode(r)
      if (r.remaining !== 0) r.fail(`${r.remaining} bytes after the message`)
      return ev
    } catch (e) {
      if (e instanceof BinaryReadError)
        throw new PgoutputError(`malformed pgoutput message${kind === '' ? '' : ` '${kind}'`}: ${e.message}`)
      throw e
    }
  }

  #decode(r: BinaryReader): PgoutputEvent {
    const type = r.uint8('the message type')
    switch (type) {
      case 0x42: {
        // B
        const commitLsn = r.uint64('the final LSN')
        const timestamp = pgTimestampText(r.int64('the commit time'))
        r.uint32('the xid')
        this.#timestamp = timestamp
        return { action: 'B', timestamp, nextLsn: undefined, commitLsn }
      }
      case 0x43: {
        // C
        r.uint8('the flags')
        r.uint64('the commit LSN')
        r.uint64('the end LSN')
        const timestamp = pgTimestampText(r.int64('the commit time'))
        this.#timestamp = undefined
        return { action: 'C', timestamp, nextLsn: undefined }
      }
      case 0x52: // R
        this.#relation(r)
        return { action: 'other', kind: 'R' }
      case 0x49: {
        // I
        const rel = this.#changed(r)
        if (r.uint8('the tuple kind') !== 0x4e) r.fail("Insert without its 'N' tuple")
        return {
          action: 'I',
          schema: rel.schema,
          table: rel.table,
          timestamp: this.#timestamp,
          columns: tuple(r, rel),
          identity: undefined,
        }
      }
      case 0x55: {
        // U
        const rel = this.#changed(r)
        let kind = r.uint8('the tuple kind')
        let identity: ChangeTuple | undefined
        if (kind === 0x4b || kind === 0x4f) {
          // K, O
          identity = kind === 0x4b ? keyTuple(r, rel) : tuple(r, rel)
          kind = r.uint8('the tuple kind')
        }
        if (kind !== 0x4e) r.fail("Update without its 'N' tuple")
        return {
          action: 'U',
          schema: rel.schema,
          table: rel.table,
          timestamp: this.#timestamp,
          columns: tuple(r, rel),
          identity,
        }
      }
      case 0x44: {
        // D
        const rel = this.#changed(r)
        const kind = r.uint8('the tuple kind')
        if (kind !== 0x4b && kind !== 0x4f) r.fail("Delete without its 'K' or 'O' tuple")
        return {
          action: 'D',
          schema: rel.schema,
          table: rel.table,
          timestamp: this.#timestamp,
          identity: kind === 0x4b ? keyTuple(r, rel) : tuple(r, rel),
        }
      }
      case 0x54: {
        // T
        this.#inTransaction(r, 'Truncate')
        const n = r.int32('the relation count')
        if (n < 0) r.fail(`negative relation count ${n}`)
        r.uint8('the options')
        const tables: TruncateEvent[] = []
        for (let i = 0; i < n; i++) {
          const rel = this.#known(r, r.uint32('a relation oid'))
          tables.push({ action: 'T', schema: rel.schema, table: rel.table, timestamp: this.#timestamp })
        }
        return { action: 'truncate', tables }
      }
      case 0x59: // Y: a type's name, for a subscriber's own type lookup; the tap reads types from the catalog.
        r.uint32('the type oid')
        r.cstring('the type schema')
        r.cstring('the type name')
        return { action: 'other', kind: 'Y' }
      case 0x4f: // O: the origin of a transaction replicated from elsewhere; its changes come anyway.
        r.uint64('the origin LSN')
        r.cstring('the origin name')
        return { action: 'other', kind: 'O' }
      case 0x4d: {
        // M: a logical decoding message (pg_logical_emit_message), never data.
        r.uint8('the flags')
        r.uint64('the message LSN')
        r.cstring('the prefix')
        r.skip(r.int32('the content length'), 'the content')
        return { action: 'other', kind: 'M' }
      }
      default:
        throw new PgoutputError(
          `pgoutput message of unknown type ${describeType(type)} (proto_version 1 does not send it)`,
        )
    }
  }

  #relation(r: BinaryReader): void {
    const oid = r.uint32('the relation oid')
    // An empty namespace means pg_catalog.
    const schema = r.cstring('the schema name') || 'pg_catalog'
    const table = r.cstring('the table name')
    const replicaIdentity = String.fromCharCode(r.uint8('the replica identity'))
    const n = r.int16('the column count')
    if (n < 0) r.fail(`negative column count ${n}`)
    const columns: RelationColumn[] = []
    for (let i = 0; i < n; i++) {
      const flags = r.uint8('the column flags')
      const name = r.cstring('a column name')
      const typeOid = r.uint32('a type oid')
      const typeMod = r.int32('a type modifier')
      columns.push({ name, typeOid, typeMod, key: (flags & 1) === 1 })
    }
    const keyIndexes = columns.flatMap((c, i) => (c.key ? [i] : []))
    this.#relations.set(oid, {
      oid,
      schema,
      table,
      replicaIdentity,
      columns,
      names: columns.map((c) => c.name),
      keyIndexes,
      keyNames: keyIndexes.map((i) => columns[i].name),
    })
  }

  /** The relation a change names; it must be inside a transaction. */
  #changed(r: BinaryReader): RelationInfo {
    this.#inTransaction(r, 'change')
    return this.#known(r, r.uint32('the relation oid'))
  }

  #inTransaction(r: BinaryReader, what: string): void {
    if (this.#timestamp === undefined) r.fail(`${what} outside a transaction (no Begin before it)`)
  }

  #known(r: BinaryReader, oid: number): RelationInfo {
    const rel = this.#relations.get(oid)
    if (rel === undefined) r.fail(`relation ${oid} was never described by a Relation message`)
    return rel
  }
}

/** TupleData of every column of `rel`; unchanged TOAST values are left out, names and values alike. */
function tuple(r: BinaryReader, rel: RelationInfo): ChangeTuple {
  const n = columnCount(r, rel)
  const values: Array<string | null> = new Array(n)
  let unchanged: number[] | undefined
  for (let i = 0; i < n; i++) {
    const kind = r.uint8('a column kind')
    if (kind === TUPLE_TEXT) values[i] = r.utf8(r.int32('a value length'))
    else if (kind === TUPLE_NULL) values[i] = null
    else if (kind === TUPLE_UNCHANGED) {
      unchanged ??= []
      unchanged.push(i)
    } else valueKindError(r, kind)
  }
  if (unchanged === undefined) return { names: rel.names, values }
  const skip = new Set(unchanged)
  const keep = rel.names.flatMap((_, i) => (skip.has(i) ? [] : [i]))
  return { names: keep.map((i) => rel.names[i]), values: keep.map((i) => values[i] as string | null) }
}

/** A `K` tuple: the key columns only (the others are sent as NULL, which they are not). */
function keyTuple(r: BinaryReader, rel: RelationInfo): ChangeTuple {
  const all = tuple(r, rel)
  if (all.names.length !== rel.names.length) r.fail('unchanged TOAST value in a key tuple')
  return { names: rel.keyNames, values: rel.keyIndexes.map((i) => all.values[i]) }
}

function columnCount(r: BinaryReader, rel: RelationInfo): number {
  const n = r.int16('the column count')
  if (n !== rel.names.length)
    r.fail(`tuple of ${n} columns for ${rel.schema}.${rel.table}, described with ${rel.names.length}`)
  return n
}

function valueKindError(r: BinaryReader, kind: number): never {
  if (kind === TUPLE_BINARY) r.fail("binary value ('b'): the tap never asks for binary")
  return r.fail(`unknown column kind ${describeType(kind)}`)
}

function describeType(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? `'${String.fromCharCode(byte)}'`
    : `0x${byte.toString(16).padStart(2, '0')}`
}

/**
 * A TimestampTz (µs since 2000-01-01 UTC) as the server prints it with DateStyle ISO and TimeZone
 * UTC: `2026-11-25 13:42:46.82744+00`, the fraction without trailing zeros and absent when zero.
 * Commit times lie well within what a JS Date holds.
 */
export function pgTimestampText(micros: bigint): string {
  const us = Number(micros)
  const ms = Math.floor(us / 1000)
  const fraction = us - Math.floor(us / 1_000_000) * 1_000_000
  const text = new Date(PG_EPOCH_MS + ms).toISOString()
  const seconds = `${text.slice(0, 10)} ${text.slice(11, 19)}`
  if (fraction === 0) return `${seconds}+00`
  return `${seconds}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}+00`
}

/**
 * The options of `START_REPLICATION ... LOGICAL <lsn> (...)` for pgoutput: protocol version 1 and
 * the publication. pgoutput splits `publication_names` as a list of identifiers (unquoted ones are
 * folded to lower case), so the name goes in double quotes; the replication command's string
 * literal then doubles single quotes (https://www.postgresql.org/docs/15/protocol-replication.html).
 * Options PostgreSQL 10 does not know (`messages`, `streaming`, `binary`) are not sent.
 */
export function pgoutputStartOptions(publication: string): string {
  const identifier = `"${publication.replace(/"/g, '""')}"`
  return `proto_version '1', publication_names '${identifier.replace(/'/g, "''")}'`
}
