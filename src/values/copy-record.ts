/**
 * COPY text rows → RECORD lines, byte to byte (the table-read hot path).
 *
 * The common kinds are written straight from the row's bytes into the output as JSON text
 * (typed-bytes.ts, json-bytes.ts), with no JS string or object per value: integers and numerics
 * copied, text JSON-escaped, json minified, arrays of numbers or text nested, the common date/time
 * forms rearranged. A field with no backslash (most of them) is read and written in one pass, up to
 * its tab; a field with one (an escape, or `\N` for NULL) is read first by the COPY text parser
 * (copy-text.ts) and written from its unescaped bytes. The result is byte for byte what the string
 * renderers (render.ts) give for the same value; every other form and kind (hstore through its one
 * scanner in hstore.ts, bytea, time, ...) is decoded to a JS string and goes through them.
 */
import type { PgValueType } from './pg-type.js'
import { type ByteSink, copyBytes } from './byte-sink.js'
import { CopyFieldReader, copyPlainField } from './copy-text.js'
import { jsonString } from './json-text.js'
import { TEXT_COPY_FIELD, TEXT_PLAIN, writeJsonString, writeMinifiedJson, writeNullAt } from './json-bytes.js'
import { canClamp, rendererFor, type ClampCounter, type RecordColumn } from './render.js'
import {
  arrayElementCode,
  isSpecialNumber,
  writeArray,
  writeBoolean,
  writeDate,
  writeNumber,
  writeTimestamp,
} from './typed-bytes.js'

const TAB = 0x09
const BACKSLASH = 0x5c

// Column kinds of the byte writers; everything else goes through a string renderer.
const K_STRING = 0
const K_INTEGER = 1
const K_NUMBER = 2
const K_BOOLEAN = 3
const K_TEXT = 4
const K_DATE = 5
const K_TIMESTAMP = 6
const K_TIMESTAMPTZ = 7
const K_JSON = 8
const K_ARRAY = 9

function kindCode(type: PgValueType): number {
  switch (type.kind) {
    case 'integer':
      return K_INTEGER
    case 'numeric':
    case 'float':
      return K_NUMBER
    case 'boolean':
      return K_BOOLEAN
    case 'text':
      return K_TEXT
    case 'date':
      return K_DATE
    case 'timestamp':
      return K_TIMESTAMP
    case 'timestamptz':
      return K_TIMESTAMPTZ
    case 'json':
      return K_JSON
    case 'array':
      return arrayElementCode(type) >= 0 ? K_ARRAY : K_STRING
    default:
      return K_STRING
  }
}

/** Room per column for a fixed-size value (a timestamp: 36 bytes) and quotes. */
const ROOM_PER_COLUMN = 40

/**
 * Renders COPY text rows of `columns` (possibly followed by more fields, e.g. the xmin bookmark) as
 * `{"col":value,...}` into a ByteSink. `renderRow` returns the index where the fields after the
 * columns start (past the last column's tab), and remembers where the field of `markColumn` is.
 */
export class CopyRecordRenderer {
  readonly #n: number
  readonly #kinds: Uint8Array
  readonly #elements: Int8Array
  readonly #keys: Buffer[]
  readonly #renderers: Array<(text: string) => string>
  readonly #markColumn: number
  readonly #field = new CopyFieldReader()
  /** Start and end of the mark column's field (raw, escapes kept) in the last row, or -1 when it was NULL. */
  markStart = -1
  markEnd = -1

  constructor(columns: readonly RecordColumn[], clamps?: ClampCounter, markColumn = -1) {
    const n = columns.length
    this.#n = n
    this.#markColumn = markColumn
    this.#kinds = new Uint8Array(n)
    this.#elements = new Int8Array(n)
    this.#keys = []
    this.#renderers = []
    for (let k = 0; k < n; k++) {
      const { name, type } = columns[k]
      const key = Buffer.from((k === 0 ? '{' : ',') + jsonString(name) + ':', 'utf8')
      this.#keys.push(key)
      this.#kinds[k] = kindCode(type)
      this.#elements[k] = arrayElementCode(type)
      const r = rendererFor(type)
      if (clamps && canClamp(type)) {
        const onClamp = (): void => clamps.add(name)
        this.#renderers.push((text) => r(text, onClamp))
      } else {
        this.#renderers.push(r as (text: string) => string)
      }
    }
  }

