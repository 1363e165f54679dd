/** The value renderer's public surface (see render.ts; the byte path of table reads: copy-record.ts). */
export { ClampCounter, compileRecordRenderer, renderValue, rendererFor, canClamp } from './render.js'
export type { RecordColumn, ValueRenderer } from './render.js'
export { jsonString, minifyJson } from './json-text.js'
export { ByteSink } from './byte-sink.js'
export { CopyRecordRenderer } from './copy-record.js'
export { copyFieldText, parseUnsigned } from './copy-text.js'
