/**
 * Publications on a real server: `slot create --plugin pgoutput` makes the publication before the
 * slot, `slot status` reports what it covers, and ensurePublication adds what a run streams, or
 * says what an administrator runs when this role may not. Build first: npm run build.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ensurePublication,
  PublicationError,
  readPublication,
  waitForOlderWriters,
  type PublishedStream,
} from '../../src/replication/publication.js'
import { readLogBasedTables } from '../../src/replication/replica-identity.js'
import type { TableName } from '../../src/values/pg-type.js'
import { adminConfig, createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { runTap } from '../harness/run-tap.js'

let db: string

beforeAll(async () => {
  db = await createTestDatabase('publication')
  await sql(`CREATE TABLE plain (id int PRIMARY KEY, v text)`)
  await sql(`CREATE TABLE keyless (v text)`)
  await sql(`CREATE TABLE parted (id int, v text, PRIMARY KEY (id)) PARTITION BY RANGE (id)`)
  await sql(`CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100)`)
})
afterAll(async () => {
  await dropTestDatabase(db)
})

async function sql(text: string): Promise<pg.QueryResult> {
  return withAdmin(db, (c) => c.query(text))
}

const stream = (tableName: string, loadsFromScratch = true): PublishedStream => ({
  tapStreamId: `public-${tableName}`,
  schemaName: 'public',
  tableName,
  columns: ['id', 'v'],
  loadsFromScratch,
})

/** ensurePublication for these streams, as `user` (default: the admin). */
async function ensure(publication: string, streams: PublishedStream[], user?: string) {
  const client = new pg.Client({ ...adminConfig(db), ...(user === undefined ? {} : { user }) })
  await client.connect()
  try {
    const facts = await readLogBasedTables(client, streams as TableName[])
    return await ensurePublication(client, publication, streams, facts)
  } finally {
    await client.end()
  }
}

const publishedTables = async (publication: string): Promise<string[]> =>
  (
    await sql(
      `SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables WHERE pubname = '${publication}' ORDER BY 1`,
    )
  ).rows.map((r) => r.t as string)

describe('slot create with pgoutput, and slot status', () => {
  const config = () => writeConfig(db, { replication_slot_name: 'pub_slot' })

  it('creates the publication (named after the slot) first, then the slot', async () => {
    const r = await runTap(['slot', 'create', '--plugin', 'pgoutput', '--config', config()])
    expect(r.stderr).not.toContain('error')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('plugin: pgoutput')
    expect(r.stdout).toContain('publication: pub_slot\n')
    expect(r.stdout).toContain('publication_covers: no table yet')
    expect(r.stderr).toContain('Created publication pub_slot')
    // The publication is older than the slot: decoding a change made after both works (a
    // publication younger than the slot's position fails with "publication ... does not exist").
    await sql(`INSERT INTO plain VALUES (-1, 'probe')`)
    const peeked = await sql(
      `SELECT count(*)::int AS n FROM pg_logical_slot_peek_binary_changes('pub_slot', NULL, NULL, 'proto_version', '1', 'publication_names', 'pub_slot')`,
    )
    expect(peeked.rows[0].n).toBe('0')
    await sql('DELETE FROM plain WHERE id = -1')
    const again = await runTap(['slot', 'create', '--plugin', 'pgoutput', '--config', config()])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('already exists (pgoutput)')
  })

  it('status reports the publication and the tables it covers, as text and as JSON', async () => {
    await ensure('pub_slot', [stream('plain'), stream('parted')])
    const r = await runTap(['slot', 'status', '--config', config()])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('publication_covers: 2 tables: public.parted_1, public.plain\n')
    expect(r.stdout).toContain('publication_publishes: insert, update, delete, truncate\n')
    expect(r.stdout).toContain('publication_via_partition_root: false\n')
    const j = JSON.parse((await runTap(['slot', 'status', '--json', '--config', config()])).stdout) as Record<
      string,
      unknown
    >
    expect(j.publication).toEqual({
      name: 'pub_slot',
      exists: true,
      all_tables: false,
      publish: ['insert', 'update', 'delete', 'truncate'],
      via_partition_root: false,
      tables: ['public.parted_1', 'public.plain'],
    })
  })

  it('a pgoutput slot whose publication is gone: status warns, create refuses (a new one cannot be decoded)', async () => {
    await sql('DROP PUBLICATION pub_slot')
    const status = await runTap(['slot', 'status', '--config', config()])
    expect(status.code).toBe(0)
    expect(status.stdout).toContain('publication: pub_slot (missing)')
    expect(status.stderr).toContain('publication "pub_slot" of pgoutput slot "pub_slot" does not exist')
    const create = await runTap(['slot', 'create', '--config', config()])
    expect(create.code).toBe(1)
    expect(create.stderr).toContain(
      'replication slot "pub_slot" (pgoutput) exists but publication "pub_slot" does not',
    )
    expect(create.stderr).toContain('tap-postgres slot drop')
    expect(
      create.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error')),
    ).toHaveLength(1)
  })

  it('publication_name names another publication; wal2json slots have none', async () => {
    const cfg = writeConfig(db, { replication_slot_name: 'pub_slot2', publication_name: 'Shared Pub' })
    expect((await runTap(['slot', 'create', '--plugin', 'pgoutput', '--config', cfg])).code).toBe(0)
    expect(await readPublication(await connected(), 'Shared Pub')).toMatchObject({
      name: 'Shared Pub',
      tables: [],
    })
    const w = writeConfig(db, { replication_slot_name: 'pub_slot_w' })
    const r = await runTap(['slot', 'create', '--plugin', 'wal2json', '--config', w])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('plugin: wal2json')
    expect(r.stdout).not.toMatch(/^publication/m)
    expect(await readPublication(await connected(), 'pub_slot_w')).toBeUndefined()
  })
})

