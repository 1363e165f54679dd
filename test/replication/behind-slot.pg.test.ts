/**
 * A STATE behind the slot (README "What LOG_BASED refuses, and why"), end to end through the built
 * CLI: after the slot has moved past a STATE (a later run confirmed a later STATE), that older
 * STATE is handed back. `state_behind_slot: fail` (the default) refuses the whole run before any
 * output; `reload` loads the table again under a new version, then streams; `continue` streams
 * from the slot's position with a warning (the changes in between are missing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatLsn, parseLsn } from '../../src/pg/lsn.js'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import type { TapResult } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  records,
  selectStreams,
  sync,
  writeCatalog,
} from '../sync/catalog-helpers.js'
import { createSlotSql, LOG_BASED_PLUGINS } from './plugins.js'

type State = ReturnType<typeof lastState>

let db: string

beforeAll(async () => {
  db = await createTestDatabase('behindslot')
})
afterAll(async () => {
  await dropTestDatabase(db)
})

async function sql(text: string, values?: unknown[]): Promise<Array<Record<string, string>>> {
  return withAdmin(db, async (c) => (await c.query(text, values)).rows as Array<Record<string, string>>)
}

const lsnOf = (state: State, stream: string): bigint => BigInt(state.bookmarks[stream].lsn as number)
const ids = (r: TapResult, stream: string): number[] => records(r.messages, stream).map((x) => x.id as number)

describe.each(LOG_BASED_PLUGINS)('LOG_BASED: a STATE behind the slot (%s)', (plugin) => {
  const slot = `behind_${plugin}`
  const t = `public-t_${plugin}`
  let catalog: string
  let state1: State
  let state2: State
  let slotAt: bigint
  let reloadState: State

  const config = (extra: Record<string, unknown> = {}) =>
    writeConfig(db, { replication_slot_name: slot, ...extra })

  beforeAll(async () => {
    await sql(
      `CREATE TABLE t_${plugin} (id int PRIMARY KEY, v text); CREATE TABLE side_${plugin} (id int PRIMARY KEY)`,
    )
    await sql(
      `INSERT INTO t_${plugin} SELECT i, 'load' FROM generate_series(1, 10) i; INSERT INTO side_${plugin} VALUES (1), (2)`,
    )
    await withAdmin(db, (c) => createSlotSql(c, slot, plugin))
    catalog = writeCatalog(
      selectStreams(await discoverCatalog(config()), {
        [`t_${plugin}`]: { method: 'LOG_BASED' },
        [`side_${plugin}`]: { method: 'FULL_TABLE' },
      }),
    )
  })

  it("run 1 loads, run 2 streams changes A, run 3 streams changes B and moves the slot to run 2's STATE", async () => {
    const run1 = await sync(config(), catalog)
    expectSuccess(run1)
    expect(ids(run1, t)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
    state1 = lastState(run1.messages)

    // Changes A: only run 2 streams them; a target holding state1 has not got them.
    await sql(
      `INSERT INTO t_${plugin} SELECT i, 'A' FROM generate_series(11, 20) i; UPDATE t_${plugin} SET v = 'A' WHERE id = 1; DELETE FROM t_${plugin} WHERE id = 2`,
    )
    await sql('CHECKPOINT')
    const run2 = await sync(config(), catalog, state1)
    expectSuccess(run2)
    expect(ids(run2, t)).toEqual([...Array.from({ length: 10 }, (_, i) => i + 11), 1, 2])
    state2 = lastState(run2.messages)

    // Changes B, streamed by run 3, whose pre-flush confirms state2's lsn.
    await sql(`INSERT INTO t_${plugin} SELECT i, 'B' FROM generate_series(21, 25) i`)
    await sql('CHECKPOINT')
    const run3 = await sync(config(), catalog, state2)
    expectSuccess(run3)
    expect(ids(run3, t)).toEqual([21, 22, 23, 24, 25])
    const [row] = await sql(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    )
    slotAt = parseLsn(row.lsn)
    expect(slotAt).toBe(lsnOf(state2, t))
    expect(lsnOf(state1, t)).toBeLessThan(slotAt)
  })

  it("a bookmark exactly at the slot's confirmed_flush_lsn is the normal case: it streams", async () => {
    const r = await sync(config(), catalog, state2)
    expectSuccess(r)
    expect(ids(r, t)).toEqual([21, 22, 23, 24, 25])
    expect(r.stderr).not.toContain('behind replication slot')
  })

  it("default (fail): exit 2, one line naming the stream, its lsn, the slot's confirmed_flush_lsn and the way out, and no output at all", async () => {
    const r = await sync(config(), catalog, state1)
    expect(r.code, r.stderr).toBe(2)
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors).toHaveLength(1)
    const b = lsnOf(state1, t)
    expect(errors[0]).toBe(
      `error: stream ${t}: its bookmark lsn ${formatLsn(b)} (${b}) is behind replication slot "${slot}"'s confirmed_flush_lsn ${formatLsn(slotAt)} (${slotAt}): ` +
        'the changes in between were consumed by a run whose STATE is not this one (an older STATE, or a target restored from a backup), and the server does not send them again ' +
        '(hint: give the tap the latest STATE the target committed; or set state_behind_slot to "reload" (load the table again under a new version, then stream) ' +
        'or to "continue" (stream from the slot\'s position and accept the gap))',
    )
    expect(r.stderr).not.toMatch(/^\s+at /m)
    // The whole run is refused before anything is read: no RECORD of any stream, no STATE either.
    expect(r.stdout).toBe('')
    // And the slot has not moved.
    const [row] = await sql(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    )
    expect(parseLsn(row.lsn)).toBe(slotAt)
  })

  it("continue: streams from the slot's position with a warning naming the stream; changes A are missing (as before the setting)", async () => {
    const r = await sync(config({ state_behind_slot: 'continue' }), catalog, state1)
    expectSuccess(r)
    const b = lsnOf(state1, t)
    expect(r.stderr).toContain(
      `stream ${t}: its bookmark lsn ${formatLsn(b)} (${b}) is behind replication slot "${slot}"'s confirmed_flush_lsn ${formatLsn(slotAt)} (${slotAt}): ` +
        "changes in between are missing from the target; streaming resumes at the slot's position (state_behind_slot = continue)",
    )
    expect(ids(r, t)).toEqual([21, 22, 23, 24, 25])
    expect(ids(r, `public-side_${plugin}`)).toEqual([1, 2])
    expect(lsnOf(lastState(r.messages), t)).toBeGreaterThanOrEqual(slotAt)
  })

  it('reload: a fresh initial load under a new version, with ACTIVATE_VERSION, then streaming; nothing is missing', async () => {
    const r = await sync(config({ state_behind_slot: 'reload' }), catalog, state1)
    expectSuccess(r)
    const b = lsnOf(state1, t)
    expect(r.stderr).toContain(
      `stream ${t}: its bookmark lsn ${formatLsn(b)} (${b}) is behind replication slot "${slot}"'s confirmed_flush_lsn ${formatLsn(slotAt)} (${slotAt}): ` +
        'the changes in between cannot be read again; loading the table again under a new version (state_behind_slot = reload)',
    )
    const oldVersion = state1.bookmarks[t].version as number
    const seq = r.messages.filter(
      (m) => m.stream === t && (m.type === 'RECORD' || m.type === 'ACTIVATE_VERSION'),
    )
    expect(seq[0].type).toBe('ACTIVATE_VERSION')
    expect(seq[seq.length - 1].type).toBe('ACTIVATE_VERSION')
    const version = seq[0].version as number
    expect(version).toBeGreaterThan(oldVersion)
    expect(seq.every((m) => m.version === version)).toBe(true)
    // The table as it is now: the load, with changes A and B, row 2 deleted.
    const table = (await sql(`SELECT id, v FROM t_${plugin} ORDER BY id`)).map((x) => ({
      id: Number(x.id),
      v: x.v,
    }))
    const loaded = records(r.messages, t).map((x) => ({ id: x.id as number, v: x.v as string }))
    expect(loaded.sort((a, b) => a.id - b.id)).toEqual(table)
    expect(table.find((x) => x.id === 1)?.v).toBe('A')
    expect(table.some((x) => x.id === 2)).toBe(false)
    reloadState = lastState(r.messages)
    expect(reloadState.bookmarks[t]).toMatchObject({
      last_replication_method: 'LOG_BASED',
      version,
      xmin: null,
    })
    expect(lsnOf(reloadState, t)).toBeGreaterThanOrEqual(slotAt)
  })

  it('after a reload, the next run streams the new changes from the reloaded bookmark', async () => {
    await sql(`INSERT INTO t_${plugin} VALUES (30, 'D'); UPDATE t_${plugin} SET v = 'D' WHERE id = 3`)
    await sql('CHECKPOINT')
    const r = await sync(config(), catalog, reloadState)
    expectSuccess(r)
    expect(records(r.messages, t).map((x) => [x.id, x.v])).toEqual([
      [30, 'D'],
      [3, 'D'],
    ])
    expect(
      r.messages
        .filter((m) => m.type === 'RECORD' && m.stream === t)
        .every((m) => m.version === reloadState.bookmarks[t].version),
    ).toBe(true)
    expect(r.stderr).not.toContain('behind replication slot')
  })
})
