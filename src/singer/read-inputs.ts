/**
 * The catalog and state files → typed values. Every defect is one InputError (exit 2) naming the
 * file and what is wrong, raised before anything is read from the database.
 */
import { readFileSync } from 'node:fs'
import { parse as parseLossless, LosslessNumber } from 'lossless-json'
import { InputError, type ErrorCode } from '../errors.js'
import type { Catalog, CatalogEntry } from './catalog-types.js'
import { rawJson, isRawJson, EMPTY_STATE, type Bookmark, type SingerState, type StateValue } from './state.js'
import { jsonString } from '../values/json-text.js'
import { lsnFromState } from '../pg/lsn.js'
import { arrayElementsOfFile, JsonShapeError } from './json-array-elements.js'

function readText(path: string, code: ErrorCode, what: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (e) {
    throw fileError(e, path, code, what)
  }
}

function fileError(e: unknown, path: string, code: ErrorCode, what: string): InputError {
  const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'file cannot be read'
  return new InputError(code, `invalid ${what} ${path}: ${why}`)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

// ---------------------------------------------------------------------------------------- catalog

type Expected = 'boolean' | 'string' | 'string list'

/** The metadata keys the tap reads, with their JSON types (null counts as absent). */
const STREAM_METADATA_TYPES: Readonly<Record<string, Expected>> = {
  selected: 'boolean',
  'is-view': 'boolean',
  'replication-method': 'string',
  'replication-key': 'string',
  'schema-name': 'string',
  'table-key-properties': 'string list',
  'view-key-properties': 'string list',
}
const PROPERTY_METADATA_TYPES: Readonly<Record<string, Expected>> = {
  selected: 'boolean',
  'selected-by-default': 'boolean',
  inclusion: 'string',
}
/** Meltano's overlays at the top level of a stream. */
const TOP_LEVEL_TYPES: Readonly<Record<string, Expected>> = {
  selected: 'boolean',
  replication_method: 'string',
  replication_key: 'string',
  key_properties: 'string list',
}

/** The first key of `o` whose value is not of its expected type, as a sentence. */
function wrongTypes(
  o: Record<string, unknown>,
  types: Readonly<Record<string, Expected>>,
): string | undefined {
  for (const [key, want] of Object.entries(types)) {
    const v = o[key]
    if (v === undefined || v === null) continue
    const ok =
      want === 'string list' ? Array.isArray(v) && v.every((x) => typeof x === 'string') : typeof v === want
    if (!ok)
      return `"${key}" must be ${want === 'boolean' ? 'true or false' : want === 'string' ? 'a string' : 'a list of strings'}`
  }
  return undefined
}

export interface ReadCatalogOptions {
  /** Entries to keep (checked all the same); the others are dropped as soon as they are read. */
  readonly keep?: (entry: CatalogEntry) => boolean
}

/** A catalog file as read: the entries kept, and the id of every entry in the file. */
export interface CatalogRead extends Catalog {
  readonly allStreamIds: ReadonlySet<string>
}

/**
 * The catalog file, read one stream entry at a time (json-array-elements.ts), so that a catalog of
 * thousands of tables is never held whole: only the entries `keep` wants stay in memory.
 */
export function readCatalog(path: string, options: ReadCatalogOptions = {}): CatalogRead {
  const bad = catalogProblem(path)
  const streams: CatalogEntry[] = []
  const allStreamIds = new Set<string>()
  let i = 0
  try {
    for (const text of arrayElementsOfFile(path, 'streams')) {
      let doc: unknown
      try {
        doc = JSON.parse(text)
      } catch (e) {
        throw new InputError(
          'CATALOG_INVALID',
          `invalid catalog ${path}: not JSON (streams[${i}]: ${(e as Error).message})`,
        )
      }
      const entry = catalogEntry(doc, i++, bad)
      allStreamIds.add(entry.tap_stream_id)
      if (options.keep === undefined || options.keep(entry)) streams.push(entry)
    }
  } catch (e) {
    if (typeof (e as NodeJS.ErrnoException).code === 'string' && !(e instanceof InputError))
      throw fileError(e, path, 'CATALOG_INVALID', 'catalog')
    if (!(e instanceof JsonShapeError)) throw e
    if (e.wrongShape) throw bad('expected an object with a "streams" array')
    throw new InputError('CATALOG_INVALID', `invalid catalog ${path}: not JSON (${e.message})`)
  }
  return { streams, allStreamIds }
}

export function parseCatalog(doc: unknown, where = 'catalog'): Catalog {
  const bad = catalogProblem(where)
  if (!isObject(doc) || !Array.isArray(doc.streams)) throw bad('expected an object with a "streams" array')
  return { streams: doc.streams.map((s: unknown, i: number) => catalogEntry(s, i, bad)) }
}

function catalogProblem(where: string): (why: string) => InputError {
  return (why) =>
    new InputError('CATALOG_INVALID', `invalid catalog ${where}: ${why}`, {
      hint: 'use the output of --discover',
    })
}

/** One entry of "streams", checked, with the keys the tap reads filled in. */
function catalogEntry(s: unknown, i: number, bad: (why: string) => InputError): CatalogEntry {
  if (!isObject(s)) throw bad(`streams[${i}] is not an object`)
  if (typeof s.tap_stream_id !== 'string' || s.tap_stream_id === '')
    throw bad(`streams[${i}] has no "tap_stream_id"`)
  const id = s.tap_stream_id
  if (s.stream !== undefined && typeof s.stream !== 'string')
    throw bad(`stream ${id}: "stream" must be a string`)
  if (s.table_name !== undefined && typeof s.table_name !== 'string')
    throw bad(`stream ${id}: "table_name" must be a string`)
  if (s.schema !== undefined && !isObject(s.schema)) throw bad(`stream ${id}: "schema" must be an object`)
  if (s.metadata !== undefined && !Array.isArray(s.metadata))
    throw bad(`stream ${id}: "metadata" must be an array`)
  if (isObject(s.schema) && s.schema.properties !== undefined && !isObject(s.schema.properties))
    throw bad(`stream ${id}: "schema.properties" must be an object`)
  const topProblem = wrongTypes(s, TOP_LEVEL_TYPES)
  if (topProblem !== undefined) throw bad(`stream ${id}: ${topProblem}`)
  for (const [j, m] of ((s.metadata as unknown[] | undefined) ?? []).entries()) {
    if (!isObject(m) || !Array.isArray(m.breadcrumb) || !isObject(m.metadata)) {
      throw bad(`stream ${id}: metadata[${j}] must be {"breadcrumb": [...], "metadata": {...}}`)
    }
    if (!m.breadcrumb.every((x) => typeof x === 'string'))
      throw bad(`stream ${id}: metadata[${j}].breadcrumb must be a list of strings`)
    const problem = wrongTypes(
      m.metadata,
      m.breadcrumb.length === 0 ? STREAM_METADATA_TYPES : PROPERTY_METADATA_TYPES,
    )
    if (problem !== undefined)
      throw bad(`stream ${id}: metadata[${j}] (breadcrumb ${JSON.stringify(m.breadcrumb)}): ${problem}`)
  }
  return {
    ...s,
    stream: (s.stream as string | undefined) ?? (s.table_name as string | undefined) ?? id,
    table_name: (s.table_name as string | undefined) ?? (s.stream as string | undefined) ?? '',
    schema: (s.schema as CatalogEntry['schema'] | undefined) ?? { type: 'object', properties: {} },
    metadata: (s.metadata as CatalogEntry['metadata'] | undefined) ?? [],
  } as CatalogEntry
}

// ------------------------------------------------------------------------------------------ state

/** Numbers come back exact: safe integers as number, larger integers as bigint, others as raw text. */
function exactNumber(text: string): StateValue {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text)
    return Number.isSafeInteger(n) ? n : BigInt(text)
  }
  return rawJson(text)
}

