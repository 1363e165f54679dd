/**
 * `plan`: the selected streams of a catalog split into shard catalogs balanced by estimated size,
 * after checking that the server can carry the whole fleet. One short-lived connection (to the
 * server table reads use), two queries; nothing is written unless the plan is accepted.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { TapConfig } from '../config/tap-config.js'
import { InputError } from '../errors.js'
import type { Catalog, CatalogEntry } from '../singer/catalog-types.js'
import { isStreamSelected } from '../catalog/metadata.js'
import { readServerFacts } from '../check/server-facts.js'
import { describeTarget, withClient } from '../pg/connect.js'
import { queryError } from '../pg/pg-errors.js'
import { readCatalog } from '../singer/read-inputs.js'
import { selectStreams } from '../sync/plan.js'
import { fleetBudget } from './fleet.js'
import { formatPlan } from './report.js'
import { splitStreams, type Shard, type SizedStream } from './split.js'
import { readTableSizes, type TableSize } from './table-sizes.js'

export interface PlanOptions {
  readonly config: TapConfig
  readonly catalogPath: string
  readonly shards: number
  readonly outDir: string
}

function shardFileName(index: number): string {
  return `shard-${index}.catalog.json`
}

const SHARD_FILE = /^shard-(\d+)\.catalog\.json$/

/** Returns the plan's text lines; throws an InputError (exit 2) when the plan is refused. */
export async function runPlan(opts: PlanOptions): Promise<string[]> {
  const { config } = opts
  const catalog = readCatalog(opts.catalogPath)
  const selected = selectStreams(catalog, config)
  // Refused before connecting when the shard count cannot work whatever the sizes.
  splitStreams(
    selected.map((s) => ({ tapStreamId: s.tapStreamId, method: s.method, bytes: 0, rows: 0 })),
    opts.shards,
  )

  const { facts, sizes } = await withClient(config, { target: 'read' }, async (client) => {
    try {
      const facts = await readServerFacts(client)
      const sizes = await readTableSizes(client, selected)
      return { facts, sizes }
    } catch (e) {
      throw queryError(e, 'reading table sizes and connection limits')
    }
  })
  const byName = new Map(sizes.map((t) => [JSON.stringify([t.schemaName, t.tableName]), t]))
  const sized: SizedStream[] = selected.map((s) =>
    sizedStream(s.tapStreamId, s.method, byName.get(JSON.stringify([s.schemaName, s.tableName]))),
  )
  const shards = splitStreams(sized, opts.shards)
  const budget = fleetBudget(config, facts, shards)
  if (budget.refusal !== undefined) {
    throw new InputError('USAGE', `plan refused: ${budget.refusal}`, {
      hint: "use fewer --shards or a lower max_workers, or raise the server's limit",
    })
  }

  const files = writeShardCatalogs(catalog, shards, opts.outDir)
  return formatPlan(
    {
      catalogPath: opts.catalogPath,
      server: describeTarget(config, 'read'),
      shards,
      files: files.written,
      budget,
      unselected: catalog.streams.filter((e) => !isStreamSelected(e)).length,
      removedFiles: files.removed,
    },
    config,
  )
}

function sizedStream(
  tapStreamId: string,
  method: SizedStream['method'],
  size: TableSize | undefined,
): SizedStream {
  if (size === undefined) return { tapStreamId, method, bytes: 0, rows: 0, unsized: 'table not found' }
  if (size.relkind === 'v') return { tapStreamId, method, bytes: 0, rows: 0, unsized: 'a view' }
  return { tapStreamId, method, bytes: size.bytes, rows: size.rows }
}

/**
 * DIR/shard-<i>.catalog.json: the catalog's entries of the shard's streams, as selected in the
 * input (column selections included); streams not selected are left out. Shard catalogs left by an
 * earlier plan with more shards are removed, so a fleet started from the directory's files never
 * runs a stream twice. Each file is written whole (temporary file, then rename).
 */
function writeShardCatalogs(
  catalog: Catalog,
  shards: readonly Shard[],
  outDir: string,
): { written: string[]; removed: string[] } {
  const dir = resolve(outDir)
  try {
    mkdirSync(dir, { recursive: true })
  } catch (e) {
    throw new InputError(
      'USAGE',
      `--out ${outDir}: cannot create the directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
  const byId = new Map<string, CatalogEntry>(catalog.streams.map((e) => [e.tap_stream_id, e]))
  const written: string[] = []
  for (const shard of shards) {
    const path = join(dir, shardFileName(shard.index))
    const doc: Catalog = { streams: shard.streams.map((s) => byId.get(s.tapStreamId) as CatalogEntry) }
    const tmp = `${path}.tmp-${process.pid}`
    try {
      writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n')
      renameSync(tmp, path)
    } catch (e) {
      throw new InputError(
        'USAGE',
        `--out ${outDir}: cannot write ${shardFileName(shard.index)} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      )
    }
    written.push(path)
  }
  const removed: string[] = []
  for (const name of readdirSync(dir)) {
    const m = SHARD_FILE.exec(name)
    if (m !== null && Number(m[1]) > shards.length) {
      rmSync(join(dir, name), { force: true })
      removed.push(name)
    }
  }
  return { written, removed }
}
