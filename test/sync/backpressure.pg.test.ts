/**
 * A reader that stalls must slow the table reads, not fill memory: 200k narrow rows, a consumer that
 * reads nothing for 3 s and then everything; the tap's peak RSS (VmHWM, sampled from /proc) stays
 * under 300 MB and it has fetched only a few batches by the end of the stall.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, dropTestDatabase, withAdmin, writeConfig } from '../harness/pg.js'
import { BIN } from '../harness/run-tap.js'
import { discoverCatalog, selectStreams, writeCatalog } from './catalog-helpers.js'

const ROWS = 200_000
let db: string
let config: string
let catalogPath: string

beforeAll(async () => {
  db = await createTestDatabase('sync_bp')
  await withAdmin(db, (c) =>
    c.query(
      `CREATE TABLE narrow (id int PRIMARY KEY, v text); INSERT INTO narrow SELECT g, 'v' || g FROM generate_series(1, ${ROWS}) g`,
    ),
  )
  config = writeConfig(db, { itersize: 500 })
  catalogPath = writeCatalog(
    selectStreams(await discoverCatalog(config), { narrow: { method: 'FULL_TABLE' } }),
  )
})

afterAll(async () => {
  await dropTestDatabase(db)
})

function memoryKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

/** The row count of the last `Fetched N rows total` log line so far. */
function fetchedSoFar(stderr: string): number {
  const all = [...stderr.matchAll(/Fetched (\d+) rows total/g)]
  return all.length === 0 ? 0 : Number(all[all.length - 1][1])
}

describe('backpressure', () => {
  it('a stalled reader holds the reads back and memory stays flat', async () => {
    const child = spawn(process.execPath, [BIN, 'sync', '--config', config, '--catalog', catalogPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d: string) => {
      stderr += d
    })
    let peakKb = 0
    const sampler = setInterval(() => {
      peakKb = Math.max(
        peakKb,
        memoryKb(child.pid as number, 'VmHWM') ?? 0,
        memoryKb(child.pid as number, 'VmRSS') ?? 0,
      )
    }, 50)

    // Start the stall clock at the first fetch, so a slow start (a loaded machine) cannot pass for
    // backpressure. Then nothing is read from stdout for 3 s: the pipe fills, writes wait for
    // 'drain', credits run out.
    const started = Date.now()
    while (fetchedSoFar(stderr) === 0 && Date.now() - started < 30_000)
      await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const fetchedDuringStall = fetchedSoFar(stderr)

    let lines = 0
    let tail = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (d: string) => {
      const text = tail + d
      const parts = text.split('\n')
      tail = parts.pop() ?? ''
      for (const p of parts) if (p.startsWith('{"type":"RECORD"')) lines++
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    clearInterval(sampler)

    expect(code).toBe(0)
    expect(lines).toBe(ROWS)
    // A pipe (64 KB), the stream's buffer and 3 credits of ≤ 1000 rows: a few thousand rows, far from all.
    expect(fetchedDuringStall).toBeGreaterThan(0)
    expect(fetchedDuringStall).toBeLessThan(ROWS / 4)
    expect(peakKb).toBeGreaterThan(0)
    console.log(`peak RSS ${Math.round(peakKb / 1024)} MB, fetched during the stall: ${fetchedDuringStall}`)
    expect(peakKb / 1024).toBeLessThan(300)
  })
})
