import type pg from 'pg'

/**
 * The logical decoding plugins every LOG_BASED end-to-end test runs on. A test that streams changes
 * is written once and parameterised over this list (`describe.each(LOG_BASED_PLUGINS)`), so a new
 * plugin is covered by adding it here: pgoutput (the default for new slots) and wal2json.
 */
export const LOG_BASED_PLUGINS = ['pgoutput', 'wal2json'] as const
export type LogBasedPlugin = (typeof LOG_BASED_PLUGINS)[number]

/** `tap-postgres slot create` arguments for a slot of `plugin`. */
export function slotCreateArgs(config: string, plugin: LogBasedPlugin): string[] {
  return ['slot', 'create', '--plugin', plugin, '--config', config]
}

/**
 * A slot of `plugin` made in SQL as `slot create` makes it: for pgoutput its publication (named
 * after the slot, empty: runs add their tables) first, since pgoutput cannot decode WAL from before
 * its publication existed.
 */
export async function createSlotSql(client: pg.Client, slot: string, plugin: LogBasedPlugin): Promise<void> {
  if (plugin === 'pgoutput') {
    const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [slot])
    if (exists.rowCount === 0) await client.query(`CREATE PUBLICATION "${slot.replace(/"/g, '""')}"`)
  }
  await client.query('SELECT pg_create_logical_replication_slot($1, $2)', [slot, plugin])
}
