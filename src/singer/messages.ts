/**
 * Singer message lines (docs/behaviour.md#messages), each one line of JSON text ending in '\n'. RECORD lines are built
 * in the worker threads from a prefix and suffix computed once per stream (and per fetch for
 * time_extracted), around the record text the value renderer produces, so no record is ever
 * re-serialised.
 */
import { jsonString } from '../values/json-text.js'
import { stringifyJson } from './json.js'
import { stateJson, type SingerState } from './state.js'
import type { JsonSchema } from './catalog-types.js'

export function schemaLine(
  stream: string,
  schema: JsonSchema,
  keyProperties: readonly string[],
  bookmarkProperties: readonly string[],
): string {
  // stringifyJson writes BigInt bounds (±2^63, 10^38) with every digit.
  return `{"type":"SCHEMA","stream":${jsonString(stream)},"schema":${stringifyJson(schema)},"key_properties":${stringifyJson(keyProperties)},"bookmark_properties":${stringifyJson(bookmarkProperties)}}\n`
}

export function stateLine(state: SingerState): string {
  return `{"type":"STATE","value":${stateJson(state)}}\n`
}

export function activateVersionLine(stream: string, version: number): string {
  return `{"type":"ACTIVATE_VERSION","stream":${jsonString(stream)},"version":${version}}\n`
}

/** Everything of a RECORD line before the record object. */
export function recordPrefix(stream: string): string {
  return `{"type":"RECORD","stream":${jsonString(stream)},"record":`
}

/** Everything after the record object, without the newline. */
export function recordSuffix(version: number | undefined, timeExtracted: Date): string {
  const v = version === undefined ? '' : `,"version":${version}`
  return `${v},"time_extracted":"${timeExtracted.toISOString()}"}`
}
