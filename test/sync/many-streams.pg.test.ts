/**
 * Many streams in one run: STATE is bounded by time (state_interval_seconds), not written per stream
 * event, so the output stays linear in the number of streams; the last line is still a STATE that
 * holds every stream's bookmark.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'
import {
  discoverCatalog,
  expectSuccess,
  lastState,
  records,
  states,
  writeCatalog,
} from './catalog-helpers.js'
import type { Catalog } from '../../src/singer/catalog-types.js'

const TABLES = 300
let db: string
let catalogPath: string

beforeAll(async () => {
  db = await createTestDatabase('many_streams')
  await withAdmin(db, async (c) => {
    const ddl: string[] = []
    for (let i = 0; i < TABLES; i++)
      ddl.push(`CREATE TABLE m_${String(i).padStart(3, '0')} (id int PRIMARY KEY, v text);`)
    await c.query(ddl.join('\n'))
    await c.query(`INSERT INTO m_000 SELECT g, 'v' || g FROM generate_series(1, 2500) g`)
  })
  const catalog: Catalog = await discoverCatalog(writeConfig(db))
  for (const s of catalog.streams) {
    const md = s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata as Record<string, unknown>
    md.selected = true
    md['replication-method'] = 'FULL_TABLE'
  }
  catalogPath = writeCatalog(catalog)
}, 300_000)

afterAll(async () => {
  await dropTestDatabase(db)
})

describe(`${TABLES} streams in one run`, () => {
  it('writes STATE at most once per state_interval_seconds (plus the last), the last line a STATE with every bookmark', async () => {
    const started = Date.now()
    const r = await runTap(
      ['sync', '--config', writeConfig(db, { max_workers: 2 }), '--catalog', catalogPath],
      { timeoutMs: 240_000 },
    )
    const seconds = (Date.now() - started) / 1000
    expectSuccess(r)
    expect(records(r.messages, 'public-m_000')).toHaveLength(2500)
    const all = states(r.messages)
    // Default interval 1 s: one STATE per elapsed second at most, plus the first and the last.
    expect(all.length).toBeLessThanOrEqual(Math.ceil(seconds) + 2)
    expect(r.messages.at(-1)?.type).toBe('STATE')
    const last = lastState(r.messages)
    expect(Object.keys(last.bookmarks)).toHaveLength(TABLES)
    for (const b of Object.values(last.bookmarks))
      expect(b).toMatchObject({ last_replication_method: 'FULL_TABLE', xmin: null })
    expect(last.currently_syncing).toBeNull()
  })

  it('state_interval_seconds 0 writes every due STATE: at least a start and an end per stream', async () => {
    const r = await runTap(
      [
        'sync',
        '--config',
        writeConfig(db, { max_workers: 2, state_interval_seconds: 0 }),
        '--catalog',
        catalogPath,
      ],
      { timeoutMs: 240_000 },
    )
    expectSuccess(r)
    expect(states(r.messages).length).toBeGreaterThanOrEqual(2 * TABLES)
  })
})
