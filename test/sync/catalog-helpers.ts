/** Catalogs for sync tests: discover through the built CLI, then select streams as a user (or Meltano) would. */
import { expect } from 'vitest'
import type { Catalog, CatalogEntry, StreamMetadata } from '../../src/singer/catalog-types.js'
import { writeJsonFile } from '../harness/pg.js'
import { runTap, type SingerMessage, type TapResult } from '../harness/run-tap.js'

export async function discoverCatalog(configPath: string): Promise<Catalog> {
  const r = await runTap(['discover', '--config', configPath])
  if (r.code !== 0) throw new Error(`discover failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as Catalog
}

export interface Selection {
  method: 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED' | string
  key?: string
  /** Columns to mark `selected: false`. */
  deselect?: string[]
}

function streamMd(entry: CatalogEntry): StreamMetadata {
  const m = entry.metadata.find((x) => x.breadcrumb.length === 0)
  if (!m) throw new Error(`no [] metadata in ${entry.tap_stream_id}`)
  return m.metadata as StreamMetadata
}

/** A copy of `catalog` with exactly the given streams selected (by table name or tap_stream_id). */
export function selectStreams(catalog: Catalog, selections: Record<string, Selection>): Catalog {
  const copy = JSON.parse(JSON.stringify(catalog)) as Catalog
  for (const entry of copy.streams) {
    const sel = selections[entry.tap_stream_id] ?? selections[entry.table_name]
    if (!sel) continue
    const md = streamMd(entry)
    md.selected = true
    md['replication-method'] = sel.method
    if (sel.key !== undefined) md['replication-key'] = sel.key
    for (const col of sel.deselect ?? []) {
      const m = entry.metadata.find((x) => x.breadcrumb[0] === 'properties' && x.breadcrumb[1] === col)
      if (!m) throw new Error(`no column ${col} in ${entry.tap_stream_id}`)
      ;(m.metadata as Record<string, unknown>).selected = false
    }
  }
  for (const name of Object.keys(selections)) {
    if (!copy.streams.some((s) => s.tap_stream_id === name || s.table_name === name))
      throw new Error(`no stream ${name} in the catalog`)
  }
  return copy
}

export function writeCatalog(catalog: Catalog): string {
  return writeJsonFile('catalog.json', catalog)
}

export function records(messages: SingerMessage[], stream?: string): Record<string, unknown>[] {
  return messages
    .filter((m) => m.type === 'RECORD' && (stream === undefined || m.stream === stream))
    .map((m) => m.record as Record<string, unknown>)
}

export function states(
  messages: SingerMessage[],
): Array<{ currently_syncing: string | null; bookmarks: Record<string, Record<string, unknown>> }> {
  return messages
    .filter((m) => m.type === 'STATE')
    .map(
      (m) =>
        m.value as { currently_syncing: string | null; bookmarks: Record<string, Record<string, unknown>> },
    )
}

export function lastState(messages: SingerMessage[]): {
  currently_syncing: string | null
  bookmarks: Record<string, Record<string, unknown>>
} {
  const all = states(messages)
  if (all.length === 0) throw new Error('no STATE message')
  return all[all.length - 1]
}

/** The raw stdout line of each RECORD of `stream`, in order. */
export function recordLines(stdout: string, stream: string): string[] {
  const prefix = `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`
  return stdout.split('\n').filter((l) => l.startsWith(prefix))
}

/** The raw text of the record object in a RECORD line. */
export function recordText(line: string): string {
  const start = line.indexOf('"record":') + '"record":'.length
  const end = line.lastIndexOf(',"version":')
  return line.slice(start, end)
}

export function expectSuccess(r: TapResult): void {
  if (r.code !== 0) throw new Error(`tap exited ${r.code}: ${r.stderr.slice(-3000)}`)
  expect(r.code).toBe(0)
}

/** `tap-postgres sync` through the built CLI, with the state (if any) written to a file first. */
export function sync(
  config: string,
  catalog: string,
  state?: unknown,
  opts: Parameters<typeof runTap>[1] = {},
): Promise<TapResult> {
  const args = ['sync', '--config', config, '--catalog', catalog]
  if (state !== undefined) args.push('--state', writeJsonFile('state.json', state))
  return runTap(args, { timeoutMs: 170_000, ...opts })
}