let spare: pg.Client | undefined
async function connected(): Promise<pg.Client> {
  if (spare === undefined) {
    spare = new pg.Client(adminConfig(db))
    await spare.connect()
  }
  return spare
}
afterAll(async () => {
  await spare?.end()
})

describe('ensurePublication', () => {
  it('adds the tables a run streams from scratch, once; a partitioned table itself', async () => {
    await sql('CREATE PUBLICATION p_add')
    const first = await ensure('p_add', [stream('plain'), stream('parted')])
    expect(first.added).toEqual([
      { schemaName: 'public', tableName: 'plain' },
      { schemaName: 'public', tableName: 'parted' },
    ])
    expect(await publishedTables('p_add')).toEqual(['public.parted_1', 'public.plain'])
    expect((await ensure('p_add', [stream('plain', false), stream('parted', false)])).added).toEqual([])
  })

  it('refuses a table without a replica identity, and one that streamed before it joined', async () => {
    await sql('CREATE PUBLICATION p_refuse')
    const e = await ensure('p_refuse', [stream('keyless'), stream('plain', false)]).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(PublicationError)
    const message = (e as Error).message
    expect(message).toContain(
      'stream public-keyless: table public.keyless is not in publication "p_refuse" and is not added',
    )
    expect(message).toContain(
      'stream public-plain: table public.plain is not in publication "p_refuse", so its changes since',
    )
    expect(message).toContain(
      'an administrator runs: ALTER PUBLICATION "p_refuse" ADD TABLE "public"."plain"',
    )
    expect(message).not.toContain('\n')
    expect(await publishedTables('p_refuse')).toEqual([])
  })

  it('a role that may not add the table gets one line naming it and the SQL to run', async () => {
    await sql(
      `DO $$ BEGIN CREATE ROLE tap_limited LOGIN REPLICATION; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    )
    await sql('GRANT SELECT ON plain TO tap_limited')
    await sql('CREATE PUBLICATION p_owned')
    await sql('ALTER PUBLICATION p_owned OWNER TO tap_limited')
    const e = await ensure('p_owned', [stream('plain')], 'tap_limited').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(PublicationError)
    expect((e as Error).message).toMatch(
      /^publication "p_owned" does not cover public\.plain and this role may not add it \(must be owner of table plain\); an administrator runs: ALTER PUBLICATION "p_owned" ADD TABLE "public"\."plain"$/,
    )
    // What the administrator runs is what the tap would have run.
    await sql('ALTER PUBLICATION p_owned ADD TABLE "public"."plain"')
    expect((await ensure('p_owned', [stream('plain', false)], 'tap_limited')).added).toEqual([])
  })

  it('refuses a missing publication, and publish_via_partition_root for a partitioned stream', async () => {
    const missing = await ensure('p_none', [stream('plain')]).catch((x: unknown) => x)
    expect(missing).toBeInstanceOf(PublicationError)
    expect((missing as Error).message).toBe(
      'publication "p_none" does not exist; the pgoutput slot streams the tables it covers',
    )
    await sql('CREATE PUBLICATION p_root FOR TABLE parted WITH (publish_via_partition_root = true)')
    const root = await ensure('p_root', [stream('parted', false)]).catch((x: unknown) => x)
    expect((root as Error).message).toContain('publish_via_partition_root = true')
    expect((root as Error).message).toContain(
      'ALTER PUBLICATION "p_root" SET (publish_via_partition_root = false)',
    )
  })
})

describe('generated columns', () => {
  it('refuses a stream that selects one: pgoutput never sends its values', async () => {
    await sql('CREATE TABLE gen (id int PRIMARY KEY, x int, y int GENERATED ALWAYS AS (x * 2) STORED)')
    await sql('CREATE PUBLICATION p_gen')
    const e = await ensure('p_gen', [{ ...stream('gen'), columns: ['id', 'x', 'y'] }]).catch(
      (x: unknown) => x,
    )
    expect(e).toBeInstanceOf(PublicationError)
    expect((e as Error).message).toContain(
      'stream public-gen: column y of public.gen is generated, and pgoutput does not send generated columns',
    )
    expect(await publishedTables('p_gen')).toEqual([])
    expect((await ensure('p_gen', [{ ...stream('gen'), columns: ['id', 'x'] }])).added).toHaveLength(1)
  })
})

describe('waitForOlderWriters', () => {
  it('returns only after a transaction that held an xid when it was called has ended', async () => {
    const writer = new pg.Client(adminConfig(db))
    await writer.connect()
    try {
      await writer.query('BEGIN')
      await writer.query(`INSERT INTO plain VALUES (1, 'open')`)
      let returned = false
      const waiting = waitForOlderWriters(await connected()).then(() => {
        returned = true
      })
      // Round trips on another connection while the writer is open: the wait must still be on.
      await withAdmin(db, (c) => c.query('SELECT pg_sleep(0.3)'))
      expect(returned).toBe(false)
      await writer.query('COMMIT')
      await waiting
      expect(returned).toBe(true)
    } finally {
      await writer.end()
    }
  })
})
