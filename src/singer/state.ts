/**
 * The Singer STATE (docs/behaviour.md#state): its in-memory form, pure updates, and its exact JSON text.
 *
 * Numbers must survive a round trip with every digit: a bigint replication key value
 * (9223372036854775807) or a numeric one (12345678901234567890.5) does not fit a JS number, and an
 * LSN may exceed 2^53. So a key value is kept as its raw JSON text, LSNs as bigint, and the file is
 * parsed losslessly (read-inputs.ts); bookmarks of streams this run does not touch are written back
 * as they were read.
 */
import { jsonString } from '../values/json-text.js'

/** A JSON value kept as its exact text (a replication key value: a number with all digits, or a string). */
export class RawJson {
  constructor(readonly rawJson: string) {}
}

export function rawJson(text: string): RawJson {
  return new RawJson(text)
}

export function isRawJson(v: unknown): v is RawJson {
  return v instanceof RawJson
}

/** Any value a state may hold: JSON, with exact numbers as bigint or raw text. */
export type StateValue =
  | null
  | boolean
  | string
  | number
  | bigint
  | RawJson
  | readonly StateValue[]
  | { readonly [k: string]: StateValue }

export interface Bookmark {
  readonly last_replication_method?: string
  /** ACTIVATE_VERSION version: epoch milliseconds. */
  readonly version?: number
  /** FULL_TABLE (and the LOG_BASED initial load) in progress: xmin of the last row written; null when done. */
  readonly xmin?: number | null
  readonly replication_key?: string
  /** INCREMENTAL: the key of the last row written, in the record's JSON form (number or string). */
  readonly replication_key_value?: RawJson
  /** LOG_BASED: written as a JSON integer. */
  readonly lsn?: bigint
  /** Keys written by other tap versions are kept as read. */
  readonly [other: string]: StateValue | undefined
}

export interface SingerState {
  readonly currently_syncing: string | null
  readonly bookmarks: { readonly [tapStreamId: string]: Bookmark }
}

export const EMPTY_STATE: SingerState = { currently_syncing: null, bookmarks: {} }

export type ReplicationMethodName = 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED'

export function getBookmark(state: SingerState, tapStreamId: string): Bookmark {
  return state.bookmarks[tapStreamId] ?? {}
}

/** Changes to one bookmark; `undefined` removes the key. */
export type BookmarkPatch = { readonly [K in keyof Bookmark]?: Bookmark[K] | undefined }

export function patchBookmark(state: SingerState, tapStreamId: string, patch: BookmarkPatch): SingerState {
  return {
    ...state,
    bookmarks: { ...state.bookmarks, [tapStreamId]: patchedBookmark(getBookmark(state, tapStreamId), patch) },
  }
}

/** `bookmark` with `patch` applied (a new object). */
export function patchedBookmark(bookmark: Bookmark, patch: BookmarkPatch): Bookmark {
  const merged: Record<string, StateValue | undefined> = { ...bookmark }
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete merged[k]
    else merged[k] = v
  }
  return merged as Bookmark
}

/**
 * A stream's bookmark as this run may use it (pipelinewise's clear_state_on_replication_change):
 * when the method changed, or an INCREMENTAL stream's key changed, the old bookmark means nothing
 * for the new method and resets to `{last_replication_method: <new>}`.
 */
export function reconcileBookmark(
  bookmark: Bookmark,
  method: ReplicationMethodName,
  replicationKey: string | undefined,
): Bookmark {
  const last = bookmark.last_replication_method
  const methodChanged = last !== undefined && last !== method
  const keyChanged =
    method === 'INCREMENTAL' &&
    bookmark.replication_key !== undefined &&
    bookmark.replication_key !== replicationKey
  if (methodChanged || keyChanged) return { last_replication_method: method }
  return { ...bookmark, last_replication_method: method }
}

/** The STATE value as one line of JSON text with every number exact. */
export function stateJson(state: SingerState): string {
  return writeValue({
    currently_syncing: state.currently_syncing,
    bookmarks: state.bookmarks,
  } as unknown as StateValue)
}

function writeValue(v: StateValue | undefined): string {
  if (v === null || v === undefined) return 'null'
  switch (typeof v) {
    case 'string':
      return jsonString(v)
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null'
    case 'bigint':
      return v.toString()
    case 'boolean':
      return v ? 'true' : 'false'
  }
  if (isRawJson(v)) return v.rawJson
  if (Array.isArray(v)) return `[${v.map(writeValue).join(',')}]`
  const parts: string[] = []
  for (const [k, x] of Object.entries(v as { readonly [k: string]: StateValue | undefined })) {
    if (x !== undefined) parts.push(`${jsonString(k)}:${writeValue(x)}`)
  }
  return `{${parts.join(',')}}`
}

/**
 * The text to bind as the INCREMENTAL query parameter for a key value: a JSON string's contents,
 * or a number's digits. The server casts it to the key column's type.
 */
export function keyValueParameter(value: RawJson): string {
  const t = value.rawJson
  if (t.startsWith('"')) return JSON.parse(t) as string
  return t
}
