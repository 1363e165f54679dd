/**
 * The main-thread side of a chunked load (a FULL_TABLE stream, or a LOG_BASED initial load, of a big
 * table): one pool job per chunk, all reading the run's exported snapshot (snapshot.ts), chunks of
 * every stream sharing the pool. The stream's opening messages go out before its first chunk's rows,
 * the closing ones after its last chunk; in between, each finished chunk is recorded in the bookmark
 * (chunk-state.ts) and a STATE follows, so an interrupted load resumes with the chunks that are
 * not done. docs/chunked-loads.md has the design and what a resumed load guarantees.
 */
import { TapError } from '../errors.js'
import { smallestLsn } from '../pg/lsn.js'
import type { Logger } from '../log/logger.js'
import type { FullTableTask } from '../protocol/messages.js'
import { CHUNKS_KEY, chunkStateOf, chunkStateValue, type ChunkState } from './chunk-state.js'
import { activateVersionLine } from '../singer/messages.js'
import { getBookmark, type SingerState } from '../singer/state.js'
import { tableFactsKey, type ChunkFacts } from './chunk-facts.js'
import {
  addIndex,
  chunkCount,
  chunkPages,
  countIndexes,
  decideChunking,
  indexesOf,
  type ChunkPlan,
} from './chunk-plan.js'
import { needsInitialLoad, type PlannedStream } from './plan.js'
import type { TaskWithoutPort } from './pool.js'
import type { Job, JobOutcome } from './scheduler.js'
import type { SnapshotExporter } from './snapshot.js'
import { streamSchemaLine } from '../catalog/stream-schema.js'
import { endedStatus, StreamRun, type StreamOutcome, type StreamRunContext } from './stream-runner.js'

/** How the load starts: a new plan (a new version), or the plan in the bookmark. */
export type ChunkedStart = (
  | { readonly kind: 'fresh'; readonly plan: ChunkPlan; readonly relfilenode: number }
  | { readonly kind: 'resume'; readonly state: ChunkState }
) & {
  /** From the table's size now (the catalog's estimate is 0 for a table never analysed). */
  readonly estimatedRows: number
}

