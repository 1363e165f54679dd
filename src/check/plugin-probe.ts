/**
 * Is the output plugin usable (wal2json, an extension; pgoutput, built in but subject to
 * output_plugin_libraries on hardened builds)? pg_available_extensions does not list output plugins
 * and reading the library directory needs superuser, so the honest test is the one a LOG_BASED run
 * depends on: create a temporary logical slot with the plugin (the server loads the library and
 * runs its startup callback), then drop it. A temporary slot also vanishes with the session, even
 * if the drop fails.
 */
import { randomBytes } from 'node:crypto'
import type pg from 'pg'

export type PluginProbe =
  | { status: 'ok' }
  /** The library is not installed on the server. */
  | { status: 'missing'; message: string }
  /** The server's output_plugin_libraries does not allow it. */
  | { status: 'not-allowed'; message: string }
  /** max_replication_slots are all taken. */
  | { status: 'no-free-slot'; message: string }
  /** Creating a slot waits for transactions running at the time; they outlasted the timeout. */
  | { status: 'timeout'; message: string }
  | { status: 'error'; message: string }

/** Bounds the wait for running transactions, which logical slot creation cannot skip. */
const PROBE_TIMEOUT_MS = 5000

export async function probeOutputPlugin(
  client: pg.Client,
  plugin: string,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<PluginProbe> {
  const slot = `tap_postgres_check_${randomBytes(6).toString('hex')}`
  try {
    await client.query(`SET statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`)
    await client.query(`SELECT pg_catalog.pg_create_logical_replication_slot($1, $2, true)`, [slot, plugin])
    await client.query('SELECT pg_catalog.pg_drop_replication_slot($1)', [slot]).catch(() => undefined)
    return { status: 'ok' }
  } catch (e) {
    return classifyProbeError(e)
  } finally {
    await client.query('RESET statement_timeout').catch(() => undefined)
  }
}

export function classifyProbeError(e: unknown): PluginProbe {
  const err = e as { code?: string; message?: string }
  const message = (err.message ?? String(e)).split('\n')[0]
  // 58P01 undefined_file: `could not access file "wal2json": No such file or directory`.
  if (err.code === '58P01' || /could not access file/i.test(message)) return { status: 'missing', message }
  if (/may not be used as an output plugin/i.test(message)) return { status: 'not-allowed', message }
  // 53400 configuration_limit_exceeded: `all replication slots are in use`.
  if (err.code === '53400' || /replication slots are in use/i.test(message))
    return { status: 'no-free-slot', message }
  // 57014 query_canceled: our statement_timeout.
  if (err.code === '57014') return { status: 'timeout', message }
  return { status: 'error', message }
}