function fromLossless(v: unknown): StateValue {
  if (v instanceof LosslessNumber) return exactNumber(v.value)
  if (Array.isArray(v)) return v.map(fromLossless)
  if (isObject(v)) {
    const out: Record<string, StateValue> = {}
    for (const [k, x] of Object.entries(v)) out[k] = fromLossless(x)
    return out
  }
  return v as StateValue
}

export function readState(path: string | undefined): SingerState {
  if (path === undefined) return EMPTY_STATE
  const text = readText(path, 'STATE_INVALID', 'state')
  if (text.trim() === '') return EMPTY_STATE
  let doc: unknown
  try {
    doc = parseLossless(text, null, {
      parseNumber: (s: string) => new LosslessNumber(s),
      onDuplicateKey: ({ newValue }) => newValue,
    })
  } catch (e) {
    throw new InputError('STATE_INVALID', `invalid state ${path}: not JSON (${(e as Error).message})`)
  }
  return parseState(fromLossless(doc), path)
}

function isInteger(v: StateValue | undefined): v is number | bigint {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint'
}

/** Checks the keys the tap relies on; other keys are kept as they are. */
export function parseState(doc: StateValue, where = 'state'): SingerState {
  const bad = (why: string): InputError => new InputError('STATE_INVALID', `invalid state ${where}: ${why}`)
  if (!isObject(doc)) throw bad('expected a JSON object')
  // Some runners hand over the last STATE message instead of its value.
  const value =
    doc.type === 'STATE' && isObject(doc.value)
      ? (doc.value as Record<string, StateValue>)
      : (doc as Record<string, StateValue>)
  const cs = value.currently_syncing
  if (cs !== undefined && cs !== null && typeof cs !== 'string')
    throw bad('"currently_syncing" must be a string or null')
  const bookmarksIn = value.bookmarks ?? {}
  if (!isObject(bookmarksIn)) throw bad('"bookmarks" must be an object')
  const bookmarks: Record<string, Bookmark> = {}
  for (const [id, b] of Object.entries(bookmarksIn as Record<string, StateValue>)) {
    if (!isObject(b)) throw bad(`bookmarks["${id}"] must be an object`)
    bookmarks[id] = parseBookmark(b as Record<string, StateValue>, (why) => bad(`bookmarks["${id}"]: ${why}`))
  }
  return { currently_syncing: typeof cs === 'string' ? cs : null, bookmarks }
}

