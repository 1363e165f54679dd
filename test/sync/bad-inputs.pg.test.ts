/**
 * Bad catalogs, states and stream settings (docs/behaviour.md#bad-input): one `error:` line on stderr, exit 2, no
 * RECORD; a selected table that no longer exists is a warning and the other streams continue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig, writeJsonFile } from '../harness/pg.js'
import { runTap, type TapResult } from '../harness/run-tap.js'
import { discoverCatalog, expectSuccess, records, selectStreams, writeCatalog } from './catalog-helpers.js'
import type { Catalog } from '../../src/singer/catalog-types.js'

let db: string
let config: string
let catalog: Catalog

beforeAll(async () => {
  db = await createTestDatabase('sync_bad')
  await withAdmin(db, (c) =>
    c.query(`
    CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamptz, gone int);
    INSERT INTO orders VALUES (1, now(), 1), (2, now(), 2);
    CREATE TABLE doomed (id int PRIMARY KEY);
    CREATE VIEW order_view AS SELECT id FROM orders;
  `),
  )
  config = writeConfig(db)
  catalog = await discoverCatalog(config)
})

afterAll(async () => {
  await dropTestDatabase(db)
})

function sync(catalogPath: string, statePath?: string): Promise<TapResult> {
  return runTap([
    'sync',
    '--config',
    config,
    '--catalog',
    catalogPath,
    ...(statePath ? ['--state', statePath] : []),
  ])
}

function expectInputError(r: TapResult, message: RegExp): void {
  expect(r.code).toBe(2)
  expect(r.stdout).not.toContain('"type":"RECORD"')
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatch(message)
  expect(r.stderr).not.toMatch(/^\s+at /m)
}

const ordersFull = (): string => writeCatalog(selectStreams(catalog, { orders: { method: 'FULL_TABLE' } }))

describe('bad catalog', () => {
  it('not JSON', async () =>
    expectInputError(
      await sync(writeJsonFile('c.json', '{"streams": [')),
      /^error: invalid catalog .*: not JSON/,
    ))
  it('no streams array', async () =>
    expectInputError(
      await sync(writeJsonFile('c.json', { stream: [] })),
      /^error: invalid catalog .*"streams" array/,
    ))
  it('missing file', async () =>
    expectInputError(await sync('/nonexistent/catalog.json'), /^error: invalid catalog .*file not found/))
  it('metadata of the wrong shape', async () => {
    const bad = { streams: [{ tap_stream_id: 'public-orders', metadata: [{ breadcrumb: 'x' }] }] }
    expectInputError(await sync(writeJsonFile('c.json', bad)), /^error: invalid catalog .*metadata\[0\]/)
  })
})

describe('bad state', () => {
  it('not JSON', async () =>
    expectInputError(
      await sync(ordersFull(), writeJsonFile('s.json', '{"bookmarks":')),
      /^error: invalid state .*: not JSON/,
    ))
  it('bookmarks not an object', async () =>
    expectInputError(
      await sync(ordersFull(), writeJsonFile('s.json', { bookmarks: [] })),
      /^error: invalid state .*"bookmarks" must be an object/,
    ))
  it('xmin not a transaction id', async () => {
    const s = {
      bookmarks: { 'public-orders': { last_replication_method: 'FULL_TABLE', version: 1, xmin: 'abc' } },
    }
    expectInputError(
      await sync(ordersFull(), writeJsonFile('s.json', s)),
      /^error: invalid state .*public-orders.*xmin/,
    )
  })
})

describe('bad stream settings', () => {
  it('unknown replication method', async () => {
    expectInputError(
      await sync(writeCatalog(selectStreams(catalog, { orders: { method: 'SNAPSHOT' } }))),
      /^error: stream public-orders: unknown replication method "SNAPSHOT"/,
    )
  })
  it('INCREMENTAL without a replication key', async () => {
    expectInputError(
      await sync(writeCatalog(selectStreams(catalog, { orders: { method: 'INCREMENTAL' } }))),
      /^error: stream public-orders: INCREMENTAL replication needs a replication key/,
    )
  })
  it('INCREMENTAL with a key that is not a column', async () => {
    expectInputError(
      await sync(writeCatalog(selectStreams(catalog, { orders: { method: 'INCREMENTAL', key: 'nope' } }))),
      /^error: stream public-orders: replication key "nope" is not a column/,
    )
  })
  it('LOG_BASED on a view', async () => {
    expectInputError(
      await sync(writeCatalog(selectStreams(catalog, { order_view: { method: 'LOG_BASED' } }))),
      /^error: stream public-order_view: LOG_BASED replication is not possible on a view/,
    )
  })
  it('no method anywhere', async () => {
    const c = selectStreams(catalog, { orders: { method: 'FULL_TABLE' } })
    delete (
      c.streams.find((s) => s.tap_stream_id === 'public-orders')!.metadata[0].metadata as Record<
        string,
        unknown
      >
    )['replication-method']
    expectInputError(await sync(writeCatalog(c)), /^error: stream public-orders: no replication method/)
  })
})

describe('tables that changed since discovery', () => {
  it('a selected table that no longer exists: a warning, the other streams continue', async () => {
    const c = selectStreams(catalog, { orders: { method: 'FULL_TABLE' }, doomed: { method: 'FULL_TABLE' } })
    await withAdmin(db, (a) => a.query('DROP TABLE doomed'))
    const r = await sync(writeCatalog(c))
    expectSuccess(r)
    expect(r.stderr).toMatch(
      /level=warning message=stream public-doomed: table public.doomed no longer exists/,
    )
    expect(records(r.messages, 'public-orders')).toHaveLength(2)
    expect(r.messages.some((m) => m.stream === 'public-doomed')).toBe(false)
  })

  it('an INCREMENTAL key column dropped since discovery', async () => {
    const c = selectStreams(catalog, { orders: { method: 'INCREMENTAL', key: 'gone' } })
    await withAdmin(db, (a) => a.query('ALTER TABLE orders DROP COLUMN gone'))
    expectInputError(
      await sync(writeCatalog(c)),
      /^error: stream public-orders: replication key "gone" is not a column of public.orders/,
    )
  })
})
