/**
 * The pgoutput decoder on the server's own bytes: the same changes decoded from pgoutput
 * (pg_logical_slot_peek_binary_changes with the tap's options) and from wal2json (the worker's
 * options) give the same events, value text included, apart from what wal2json is known to change
 * (a bytea column's `\x`, NaN and ±Infinity as null; see src/replication/wal2json.ts). Decoding
 * runs in the peeking session, so it gets the tap's session settings (src/pg/connect.ts) first.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLsn } from '../../src/pg/lsn.js'
import type { ChangeEvent } from '../../src/replication/change-event.js'
import { PgoutputDecoder } from '../../src/replication/pgoutput.js'
import { byteaText, decodeWal2Json } from '../../src/replication/wal2json.js'
import { createTestDatabase, dropTestDatabase, withAdmin } from '../harness/pg.js'
import { createAllTypesTable, insertAllTypesRows } from '../sync/type-fixtures.js'

let db: string

beforeAll(async () => {
  db = await createTestDatabase('pgoutput_decode')
})
afterAll(async () => {
  await dropTestDatabase(db)
})

const SESSION = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3; SET bytea_output = 'hex'`

/** Every pgoutput event since the slot was made, one event per truncated table. */
async function pgoutputEvents(c: pg.Client, slot: string, publication: string): Promise<ChangeEvent[]> {
  // The admin client leaves every value as text: bytea as `\x<hex>`.
  const rows = (
    await c.query<{ data: string }>(
      `SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', $2)`,
      [slot, publication],
    )
  ).rows
  const d = new PgoutputDecoder()
  return rows.flatMap((r): ChangeEvent[] => {
    const ev = d.decode(Buffer.from(r.data.slice(2), 'hex'))
    return ev.action === 'truncate' ? [...ev.tables] : ev.action === 'other' ? [] : [ev]
  })
}

async function wal2jsonEvents(c: pg.Client, slot: string): Promise<ChangeEvent[]> {
  const rows = (
    await c.query<{ data: string }>(
      `SELECT data FROM pg_logical_slot_peek_changes($1, NULL, NULL, 'format-version', '2', 'include-timestamp', 'true', 'include-lsn', 'true', 'include-types', 'false', 'actions', 'insert,update,delete,truncate')`,
      [slot],
    )
  ).rows
  return rows.map((r) => decodeWal2Json(r.data)).filter((e) => e.action !== 'other')
}

/** What can be compared across plugins: B/C without their plugin's LSN fields; values as the tap renders them. */
function comparable(ev: ChangeEvent, bytea: ReadonlySet<string>, wal2json: boolean): unknown {
  const tuple = (t: { names: readonly string[]; values: ReadonlyArray<string | null> }) => ({
    names: t.names,
    values: t.values.map((v, i) => {
      if (v === null) return null
      if (bytea.has(t.names[i])) return byteaText(v)
      // wal2json nulls NaN and ±Infinity (numbers it cannot print as JSON numbers); so does the renderer.
      if (!wal2json && /^-?(NaN|Infinity)$/.test(v)) return null
      return v
    }),
  })
  switch (ev.action) {
    case 'B':
    case 'C':
      return { action: ev.action, timestamp: ev.timestamp }
    case 'I':
    case 'U':
      // An update's identity is not used for records; wal2json sends the key even when it did not change.
      return { ...ev, columns: tuple(ev.columns), identity: undefined }
    case 'D':
      return { ...ev, identity: tuple(ev.identity) }
    default:
      return ev
  }
}

describe('pgoutput decoded from the server agrees with wal2json', () => {
  it('inserts, updates (key change, unchanged TOAST, identity FULL), deletes and a truncate of two tables', async () => {
    await withAdmin(db, async (c) => {
      await createAllTypesTable(c, 'every')
      await c.query('ALTER TABLE every REPLICA IDENTITY FULL')
      await c.query('CREATE TABLE toasty (id bigint PRIMARY KEY, note text, big text)')
      await c.query('ALTER TABLE toasty ALTER COLUMN big SET STORAGE EXTERNAL')
      await c.query('CREATE TABLE "Odd Name" ("K" int PRIMARY KEY, v text)')
      await c.query('CREATE PUBLICATION dec_pub FOR TABLE every, toasty, "Odd Name"')
      await c.query(`SELECT pg_create_logical_replication_slot('dec_po', 'pgoutput')`)
      await c.query(`SELECT pg_create_logical_replication_slot('dec_wj', 'wal2json')`)

      await insertAllTypesRows(c, 'every')
      await c.query(`INSERT INTO toasty VALUES (9223372036854775807, 'n', repeat('z', 20000))`)
      await c.query(`UPDATE toasty SET note = 'changed'`)
      await c.query(`UPDATE toasty SET id = 1`)
      await c.query(`UPDATE every SET id = id + 10 WHERE id = 1`)
      await c.query(`INSERT INTO "Odd Name" VALUES (1, 'é 😀')`)
      await c.query(`BEGIN; DELETE FROM toasty; DELETE FROM every WHERE id = 2; COMMIT`)
      await c.query('TRUNCATE "Odd Name", every')

      await c.query(SESSION)
      const po = await pgoutputEvents(c, 'dec_po', 'dec_pub')
      const wj = await wal2jsonEvents(c, 'dec_wj')
      const bytea = new Set(['by'])
      expect(po.map((e) => comparable(e, bytea, false))).toEqual(wj.map((e) => comparable(e, bytea, true)))

      // What the comparison rests on, checked outright.
      const changes = po.filter((e) => e.action !== 'B' && e.action !== 'C')
      expect(changes.map((e) => `${e.action} ${'table' in e ? e.table : ''}`)).toEqual([
        'I every',
        'I every',
        'I every',
        'I toasty',
        'U toasty',
        'U toasty',
        'U every',
        'I Odd Name',
        'D toasty',
        'D every',
        'T Odd Name',
        'T every',
      ])
      const [, , , , toastUpdate, keyUpdate] = changes
      expect(toastUpdate).toMatchObject({
        columns: { names: ['id', 'note'], values: ['9223372036854775807', 'changed'] },
        identity: undefined,
      })
      expect(keyUpdate).toMatchObject({
        columns: { names: ['id', 'note'] },
        identity: { names: ['id'], values: ['9223372036854775807'] },
      })
      expect(changes[8]).toMatchObject({ identity: { names: ['id'], values: ['1'] } })
      // A Begin's commit LSN is where the commit record starts: before wal2json's `nextlsn`, its end.
      const begins = po.filter((e) => e.action === 'B')
      const ends = wj.flatMap((e) =>
        e.action === 'B' && e.nextLsn !== undefined ? [parseLsn(e.nextLsn)] : [],
      )
      expect(ends).toHaveLength(begins.length)
      begins.forEach((b, i) => {
        expect(b.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00$/)
        const start = b.commitLsn as bigint
        expect(start).toBeLessThan(ends[i])
        if (i > 0) expect(start).toBeGreaterThan(ends[i - 1])
      })
    })
  })
})