function parseBookmark(b: Record<string, StateValue>, bad: (why: string) => InputError): Bookmark {
  const out: Record<string, StateValue | undefined> = { ...b }
  const method = b.last_replication_method
  if (method !== undefined && method !== null && typeof method !== 'string')
    throw bad('"last_replication_method" must be a string')
  if (method === null) delete out.last_replication_method
  if (b.version !== undefined && b.version !== null) {
    if (!isInteger(b.version) || !Number.isSafeInteger(Number(b.version)))
      throw bad('"version" must be an integer')
    out.version = Number(b.version)
  } else {
    delete out.version
  }
  if (b.xmin !== undefined && b.xmin !== null) {
    if (!isInteger(b.xmin) || Number(b.xmin) < 0 || Number(b.xmin) > 0xffffffff)
      throw bad('"xmin" must be a transaction id (integer) or null')
    out.xmin = Number(b.xmin)
  }
  if (b.lsn !== undefined && b.lsn !== null) {
    // pipelinewise writes an integer; digits or "X/Y" text are accepted too.
    const lsn = lsnFromState(b.lsn)
    if (lsn === undefined) throw bad('"lsn" must be an integer LSN')
    out.lsn = lsn
  } else {
    delete out.lsn
  }
  if (b.replication_key !== undefined && b.replication_key !== null && typeof b.replication_key !== 'string')
    throw bad('"replication_key" must be a string')
  const kv = b.replication_key_value
  if (kv === undefined || kv === null) {
    delete out.replication_key_value
  } else if (typeof kv === 'string') {
    out.replication_key_value = rawJson(jsonString(kv))
  } else if (typeof kv === 'number' || typeof kv === 'bigint') {
    out.replication_key_value = rawJson(String(kv))
  } else if (typeof kv === 'boolean') {
    out.replication_key_value = rawJson(String(kv))
  } else if (isRawJson(kv)) {
    out.replication_key_value = kv
  } else {
    throw bad('"replication_key_value" must be a string, number or boolean')
  }
  return out as Bookmark
}
