/**
 * The value renderer's public surface: the string renderer (render.ts) and the byte path of table
 * reads (copy-record.ts: COPY text rows → record bytes).
 */
export { ClampCounter, compileRecordRenderer, renderValue } from './render.js'
export type { RecordColumn } from './render.js'
export { jsonString } from './json-text.js'
export { ByteSink } from './byte-sink.js'
export { CopyRecordRenderer } from './copy-record.js'
export { copyFieldText, parseUnsigned } from './copy-text.js'
