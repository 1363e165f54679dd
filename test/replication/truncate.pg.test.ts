/**
 * LOG_BASED TRUNCATE end to end: a TRUNCATE of a selected table is a version switch of its stream,
 * an ACTIVATE_VERSION with a new version at the truncate's place, the later records under that
 * version, the bookmark's `version` the new one once the line is written, a warning naming the
 * table. Several tables at once (and CASCADE), in the same transaction as inserts, and a restart
 * from the STATE before the truncate. Build first: npm run build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap, type SingerMessage } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  selectStreams,
  sync,
  writeCatalog,
} from '../sync/catalog-helpers.js'
import { LOG_BASED_PLUGINS, slotCreateArgs } from './plugins.js'

type State = ReturnType<typeof lastState>

let db: string

beforeAll(async () => {
  db = await createTestDatabase('truncate')
})
afterAll(async () => {
  await dropTestDatabase(db)
})

async function sql(text: string): Promise<void> {
  await withAdmin(db, (c) => c.query(text))
}

/** A stream's RECORD and ACTIVATE_VERSION messages in stdout order: `<id>@<version>` and `ACTIVATE <version>`. */
function stream(messages: SingerMessage[], name: string): string[] {
  const out: string[] = []
  for (const m of messages) {
    if (m.stream !== name) continue
    if (m.type === 'RECORD') out.push(`${(m.record as { id: number }).id}@${m.version as number}`)
    else if (m.type === 'ACTIVATE_VERSION') out.push(`ACTIVATE ${m.version as number}`)
  }
  return out
}

function versionOf(state: State, name: string): number {
  return state.bookmarks[name].version as number
}

/** The version of each ACTIVATE_VERSION of `name`, in order. */
function activations(messages: SingerMessage[], name: string): number[] {
  return messages
    .filter((m) => m.type === 'ACTIVATE_VERSION' && m.stream === name)
    .map((m) => m.version as number)
}

/** The stream's bookmark version in each STATE, with whether its ACTIVATE_VERSION `version` was written before it. */
function statesAround(
  messages: SingerMessage[],
  name: string,
  version: number,
): Array<{ version: number; afterActivate: boolean }> {
  let seen = false
  const out: Array<{ version: number; afterActivate: boolean }> = []
  for (const m of messages) {
    if (m.type === 'ACTIVATE_VERSION' && m.stream === name && m.version === version) seen = true
    if (m.type === 'STATE') out.push({ version: versionOf(m.value as State, name), afterActivate: seen })
  }
  return out
}

