/** Shared by the chunked-load tests: a serial writer whose every commit is known, and connection sampling. */
import pg from 'pg'
import { adminConfig } from '../harness/pg.js'

/** One writer transaction: updates set `v` to the transaction's number, inserts new ids, deletes. */
export interface WriterTxn {
  readonly k: number
  readonly updates: readonly number[]
  readonly inserts: readonly number[]
  readonly deletes: readonly number[]
}

/** Ids of rows inserted by transaction k: INSERT_BASE + k * 10 + (0..9). */
export const INSERT_BASE = 10_000_000

/**
 * A deterministic writer on table `table (id int PRIMARY KEY, v int, ...)` holding ids 1..rows
 * with v = 0: transaction k updates 20 rows, inserts 10 and deletes 5, chosen among the rows alive.
 * One transaction at a time, so commit order is `committed` order and any snapshot sees a prefix.
 */
export class SerialWriter {
  readonly committed: WriterTxn[] = []
  readonly #alive: number[]
  #seed = 12345
  #running = true
  #loop: Promise<void> | undefined

  constructor(
    readonly database: string,
    readonly table: string,
    rows: number,
  ) {
    this.#alive = Array.from({ length: rows }, (_, i) => i + 1)
  }

  #random(n: number): number {
    this.#seed = (this.#seed * 1103515245 + 12345) % 2147483648
    return this.#seed % n
  }

  #next(k: number): WriterTxn {
    const pick = (): number => this.#alive[this.#random(this.#alive.length)]
    const updates = [...new Set(Array.from({ length: 20 }, pick))]
    const inserts = Array.from({ length: 10 }, (_, j) => INSERT_BASE + k * 10 + j)
    const deletes: number[] = []
    for (let i = 0; i < 5; i++) {
      const at = this.#random(this.#alive.length)
      deletes.push(this.#alive[at])
      this.#alive[at] = this.#alive[this.#alive.length - 1]
      this.#alive.pop()
    }
    this.#alive.push(...inserts)
    return { k, updates: updates.filter((id) => !deletes.includes(id)), inserts, deletes }
  }

  start(): void {
    this.#loop = (async () => {
      const client = new pg.Client({ ...adminConfig(this.database), application_name: 'chunked-writer' })
      await client.connect()
      try {
        for (let k = 1; this.#running; k++) {
          const t = this.#next(k)
          await client.query('BEGIN')
          await client.query(`UPDATE ${this.table} SET v = $1 WHERE id = ANY($2::int[])`, [k, t.updates])
          await client.query(`INSERT INTO ${this.table} (id, v) SELECT x, $1 FROM unnest($2::int[]) x`, [
            k,
            t.inserts,
          ])
          await client.query(`DELETE FROM ${this.table} WHERE id = ANY($1::int[])`, [t.deletes])
          await client.query('COMMIT')
          this.committed.push(t)
        }
      } finally {
        await client.end()
      }
    })()
  }

  async stop(): Promise<void> {
    this.#running = false
    await this.#loop
  }
}

/** The table (id → v) after the first `k` committed writer transactions. */
export function tableAfter(rows: number, txns: readonly WriterTxn[], k: number): Map<number, number> {
  const m = new Map<number, number>()
  for (let id = 1; id <= rows; id++) m.set(id, 0)
  for (const t of txns.slice(0, k)) {
    for (const id of t.updates) m.set(id, t.k)
    for (const id of t.inserts) m.set(id, t.k)
    for (const id of t.deletes) m.delete(id)
  }
  return m
}

export interface ConnectionSample {
  all: number
  tableReads: number
}

/** The main connection's statements: discovery, end_lsn, table sizes, the snapshot export. */
const MAIN_QUERY =
  /WITH RECURSIVE rels|pg_current_wal_lsn|pg_relation_filenode|pg_export_snapshot|idle_in_transaction_session_timeout/

/**
 * pg_stat_activity of `appName` every 20 ms. Table reads are the backends never seen running one of
 * the main connection's statements (a backend keeps its last statement's text, e.g. the snapshot
 * exporter's COMMIT, until it is gone: so it is told by its pid).
 */
export function sampleConnections(appName: string): { stop: () => Promise<ConnectionSample[]> } {
  const client = new pg.Client(adminConfig('postgres'))
  const samples: ConnectionSample[] = []
  const mainPids = new Set<number>()
  let running = true
  const loop = (async () => {
    await client.connect()
    while (running) {
      const r = await client.query<{ pid: string; query: string }>(
        'SELECT pid, query FROM pg_stat_activity WHERE application_name = $1',
        [appName],
      )
      for (const row of r.rows) if (MAIN_QUERY.test(row.query)) mainPids.add(Number(row.pid))
      samples.push({
        all: r.rows.length,
        tableReads: r.rows.filter((row) => !mainPids.has(Number(row.pid))).length,
      })
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await client.end()
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return samples
    },
  }
}
