/**
 * ChunkedStreamRun with a fake pool (fake-pool.ts) and a fake snapshot exporter: its jobs run on the
 * real scheduler (runJobs), the test plays each chunk's worker. Checked without a server: the order
 * of the messages, a chunk recorded as done in a STATE only after all its records, a resumed load
 * reading only the chunks not done, and the stop, failure and closed-stdout paths.
 */
import { describe, expect, it } from 'vitest'
import type { ChunkState } from '../../src/sync/chunk-state.js'
import { chunkStateValue } from '../../src/sync/chunk-state.js'
import { ChunkedStreamRun, type ChunkedStart } from '../../src/sync/chunked-stream.js'
import { runJobs, type ScheduleOutcome } from '../../src/sync/scheduler.js'
import type { SnapshotExporter, SnapshotInfo } from '../../src/sync/snapshot.js'
import { type FakeWorker, NOW, recordLines, setup, types, until } from './fake-pool.js'

const INFO: SnapshotInfo = { name: '00000003-0000001B-1', xmax: 730, xip: [726] }

/** The exporter's bookkeeping only: which jobs it waits for, and which settled. */
function fakeSnapshot(info: SnapshotInfo = INFO) {
  const expected = new Set<string>()
  const settled = new Set<string>()
  const exporter = {
    info,
    expect: (id: string) => expected.add(id),
    settle: (id: string) => settled.add(id),
  } as unknown as SnapshotExporter
  return { exporter, expected, settled }
}

/** 30 pages in chunks of 10: chunks 0 and 1 end at a page, chunk 2 is open-ended. */
const FRESH: ChunkedStart = {
  kind: 'fresh',
  plan: { pages: 30, size: 10 },
  relfilenode: 16384,
  estimatedRows: 6,
}

/** Chunk i's rows: ids i*100+1 and i*100+2, so every record says which chunk it came from. */
const chunkIds = (i: number) => [i * 100 + 1, i * 100 + 2]
const chunkOf = (w: FakeWorker) => {
  const chunk = w.task.kind === 'fullTable' ? w.task.chunk : undefined
  if (chunk === undefined) throw new Error('not a chunk task')
  return chunk.fromPage / 10
}

/** Plays a chunk's worker: imports the snapshot, one batch per row, finishes `done` after the last ack. */
async function playChunk(w: FakeWorker, version = NOW): Promise<void> {
  const ids = chunkIds(chunkOf(w))
  w.send({ type: 'snapshotImported' })
  for (const id of ids) w.send({ type: 'batch', lines: recordLines([id], version), rows: 1 })
  await w.received('ack', ids.length)
  w.finish({ status: 'done', rows: ids.length, clamped: [] })
}

const lastLine = (lines: string[]) => parse(lines.slice(-1))[0]

interface Line {
  readonly type: string
  readonly record?: { readonly id: number }
  readonly value?: { readonly bookmarks: Record<string, Record<string, unknown>> }
  readonly version?: number
}

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Line)
const bookmarkOf = (l: Line) => l.value?.bookmarks['public-orders'] ?? {}
const doneOf = (l: Line) => (bookmarkOf(l).chunks as { done: Array<[number, number]> } | undefined)?.done

/**
 * Every STATE that lists a chunk as done comes after every record of that chunk (the rule that makes
 * a resumed load lose nothing), but for those an earlier run did (`doneBefore`); returns how many
 * (STATE, chunk) pairs were checked.
 */
function expectChunksDoneAfterTheirRecords(
  lines: string[],
  chunks: number,
  doneBefore: number[] = [],
): number {
  const seen = new Set<number>()
  let checked = 0
  for (const l of parse(lines)) {
    if (l.type === 'RECORD' && l.record !== undefined) seen.add(l.record.id)
    const done = l.type === 'STATE' ? doneOf(l) : undefined
    if (done === undefined) continue
    for (const [a, b] of done)
      for (let i = a; i < b && i < chunks; i++) {
        if (doneBefore.includes(i)) continue
        checked++
        for (const id of chunkIds(i)) expect(seen, `chunk ${i} marked done before record ${id}`).toContain(id)
      }
  }
  return checked
}

const quiet = { info: () => undefined }

