/** The value renderer's public surface (see render.ts). */
export { ClampCounter, compileRecordRenderer, renderValue } from './render.js'
export type { RecordColumn } from './render.js'
export { jsonString } from './json-text.js'