interface ChunkWork {
  readonly index: number
  /** Re-reads a chunk an earlier run finished, for rows written since its snapshot (FULL_TABLE resume). */
  readonly recheck: boolean
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`
}

function pagesText(plan: ChunkPlan, index: number): string {
  const p = chunkPages(plan, index)
  return p.to === undefined ? `pages ${p.from}-end` : `pages ${p.from}-${p.to - 1}`
}

export class ChunkedStreamRun {
  readonly stream: PlannedStream
  readonly #ctx: StreamRunContext
  readonly #snapshot: SnapshotExporter
  readonly #logger: Logger
  readonly #state0: ChunkState
  readonly #version: number
  readonly #firstRunOfVersion: boolean
  readonly #jobs: ChunkJob[]
  readonly #estimatedRows: number
  /** LOG_BASED: where the load's first attempt started (its first snapshot's position), the bookmark's lsn throughout. */
  readonly #loadLsn: bigint | undefined
  #state: ChunkState
  #opening: Promise<void> | undefined
  #opened = false
  #ended = 0
  #rows = 0
  #status: 'done' | 'stopped' | 'aborted' | 'failed' = 'done'

  constructor(ctx: StreamRunContext, stream: PlannedStream, start: ChunkedStart, snapshot: SnapshotExporter) {
    this.#ctx = ctx
    this.stream = stream
    this.#snapshot = snapshot
    this.#logger = ctx.logger.child({ stream: stream.stream })
    this.#estimatedRows = start.estimatedRows
    const bookmark = getBookmark(ctx.emitter.state, stream.tapStreamId)
    if (start.kind === 'resume') {
      this.#state0 = start.state
      this.#version = bookmark.version as number
      this.#firstRunOfVersion = false
    } else {
      const lsn = snapshot.info.lsn
      if (stream.method === 'LOG_BASED' && lsn === undefined)
        throw new TapError(
          'INTERNAL',
          `stream ${stream.tapStreamId}: the snapshot of a LOG_BASED chunked load has no WAL position`,
        )
      this.#state0 = {
        ...start.plan,
        relfilenode: start.relfilenode,
        done: [],
        snapshotXmax: snapshot.info.xmax,
        snapshotXip: snapshot.info.xip,
        ...(stream.method === 'LOG_BASED' ? { snapshotLsn: lsn } : {}),
      }
      this.#version = ctx.now()
      this.#firstRunOfVersion = true
    }
    // Both are the first snapshot's position when this tap wrote them; the smaller is the safe one.
    this.#loadLsn =
      stream.method === 'LOG_BASED'
        ? smallestLsn([start.kind === 'resume' ? bookmark.lsn : undefined, this.#state0.snapshotLsn])
        : undefined
    if (stream.method === 'LOG_BASED' && this.#loadLsn === undefined)
      throw new TapError(
        'INTERNAL',
        `stream ${stream.tapStreamId}: a LOG_BASED chunked load without a WAL position to stream from`,
      )
    this.#state = this.#state0
    const count = chunkCount(this.#state0)
    const work: ChunkWork[] = indexesOf(this.#state0.done, count, false).map((index) => ({
      index,
      recheck: false,
    }))
    // LOG_BASED needs no recheck: streaming from snapshot_lsn replays whatever changed since.
    if (stream.method !== 'LOG_BASED')
      work.push(...indexesOf(this.#state0.done, count, true).map((index) => ({ index, recheck: true })))
    this.#jobs = work.length === 0 ? [new ChunkJob(this, undefined)] : work.map((w) => new ChunkJob(this, w))
    for (const j of this.#jobs) if (j.work !== undefined) snapshot.expect(j.id)
  }

  get jobs(): readonly Job[] {
    return this.#jobs
  }

  // ------------------------------------------------------------------------- used by the jobs

  /** The opening messages, once, before any chunk's rows; every job awaits it. */
  open(): Promise<void> {
    this.#opening ??= this.#open()
    return this.#opening
  }

  async #open(): Promise<void> {
    const { emitter, metrics, progress, config } = this.#ctx
    const s = this.stream
    const count = chunkCount(this.#state0)
    const doneBefore = countIndexes(this.#state0.done)
    // LOG_BASED: `lsn` from the start, as pipelinewise writes it; `chunks` says the load is not done.
    emitter.commit(s.tapStreamId, {
      version: this.#version,
      xmin: undefined,
      [CHUNKS_KEY]: chunkStateValue(this.#state0),
      ...(this.#loadLsn === undefined ? {} : { lsn: this.#loadLsn }),
    })
    const what = s.method === 'LOG_BASED' ? 'LOG_BASED initial load (full table)' : 'FULL_TABLE sync'
    const rowsEach = Math.round(this.#estimatedRows / count)
    if (this.#firstRunOfVersion) {
      this.#logger.info(
        `Starting ${what} of ${s.schemaName}.${s.tableName} in ${plural(count, 'chunk')} of ${plural(this.#state0.size, 'page')} (~${plural(rowsEach, 'row')} each), on snapshot ${this.#snapshot.info.name}`,
      )
    } else {
      const rechecks = this.#jobs.filter((j) => j.work?.recheck).length
      this.#logger.info(
        `Resuming ${what} of ${s.schemaName}.${s.tableName}: ${doneBefore}/${count} chunks done by an earlier run, ${count - doneBefore} to read` +
          `${rechecks > 0 ? `, ${rechecks} to recheck for rows written since` : ''}, on snapshot ${this.#snapshot.info.name}`,
      )
    }
    emitter.begin(s.tapStreamId)
    await emitter.write(streamSchemaLine(s, config.debug_lsn))
    await emitter.writeState()
    if (this.#firstRunOfVersion) await emitter.write(activateVersionLine(s.stream, this.#version))
    metrics.streamStarted(s.stream)
    progress.started(s.stream, this.#estimatedRows, { total: count, done: doneBefore })
    this.#opened = true
  }

  task(work: ChunkWork): TaskWithoutPort {
    const s = this.stream
    const pages = chunkPages(this.#state0, work.index)
    const label = `${work.recheck ? 'recheck ' : ''}${work.index + 1}/${chunkCount(this.#state0)}`
    const task: Omit<FullTableTask, 'port'> = {
      kind: 'fullTable',
      stream: s.stream,
      tapStreamId: s.tapStreamId,
      schemaName: s.schemaName,
      tableName: s.tableName,
      columns: s.columns.map((c) => ({ name: c.name, type: c.type })),
      rowEstimate: this.#estimatedRows,
      maxInFlight: this.#ctx.maxInFlight,
      rowFilter: s.rowFilter,
      version: this.#version,
      order: 'unordered',
      chunk: {
        label,
        fromPage: pages.from,
        snapshot: this.#snapshot.info.name,
        ...(pages.to === undefined ? {} : { toPage: pages.to }),
        ...(work.recheck
          ? { changedSince: { xmax: this.#state0.snapshotXmax, xip: this.#state0.snapshotXip } }
          : {}),
      },
    }
    return task
  }

  chunkLogger(work: ChunkWork): Logger {
    return this.#logger.child({
      chunk: `${work.recheck ? 'recheck ' : ''}${work.index + 1}/${chunkCount(this.#state0)}`,
    })
  }

  snapshotSettled(job: ChunkJob): void {
    this.#snapshot.settle(job.id)
  }

  get context(): StreamRunContext {
    return this.#ctx
  }

  /** A job ended: record a finished chunk (then STATE), and close the stream after its last chunk. */
  async ended(job: ChunkJob, outcome: StreamOutcome): Promise<JobOutcome> {
    const { emitter, progress } = this.#ctx
    const s = this.stream
    this.#rows += outcome.rows
    if (outcome.status !== 'done') this.#status = worse(this.#status, outcome.status)
    let completed = false
    try {
      if (outcome.status === 'done' && job.work !== undefined && !job.work.recheck) {
        this.#state = { ...this.#state, done: addIndex(this.#state.done, job.work.index) }
        emitter.commit(s.tapStreamId, { [CHUNKS_KEY]: chunkStateValue(this.#state) })
        progress.chunkDone(s.stream)
        const doneNow = countIndexes(this.#state.done)
        this.#logger.info(
          `Chunk ${job.work.index + 1}/${chunkCount(this.#state)} done (${pagesText(this.#state, job.work.index)}, ${plural(outcome.rows, 'row')}): ` +
            `${doneNow}/${chunkCount(this.#state)} chunks, ${plural(this.#rows, 'row')} this run`,
        )
        await emitter.writeState()
      }
      this.#ended++
      if (this.#ended === this.#jobs.length && this.#status === 'done') {
        await this.#close()
        completed = true
      }
    } catch (e) {
      const error = e instanceof TapError ? e : new TapError('OUTPUT_CLOSED', String(e))
      this.#status = 'failed'
      this.#endIfSettled()
      return { status: 'failed', error, streamCompleted: false }
    }
    this.#endIfSettled()
    return { status: outcome.status, error: outcome.error, streamCompleted: completed }
  }

  /** A job that will not run (the run is stopping). */
  skipped(job: ChunkJob): void {
    this.#snapshot.settle(job.id)
    this.#ended++
    this.#status = worse(this.#status, 'stopped')
    this.#endIfSettled()
  }

  /** The closing messages: `xmin: null` (and the LOG_BASED lsn), no chunk state, ACTIVATE_VERSION, STATE. */
  async #close(): Promise<void> {
    const { emitter } = this.#ctx
    const s = this.stream
    const lsn = this.#loadLsn
    emitter.commit(s.tapStreamId, {
      xmin: null,
      [CHUNKS_KEY]: undefined,
      ...(lsn === undefined ? {} : { lsn }),
    })
    await emitter.write(activateVersionLine(s.stream, this.#version))
    emitter.end(s.tapStreamId)
    await emitter.writeState()
    this.#logger.info(
      `Finished ${s.schemaName}.${s.tableName}: ${plural(chunkCount(this.#state), 'chunk')}, ${plural(this.#rows, 'row')} this run`,
    )
  }

  #endIfSettled(): void {
    if (this.#ended !== this.#jobs.length || !this.#opened) return
    const { metrics, progress } = this.#ctx
    const status = endedStatus(this.#status)
    progress.ended(this.stream.stream, status)
    metrics.streamEnded(this.stream.stream, status)
  }
}

const SEVERITY = { done: 0, stopped: 1, aborted: 2, failed: 3 } as const

function worse(a: keyof typeof SEVERITY, b: keyof typeof SEVERITY): keyof typeof SEVERITY {
  return SEVERITY[b] > SEVERITY[a] ? b : a
}

/** One chunk on the pool; or, when an earlier run read every chunk but not the closing messages, just those. */
class ChunkJob implements Job {
  readonly id: string
  readonly work: ChunkWork | undefined
  readonly #owner: ChunkedStreamRun
  #runner: StreamRun | undefined
  #stopRequested = false
  #aborted = false

  constructor(owner: ChunkedStreamRun, work: ChunkWork | undefined) {
    this.#owner = owner
    this.work = work
    this.id = `${owner.stream.tapStreamId}#${work === undefined ? 'close' : `${work.recheck ? 'recheck' : 'chunk'}${work.index}`}`
  }

  get tapStreamId(): string {
    return this.#owner.stream.tapStreamId
  }

  async run(): Promise<JobOutcome> {
    if (this.#stopRequested || this.#aborted) {
      this.skip()
      return { status: 'stopped', streamCompleted: false }
    }
    let outcome: StreamOutcome
    try {
      await this.#owner.open()
      if (this.work === undefined) {
        outcome = { status: 'done', rows: 0 }
      } else {
        const runner = new StreamRun(this.#owner.context, this.#owner.stream, {
          logger: this.#owner.chunkLogger(this.work),
          onSnapshotImported: () => this.#owner.snapshotSettled(this),
          logEnd: false,
        })
        this.#runner = runner
        if (this.#aborted) runner.abort()
        else if (this.#stopRequested) runner.stop()
        try {
          outcome = await runner.runTask(this.#owner.task(this.work))
        } finally {
          this.#owner.snapshotSettled(this)
        }
      }
    } catch (e) {
      const error = e instanceof TapError ? e : new TapError('OUTPUT_CLOSED', String(e))
      this.#owner.snapshotSettled(this)
      outcome = { status: 'failed', rows: 0, error }
    }
    return this.#owner.ended(this, outcome)
  }

  stop(): void {
    this.#stopRequested = true
    this.#runner?.stop()
  }

  abort(): void {
    this.#aborted = true
    this.#runner?.abort()
  }

  skip(): void {
    this.#owner.skipped(this)
  }
}

/**
 * Which pool streams load in chunks this run, and how each starts. A note (a chunk plan that no
 * longer fits, so the load starts again) is logged as a warning.
 */
export function chunkedStarts(args: {
  readonly streams: readonly PlannedStream[]
  readonly state: SingerState
  readonly chunkRows: number
  readonly facts: ChunkFacts | undefined
  readonly logger: Logger
}): Map<string, ChunkedStart> {
  const out = new Map<string, ChunkedStart>()
  for (const s of args.streams) {
    const bookmark = getBookmark(args.state, s.tapStreamId)
    const table = args.facts?.tables.get(tableFactsKey(s.schemaName, s.tableName))
    const saved = chunkStateOf(bookmark)
    const decision = decideChunking({
      chunkRows: args.chunkRows,
      serverVersion: args.facts?.serverVersion ?? 0,
      eligible:
        (s.method === 'FULL_TABLE' || (s.method === 'LOG_BASED' && needsInitialLoad(bookmark))) &&
        s.relkind === 'r',
      table,
      xminResume: typeof bookmark.xmin === 'number' && bookmark.version !== undefined,
      saved,
    })
    if (decision.mode !== 'resume' && decision.note !== undefined)
      args.logger.child({ stream: s.stream }).warn(decision.note)
    const estimatedRows = table?.estimatedRows ?? s.rowEstimate
    if (decision.mode === 'fresh' && table !== undefined)
      out.set(s.tapStreamId, {
        kind: 'fresh',
        plan: decision.plan,
        relfilenode: table.relfilenode,
        estimatedRows,
      })
    else if (decision.mode === 'resume' && saved !== undefined && saved !== 'invalid')
      out.set(s.tapStreamId, { kind: 'resume', state: saved, estimatedRows })
  }
  return out
}
