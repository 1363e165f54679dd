/**
 * One transaction of 500,000 changes, streamed whole in bounded memory, by a run that waits while
 * the server reads that transaction. The server sends nothing of a transaction until it has decoded
 * all of it up to its commit (seconds here); with logical_poll_total_seconds 1 a run that took that
 * silence for idleness would end having written nothing. With break_at_end_lsn the server's
 * keepalives, whose position moves towards end_lsn while it reads, count as activity
 * (src/replication/stop-rule.ts). Peak RSS comes from /proc (scripts/bench/measure.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTapMeasured } from '../../scripts/bench/measure.js'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { BIN, runTap } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  selectStreams,
  writeCatalog,
} from '../sync/catalog-helpers.js'
import { LOG_BASED_PLUGINS, slotCreateArgs } from './plugins.js'

const CHANGES = 500_000
const MAX_RSS_MB = 300

let db: string
beforeAll(async () => {
  db = await createTestDatabase('bigtx')
})
afterAll(async () => {
  await dropTestDatabase(db)
})

describe.each(LOG_BASED_PLUGINS)('one transaction of 500,000 changes (%s)', (plugin) => {
  it(`streams every change with peak RSS under ${MAX_RSS_MB} MB, waiting while the server decodes`, async () => {
    const table = `bigtx_${plugin}`
    await withAdmin(db, (c) =>
      c.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text, n numeric, a int[], h hstore)`),
    )
    const config = writeConfig(db, {
      replication_slot_name: `bigtx_${plugin}`,
      logical_poll_total_seconds: 1,
      break_at_end_lsn: true,
    })
    expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
    const catalog = writeCatalog(
      selectStreams(await discoverCatalog(config), { [table]: { method: 'LOG_BASED' } }),
    )
    const first = await runTap(['sync', '--config', config, '--catalog', catalog])
    expectSuccess(first)
    const statePath = join(mkdtempSync(join(tmpdir(), 'bigtx-')), 'state.json')
    writeFileSync(statePath, JSON.stringify(lastState(first.messages)))

    await withAdmin(db, async (c) => {
      await c.query(
        `INSERT INTO ${table} SELECT i, repeat('x', 40) || i, i * 1.5, ARRAY[i, NULL, -i], hstore('k', i::text)
         FROM generate_series(1, ${CHANGES}) i`,
      )
      await c.query('CHECKPOINT')
    })

    const run = await runTapMeasured({
      bin: BIN,
      args: ['sync', '--config', config, '--catalog', catalog, '--state', statePath],
    })
    expect(run.exitCode, run.stderrTail).toBe(0)
    expect(run.records).toBe(CHANGES)
    expect(run.stderrTail).toContain('caught up with')
    expect(run.peakRssMb).toBeGreaterThan(0)
    expect(run.peakRssMb).toBeLessThan(MAX_RSS_MB)
    process.stderr.write(
      `big transaction (${plugin}): ${CHANGES} changes, peak RSS ${run.peakRssMb.toFixed(0)} MB, ${run.wallSeconds.toFixed(1)} s\n`,
    )
  })
})
