import { describe, expect, it } from 'vitest'
import { withAdmin } from './pg.js'

describe('throwaway cluster', () => {
  it('runs PostgreSQL 15 with wal_level=logical and wal2json', async () => {
    await withAdmin('postgres', async (c) => {
      const v = await c.query('SHOW server_version_num')
      expect(Number(v.rows[0].server_version_num)).toBeGreaterThanOrEqual(150000)
      const w = await c.query('SHOW wal_level')
      expect(w.rows[0].wal_level).toBe('logical')
      await c.query(`SELECT pg_create_logical_replication_slot('harness_probe', 'wal2json', true)`)
      const s = await c.query(`SELECT plugin FROM pg_replication_slots WHERE slot_name = 'harness_probe'`)
      expect(s.rows[0].plugin).toBe('wal2json')
    })
  })
})