describe.each(LOG_BASED_PLUGINS)(
  'LOG_BASED: a TRUNCATE switches the stream to a new version (%s)',
  (plugin) => {
    const a = `tr_a_${plugin}`
    const b = `tr_b_${plugin}`
    const c = `tr_c_${plugin}`
    const other = `tr_other_${plugin}`
    const [sa, sb, sc] = [a, b, c].map((t) => `public-${t}`)
    let config: string
    let catalog: string
    let state1: State
    let state: State

    beforeAll(async () => {
      await sql(
        `CREATE TABLE ${a} (id int PRIMARY KEY, v text); INSERT INTO ${a} SELECT i, 'loaded' FROM generate_series(1, 3) i`,
      )
      await sql(`CREATE TABLE ${b} (id int PRIMARY KEY); INSERT INTO ${b} VALUES (1), (2)`)
      await sql(
        `CREATE TABLE ${c} (id int PRIMARY KEY, b int REFERENCES ${b}); INSERT INTO ${c} VALUES (1, 1)`,
      )
      await sql(`CREATE TABLE ${other} (id int PRIMARY KEY); INSERT INTO ${other} VALUES (1)`)
      config = writeConfig(db, { replication_slot_name: `tr_${plugin}` })
      expect((await runTap(slotCreateArgs(config, plugin))).code).toBe(0)
      catalog = writeCatalog(
        selectStreams(await discoverCatalog(config), {
          [a]: { method: 'LOG_BASED' },
          [b]: { method: 'LOG_BASED' },
          [c]: { method: 'LOG_BASED' },
        }),
      )
      const load = await sync(config, catalog)
      expectSuccess(load)
      state1 = lastState(load.messages)
      state = state1
    })

    it('TRUNCATE then inserts: ACTIVATE_VERSION with a new version at the truncate, later records under it, the bookmark follows', async () => {
      const v0 = versionOf(state1, sa)
      await sql(`INSERT INTO ${a} VALUES (4, 'before')`)
      await sql(`TRUNCATE ${a}`)
      await sql(`INSERT INTO ${a} VALUES (10, 'after'), (11, 'after')`)
      await sql('CHECKPOINT')

      const r = await sync(config, catalog, state1)
      expectSuccess(r)
      state = lastState(r.messages)
      const [v1] = activations(r.messages, sa)
      expect(v1).toBeGreaterThan(v0)
      expect(stream(r.messages, sa)).toEqual([`4@${v0}`, `ACTIVATE ${v1}`, `10@${v1}`, `11@${v1}`])
      // The bookmark takes the new version only after its ACTIVATE_VERSION was written.
      const around = statesAround(r.messages, sa, v1)
      expect(around.length).toBeGreaterThan(0)
      for (const s of around) expect(s.version).toBe(s.afterActivate ? v1 : v0)
      expect(versionOf(state, sa)).toBe(v1)
      // Other streams keep theirs.
      expect(versionOf(state, sb)).toBe(versionOf(state1, sb))
      expect(activations(r.messages, sb)).toEqual([])
      const warnings = r.stderr.split('\n').filter((l) => l.includes('TRUNCATE of'))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/level=warning/)
      expect(warnings[0]).toContain(`TRUNCATE of public.${a}`)
    })

    it('a restart from the STATE before the truncate meets it again and switches again, to a newer version', async () => {
      const v0 = versionOf(state1, sa)
      const r = await sync(config, catalog, state1)
      expectSuccess(r)
      state = lastState(r.messages)
      const [again] = activations(r.messages, sa)
      expect(again).toBeGreaterThan(v0)
      expect(stream(r.messages, sa)).toEqual([`4@${v0}`, `ACTIVATE ${again}`, `10@${again}`, `11@${again}`])
      expect(versionOf(state, sa)).toBe(again)
    })

    it('a following run keeps the new version', async () => {
      const v1 = versionOf(state, sa)
      expect(v1).toBeGreaterThan(versionOf(state1, sa))
      await sql(`INSERT INTO ${a} VALUES (12, 'later')`)
      await sql('CHECKPOINT')
      const r = await sync(config, catalog, state)
      expectSuccess(r)
      state = lastState(r.messages)
      expect(stream(r.messages, sa)).toEqual([`12@${v1}`])
      expect(versionOf(state, sa)).toBe(v1)
      expect(r.stderr).not.toContain('TRUNCATE of')
    })

    it('TRUNCATE of several tables at once (and what CASCADE reaches): a switch for each selected one, none for the others', async () => {
      const [vb, vc, va] = [versionOf(state, sb), versionOf(state, sc), versionOf(state, sa)]
      await sql(`TRUNCATE ${b}, ${other} CASCADE`)
      await sql(`INSERT INTO ${b} VALUES (5)`)
      await sql('CHECKPOINT')
      const r = await sync(config, catalog, state)
      expectSuccess(r)
      state = lastState(r.messages)
      const [nb] = activations(r.messages, sb)
      const [nc] = activations(r.messages, sc)
      expect(nb).toBeGreaterThan(vb)
      expect(nc).toBeGreaterThan(vc)
      expect(stream(r.messages, sb)).toEqual([`ACTIVATE ${nb}`, `5@${nb}`])
      expect(stream(r.messages, sc)).toEqual([`ACTIVATE ${nc}`])
      expect(stream(r.messages, sa)).toEqual([])
      expect(
        r.messages
          .filter((m) => m.type === 'ACTIVATE_VERSION')
          .map((m) => m.stream)
          .sort(),
      ).toEqual([sb, sc])
      expect([versionOf(state, sb), versionOf(state, sc), versionOf(state, sa)]).toEqual([nb, nc, va])
      const warnings = r.stderr.split('\n').filter((l) => l.includes('TRUNCATE of'))
      expect(warnings).toHaveLength(2)
      expect(warnings.join('\n')).toContain(`TRUNCATE of public.${b}`)
      expect(warnings.join('\n')).toContain(`TRUNCATE of public.${c}`)
      expect(r.stderr).not.toContain(other)
    })

    it('TRUNCATE in the same transaction as inserts: the inserts before it under the old version, after it under the new', async () => {
      const v = versionOf(state, sa)
      await sql(
        `BEGIN; INSERT INTO ${a} VALUES (20, 'same tx'); TRUNCATE ${a}; INSERT INTO ${a} VALUES (21, 'same tx'); COMMIT`,
      )
      await sql('CHECKPOINT')
      const r = await sync(config, catalog, state)
      expectSuccess(r)
      state = lastState(r.messages)
      const [nv] = activations(r.messages, sa)
      expect(nv).toBeGreaterThan(v)
      expect(stream(r.messages, sa)).toEqual([`20@${v}`, `ACTIVATE ${nv}`, `21@${nv}`])
      expect(versionOf(state, sa)).toBe(nv)
    })
  },
)
