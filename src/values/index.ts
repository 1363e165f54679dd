/** The value renderer's public surface (see render.ts). */
export { ClampCounter, compileRecordRenderer, renderValue, rendererFor, canClamp } from './render.js'
export type { RecordColumn, ValueRenderer } from './render.js'
export { jsonString, minifyJson } from './json-text.js'
