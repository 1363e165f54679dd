/**
 * The worker-side hooks of a chunk read (table-reader.ts calls them): the pages to select, the log
 * context naming the chunk, and the snapshot import that must be the transaction's first statement.
 */
import type pg from 'pg'
import type { CtidPages } from '../pg/sql.js'
import type { SnapshotImportedMessage, TableTask } from '../protocol/messages.js'

const SNAPSHOT_NAME = /^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/i

/** SET TRANSACTION SNAPSHOT takes no parameter: the name is checked before it is spliced in. */
export function importStatement(name: string): string {
  if (!SNAPSHOT_NAME.test(name)) throw new Error(`not a snapshot name: ${JSON.stringify(name)}`)
  return `SET TRANSACTION SNAPSHOT '${name}'`
}

export function chunkPagesOf(task: TableTask): CtidPages | undefined {
  if (task.kind !== 'fullTable' || task.chunk === undefined) return undefined
  const c = task.chunk
  return { from: c.fromPage, to: c.toPage, changedSince: c.changedSince }
}

export function chunkLogContext(task: TableTask): { chunk?: string } {
  return task.kind === 'fullTable' && task.chunk !== undefined ? { chunk: task.chunk.label } : {}
}

/**
 * Right after BEGIN: a chunk reads the run's exported snapshot, and tells the main thread, which
 * releases the exporter once every chunk has imported it.
 */
export async function importChunkSnapshot(
  client: pg.Client,
  task: TableTask,
  channel: { post(m: SnapshotImportedMessage): void },
): Promise<void> {
  if (task.kind !== 'fullTable' || task.chunk === undefined) return
  await client.query(importStatement(task.chunk.snapshot))
  const imported: SnapshotImportedMessage = { type: 'snapshotImported' }
  channel.post(imported)
}