  /**
   * Writes the value of column `k` from `buf[i, end)` and returns where its text ended (the caller
   * checks that it is the field's end), or -1. `copyField`: `buf` is the raw row and `end` its end,
   * so the value is read up to its field's tab in the same pass (a backslash gives -1).
   */
  #write(k: number, buf: Buffer, i: number, end: number, sink: ByteSink, copyField: boolean): number {
    switch (this.#kinds[k]) {
      case K_INTEGER:
      case K_NUMBER: {
        if (!copyField) return writeNumber(buf, i, end, sink)
        if (isSpecialNumber(buf, i)) return -1
        const j = copyPlainField(buf, i, end, sink.buf, sink.pos)
        if (j >= 0) sink.pos += j - i
        return j
      }
      case K_TEXT:
        return writeJsonString(buf, i, end, sink, copyField ? TEXT_COPY_FIELD : TEXT_PLAIN)
      case K_BOOLEAN:
        return writeBoolean(buf, i, end, sink)
      case K_DATE:
        return writeDate(buf, i, end, sink)
      case K_TIMESTAMP:
        return writeTimestamp(buf, i, end, sink, false)
      case K_TIMESTAMPTZ:
        return writeTimestamp(buf, i, end, sink, true)
      case K_JSON:
        return writeMinifiedJson(buf, i, end, sink, copyField)
      case K_ARRAY:
        return writeArray(buf, i, end, sink, this.#elements[k], copyField)
      default:
        return -1
    }
  }

  /** `src[start, rowEnd)` is one row without its '\n'. */
  renderRow(src: Buffer, start: number, rowEnd: number, sink: ByteSink): number {
    const n = this.#n
    if (n === 0) {
      sink.writeBytes(EMPTY_OBJECT)
      return start
    }
    const keys = this.#keys
    const field = this.#field
    let i = start
    for (let k = 0; k < n; k++) {
      if (i > rowEnd) throw new Error(`COPY row has fewer fields than the ${n} columns read`)
      const key = keys[k]
      // Room for the key, a fixed-size value, and whatever writes at most what it reads (at most
      // the rest of the row); text, json and arrays make room for more themselves.
      sink.ensure(key.length + ROOM_PER_COLUMN + (rowEnd - i))
      const at = copyBytes(key, 0, key.length, sink.buf, sink.pos)
      sink.pos = at
      // Most fields have no backslash (no escape, not NULL): read and written in one pass.
      let end = this.#write(k, src, i, rowEnd, sink, true)
      if (end < 0 || (end < rowEnd && src[end] !== TAB)) {
        // Read the field first (escapes undone), then write it; what the first try wrote is dropped.
        sink.pos = at
        end = field.next(src, i, rowEnd)
        if (field.isNull) {
          sink.pos = writeNullAt(sink.buf, at)
        } else {
          sink.ensure(ROOM_PER_COLUMN + (field.end - field.start))
          const to = this.#write(k, field.buf, field.start, field.end, sink, false)
          if (to !== field.end) {
            // Not a form the byte writers know: the string renderer takes it.
            sink.pos = at
            sink.writeString(this.#renderers[k](field.text()))
          }
        }
      }
      if (k === this.#markColumn) {
        const isNull = end === i + 2 && src[i] === BACKSLASH && src[i + 1] === 0x4e
        this.markStart = isNull ? -1 : i
        this.markEnd = isNull ? -1 : end
      }
      i = end + 1
    }
    sink.ensure(1)
    sink.buf[sink.pos++] = 0x7d // }
    return i
  }
}

const EMPTY_OBJECT = Buffer.from('{}')
