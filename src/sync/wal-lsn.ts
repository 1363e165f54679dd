import type pg from 'pg'
import { parseLsn } from '../pg/lsn.js'
import { queryError } from '../pg/pg-errors.js'

/** pg_current_wal_lsn() on the primary: the run's end_lsn (docs/lsn-and-state.md). */
export async function currentWalLsn(client: pg.Client): Promise<bigint> {
  try {
    const r = await client.query<{ lsn: string }>('SELECT pg_catalog.pg_current_wal_lsn()::text AS lsn')
    return parseLsn(r.rows[0].lsn)
  } catch (e) {
    throw queryError(e, 'reading the current WAL position (pg_current_wal_lsn)')
  }
}