describe('ChunkedStreamRun (FULL_TABLE) with fake workers', () => {
  it('a fresh load on one lane: opening messages, each chunk then the STATE that records it, then the closing messages', async () => {
    const { ctx, stream, lines, nextWorker } = setup()
    const snap = fakeSnapshot()
    const run = new ChunkedStreamRun(ctx, stream, FRESH, snap.exporter)
    expect(run.jobs.map((j) => j.tapStreamId)).toEqual(['public-orders', 'public-orders', 'public-orders'])
    expect([...snap.expected]).toHaveLength(3)
    const outcome = runJobs(run.jobs, 1, quiet, new AbortController().signal)
    const tasks = []
    for (let i = 0; i < 3; i++) {
      const w = await nextWorker()
      tasks.push(w.task)
      await playChunk(w)
    }
    expect(await outcome).toEqual({ completed: ['public-orders'], outputClosed: false })
    expect(tasks).toMatchObject([
      {
        kind: 'fullTable',
        order: 'unordered',
        version: NOW,
        chunk: { label: '1/3', fromPage: 0, toPage: 10, snapshot: INFO.name },
      },
      { chunk: { label: '2/3', fromPage: 10, toPage: 20 } },
      { chunk: { label: '3/3', fromPage: 20 } },
    ])
    expect(tasks[2]).not.toHaveProperty('chunk.toPage')
    expect(tasks[0]).not.toHaveProperty('chunk.changedSince')
    expect(types(lines)).toEqual([
      'SCHEMA',
      'STATE',
      'ACTIVATE_VERSION',
      'RECORD',
      'RECORD',
      'STATE',
      'RECORD',
      'RECORD',
      'STATE',
      'RECORD',
      'RECORD',
      'STATE',
      'ACTIVATE_VERSION',
      'STATE',
    ])
    const states = parse(lines).filter((l) => l.type === 'STATE')
    expect(states.map(doneOf)).toEqual([[], [[0, 1]], [[0, 2]], [[0, 3]], undefined])
    expect(bookmarkOf(states[0])).toMatchObject({
      version: NOW,
      chunks: { pages: 30, size: 10, relfilenode: 16384, snapshot_xmax: 730, snapshot_xip: [726] },
    })
    expect(bookmarkOf(states[0])).not.toHaveProperty('xmin')
    expect(bookmarkOf(states[4])).toEqual({ version: NOW, xmin: null })
    expect(expectChunksDoneAfterTheirRecords(lines, 3)).toBe(6)
    expect(snap.settled).toEqual(snap.expected)
  })

  it('two lanes, chunks ending out of order: a chunk is done in a STATE only after all its records, never while it runs', async () => {
    const { ctx, stream, lines, nextWorker } = setup()
    const snap = fakeSnapshot()
    const run = new ChunkedStreamRun(ctx, stream, FRESH, snap.exporter)
    const outcome = runJobs(run.jobs, 2, quiet, new AbortController().signal)
    const w0 = await nextWorker()
    const w1 = await nextWorker()
    expect([chunkOf(w0), chunkOf(w1)]).toEqual([0, 1])
    w0.send({ type: 'batch', lines: recordLines([1]), rows: 1 })
    await w0.received('ack')
    await playChunk(w1)
    // Chunk 2 starts once chunk 1's job has ended: chunk 1 is done, chunk 0 has written one row of two and is not.
    const w2 = await nextWorker()
    expect(doneOf(lastLine(lines))).toEqual([[1, 2]])
    w0.send({ type: 'batch', lines: recordLines([2]), rows: 1 })
    await w0.received('ack', 2)
    w0.finish({ status: 'done', rows: 2, clamped: [] })
    await until(() => lastLine(lines).type === 'STATE')
    expect(doneOf(lastLine(lines))).toEqual([[0, 2]])
    await playChunk(w2)
    expect((await outcome).completed).toEqual(['public-orders'])
    expect(expectChunksDoneAfterTheirRecords(lines, 3)).toBe(1 + 2 + 3)
    const t = types(lines)
    expect(t.slice(0, 3)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION'])
    expect(t.slice(-2)).toEqual(['ACTIVATE_VERSION', 'STATE'])
    expect(t.filter((x) => x === 'RECORD')).toHaveLength(6)
    // One ack per batch, for each chunk's worker.
    for (const w of [w0, w1, w2]) expect(w.control.filter((m) => m.type === 'ack')).toHaveLength(2)
  })

  it('a resumed load keeps its version, reads the chunks not done, rechecks the done ones for rows written since, and sends ACTIVATE_VERSION only at the end', async () => {
    const saved: ChunkState = {
      pages: 30,
      size: 10,
      relfilenode: 16384,
      done: [[0, 1]],
      snapshotXmax: 700,
      snapshotXip: [699],
    }
    const { ctx, stream, lines, nextWorker } = setup()
    ctx.emitter.commit('public-orders', { version: 42, chunks: chunkStateValue(saved) })
    const snap = fakeSnapshot()
    const run = new ChunkedStreamRun(
      ctx,
      stream,
      { kind: 'resume', state: saved, estimatedRows: 6 },
      snap.exporter,
    )
    const outcome = runJobs(run.jobs, 1, quiet, new AbortController().signal)
    const tasks = []
    for (let i = 0; i < 3; i++) {
      const w = await nextWorker()
      tasks.push(w.task)
      await playChunk(w, 42)
    }
    expect((await outcome).completed).toEqual(['public-orders'])
    expect(tasks).toMatchObject([
      { version: 42, chunk: { label: '2/3', fromPage: 10, toPage: 20, snapshot: INFO.name } },
      { version: 42, chunk: { label: '3/3', fromPage: 20 } },
      {
        version: 42,
        chunk: { label: 'recheck 1/3', fromPage: 0, toPage: 10, changedSince: { xmax: 700, xip: [699] } },
      },
    ])
    // The recheck adds no chunk: no STATE of its own, the closing one follows its rows.
    expect(types(lines)).toEqual([
      'SCHEMA',
      'STATE',
      'RECORD',
      'RECORD',
      'STATE',
      'RECORD',
      'RECORD',
      'STATE',
      'RECORD',
      'RECORD',
      'ACTIVATE_VERSION',
      'STATE',
    ])
    const parsed = parse(lines)
    const states = parsed.filter((l) => l.type === 'STATE')
    expect(states.map(doneOf)).toEqual([[[0, 1]], [[0, 2]], [[0, 3]], undefined])
    // The first snapshot's transactions stay in the bookmark: a later resume rechecks against them.
    expect(bookmarkOf(states[0])).toMatchObject({
      version: 42,
      chunks: { snapshot_xmax: 700, snapshot_xip: [699] },
    })
    expect(bookmarkOf(states[3])).toEqual({ version: 42, xmin: null })
    expect(parsed.find((l) => l.type === 'ACTIVATE_VERSION')?.version).toBe(42)
    expect(expectChunksDoneAfterTheirRecords(lines, 3, [0])).toBe(1 + 2)
  })

  it('a stop: the running chunk stops after its rows and is not recorded; the others never start; no closing messages', async () => {
    const { ctx, stream, lines, workers, nextWorker } = setup()
    const snap = fakeSnapshot()
    const run = new ChunkedStreamRun(ctx, stream, FRESH, snap.exporter)
    const ac = new AbortController()
    const outcome = runJobs(run.jobs, 1, quiet, ac.signal)
    const w0 = await nextWorker()
    w0.send({ type: 'snapshotImported' })
    w0.send({ type: 'batch', lines: recordLines([1]), rows: 1 })
    await w0.received('ack')
    ac.abort()
    await w0.received('stop')
    w0.send({ type: 'batch', lines: recordLines([2]), rows: 1 })
    await w0.received('ack', 2)
    w0.finish({ status: 'stopped', rows: 2, clamped: [] })
    expect(await outcome).toEqual({ completed: [], outputClosed: false })
    expect(workers).toHaveLength(1)
    expect(types(lines)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION', 'RECORD', 'RECORD'])
    expect(ctx.emitter.state.bookmarks['public-orders']).toMatchObject({ version: NOW, chunks: { done: [] } })
    // Every chunk settled its part of the snapshot, the skipped ones too: the exporter can close.
    expect(snap.settled).toEqual(snap.expected)
  })

  it('a failed chunk fails the run naming the stream; the chunk running beside it stops and neither is recorded', async () => {
    const { ctx, stream, lines, workers, nextWorker } = setup()
    const snap = fakeSnapshot()
    const run = new ChunkedStreamRun(ctx, stream, FRESH, snap.exporter)
    const outcome = runJobs(run.jobs, 2, quiet, new AbortController().signal)
    const w0 = await nextWorker()
    const w1 = await nextWorker()
    w0.send({ type: 'batch', lines: recordLines([1]), rows: 1 })
    await w0.received('ack')
    w1.finish({
      status: 'failed',
      rows: 0,
      error: { code: 'SYNC_FAILED', message: 'reading public.orders: permission denied', exitCode: 1 },
    })
    await w0.received('stop')
    w0.finish({ status: 'stopped', rows: 1, clamped: [] })
    const result: ScheduleOutcome = await outcome
    expect(result.completed).toEqual([])
    expect(result.failure?.message).toBe('stream public-orders: reading public.orders: permission denied')
    expect(workers).toHaveLength(2)
    expect(types(lines)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION', 'RECORD'])
    expect(ctx.emitter.state.bookmarks['public-orders']).toMatchObject({ chunks: { done: [] } })
    expect(snap.settled).toEqual(snap.expected)
  })

  it('stdout closed while a chunk writes: OUTPUT_CLOSED, the other chunk is aborted, nothing recorded', async () => {
    const { ctx, stream, sink, nextWorker } = setup()
    const snap = fakeSnapshot()
    const run = new ChunkedStreamRun(ctx, stream, FRESH, snap.exporter)
    const outcome = runJobs(run.jobs, 2, quiet, new AbortController().signal)
    const w0 = await nextWorker()
    const w1 = await nextWorker()
    sink.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    w0.send({ type: 'batch', lines: recordLines([1]), rows: 1 })
    // The chunk that met the closed stdout aborts itself; once it ends, the scheduler aborts the other.
    await w0.received('abort')
    // Not acknowledged as written before the abort (the ack that follows only returns the credit).
    expect(w0.control[0].type).toBe('abort')
    expect(w1.control.map((m) => m.type)).not.toContain('abort')
    w0.finish({ status: 'aborted', rows: 0, clamped: [] })
    await w1.received('abort')
    w1.finish({ status: 'aborted', rows: 0, clamped: [] })
    const result = await outcome
    expect(result.outputClosed).toBe(true)
    expect(result.completed).toEqual([])
    expect(ctx.emitter.state.bookmarks['public-orders']).toMatchObject({ chunks: { done: [] } })
  })
})

describe('ChunkedStreamRun (LOG_BASED initial load) with fake workers', () => {
  it("a fresh load: the bookmark holds the snapshot's WAL position from the first STATE, and keeps it as lsn when the load completes", async () => {
    const { ctx, stream, lines, nextWorker } = setup({ method: 'LOG_BASED' })
    const snap = fakeSnapshot({ ...INFO, lsn: 31211520n })
    const run = new ChunkedStreamRun(ctx, stream, FRESH, snap.exporter)
    const outcome = runJobs(run.jobs, 1, quiet, new AbortController().signal)
    for (let i = 0; i < 3; i++) await playChunk(await nextWorker())
    expect((await outcome).completed).toEqual(['public-orders'])
    const states = parse(lines).filter((l) => l.type === 'STATE')
    expect(bookmarkOf(states[0])).toMatchObject({
      lsn: 31211520,
      chunks: { snapshot_lsn: 31211520, done: [] },
    })
    expect(bookmarkOf(states.at(-1) as Line)).toEqual({ version: NOW, xmin: null, lsn: 31211520 })
  })

  it('every chunk done by an earlier run: no chunk is read (no recheck for LOG_BASED), only the closing messages, from the smaller WAL position', async () => {
    const saved: ChunkState = {
      pages: 30,
      size: 10,
      relfilenode: 16384,
      done: [[0, 3]],
      snapshotXmax: 700,
      snapshotXip: [],
      snapshotLsn: 5000n,
    }
    const { ctx, stream, lines, workers } = setup({ method: 'LOG_BASED' })
    ctx.emitter.commit('public-orders', { version: 42, lsn: 6000n, chunks: chunkStateValue(saved) })
    const snap = fakeSnapshot({ ...INFO, lsn: 9000n })
    const run = new ChunkedStreamRun(
      ctx,
      stream,
      { kind: 'resume', state: saved, estimatedRows: 6 },
      snap.exporter,
    )
    expect(run.jobs).toHaveLength(1)
    expect(snap.expected.size).toBe(0)
    expect((await runJobs(run.jobs, 1, quiet, new AbortController().signal)).completed).toEqual([
      'public-orders',
    ])
    expect(workers).toHaveLength(0)
    expect(types(lines)).toEqual(['SCHEMA', 'STATE', 'ACTIVATE_VERSION', 'STATE'])
    const states = parse(lines).filter((l) => l.type === 'STATE')
    expect(bookmarkOf(states[0])).toMatchObject({ lsn: 5000 })
    expect(bookmarkOf(states[1])).toEqual({ version: 42, xmin: null, lsn: 5000 })
  })
})
