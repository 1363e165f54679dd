/**
 * What the live progress view says (README "Usage"), as a pure state machine: stream events and a
 * clock in, lines of text out. progress-view.ts draws the lines on the terminal; nothing here does
 * I/O, so the wording, the rates and what fits on the screen are unit tested with a fake clock.
 *
 * One line per stream in flight (rows done / estimated, %, rows/s, ETA, chunks; for LOG_BASED
 * streaming: messages, msg/s and how far the written position is behind the newest WAL position
 * the tap knows the server has reached),
 * one line per finished stream, and a total line. The final frame (`lines(..., final)`) is the
 * summary left on the screen after the run.
 */
import type { ReplicationMethod } from '../config/schema.js'
import type { StreamStatus } from '../log/metrics.js'
import { prettyBytes } from '../replication/slot.js'
import { clockText, cutToWidth, durationText, group, rateText } from './progress-text.js'
import { RateWindow } from './rate-window.js'

/** Counts and times: the model's events take `clock()` as the time of the event. */
export type Clock = () => number

/** How the run ended, for the final line. */
export type RunEnd = 'finished' | 'stopped' | 'failed'

type Phase = 'waiting' | 'loading' | 'loaded' | 'streaming' | 'done'

interface StreamProgress {
  readonly stream: string
  method: ReplicationMethod | undefined
  phase: Phase
  outcome: StreamStatus | undefined
  rows: number
  estimate: number
  chunks: { total: number; done: number } | undefined
  messages: number
  /** LOG_BASED streaming started for it this run. */
  streamed: boolean
  startedAt: number | undefined
  endedAt: number | undefined
  /** Order of the last phase change, so finished lines keep the order streams finished in. */
  seq: number
  readonly rate: RateWindow
}

export interface FrameSize {
  /** Terminal columns: lines are cut to fit, so none wraps. */
  readonly width: number
  /** Terminal rows: the frame keeps to height − 1 lines (log-update clips the top otherwise). */
  readonly height: number
}

/** The final summary may be longer than the screen (it is written once), up to this many lines. */
const FINAL_MAX_LINES = 40
/** Stream names are padded to align the columns, up to this width. */
const NAME_WIDTH_CAP = 40

export class ProgressModel {
  readonly #clock: Clock
  readonly #streams = new Map<string, StreamProgress>()
  readonly #startedAt: number
  readonly #totalRate = new RateWindow()
  #total = 0
  #seq = 0
  #written: bigint | undefined
  #serverLsn: bigint | undefined
  #finishedAt: number | undefined
  #runEnd: RunEnd | undefined

  constructor(clock: Clock) {
    this.#clock = clock
    this.#startedAt = clock()
    this.#totalRate.reset(this.#startedAt, 0)
  }

  /** The run's streams (the total line counts them); LOG_BASED ones stream after any initial load. */
  planned(streams: ReadonlyArray<{ readonly stream: string; readonly method: ReplicationMethod }>): void {
    for (const s of streams) this.#get(s.stream).method = s.method
  }

  /** A load starts (a whole table, or the first chunk of a chunked one). */
  started(
    stream: string,
    estimatedRows: number,
    chunks?: { readonly total: number; readonly done: number },
  ): void {
    const s = this.#get(stream)
    const now = this.#clock()
    s.phase = 'loading'
    s.outcome = undefined
    s.estimate = Math.max(0, estimatedRows)
    s.chunks = chunks === undefined ? undefined : { ...chunks }
    s.startedAt ??= now
    s.seq = ++this.#seq
    s.rate.reset(now, s.rows)
  }

  advanced(stream: string, rows: number): void {
    const s = this.#get(stream)
    const now = this.#clock()
    s.rows += rows
    s.rate.add(now, s.rows)
    this.#count(now, rows)
  }

  chunkDone(stream: string): void {
    const c = this.#get(stream).chunks
    if (c !== undefined) c.done++
  }

  /** A load ended; a LOG_BASED stream whose load succeeded goes on to streaming. */
  ended(stream: string, status: StreamStatus): void {
    const s = this.#get(stream)
    s.endedAt = this.#clock()
    s.outcome = status
    s.phase = status === 'succeeded' && s.method === 'LOG_BASED' ? 'loaded' : 'done'
    s.seq = ++this.#seq
  }

  replicationStarted(streams: readonly string[]): void {
    const now = this.#clock()
    for (const name of streams) {
      const s = this.#get(name)
      s.method = 'LOG_BASED'
      s.phase = 'streaming'
      s.streamed = true
      s.outcome = undefined
      s.startedAt ??= now
      s.seq = ++this.#seq
      s.rate.reset(now, s.messages)
    }
  }

  replicated(stream: string, messages: number): void {
    const s = this.#get(stream)
    const now = this.#clock()
    s.messages += messages
    s.rate.add(now, s.messages)
    this.#count(now, messages)
  }

  /**
   * `written`: everything below it is on stdout. `serverLsn`: a WAL position the server has reached:
   * end_lsn (pg_current_wal_lsn() at the start of the run), then the positions in its keepalives
   * (how far its walsender has read); the newest counts. The lag is what the run still has to write
   * to catch up with it: with break_at_end_lsn, what is left before the run stops.
   */
  walPosition(written: bigint, serverLsn?: bigint): void {
    this.#written = written
    if (serverLsn !== undefined && (this.#serverLsn === undefined || serverLsn > this.#serverLsn))
      this.#serverLsn = serverLsn
  }

  replicationEnded(status: StreamStatus): void {
    const now = this.#clock()
    for (const s of this.#streams.values()) {
      if (s.phase !== 'streaming') continue
      s.phase = 'done'
      s.outcome = status
      s.endedAt = now
      s.seq = ++this.#seq
    }
  }

  /** The run is over (how, run-sync knows): what is still in flight counts as interrupted. */
  finish(end: RunEnd): void {
    if (this.#finishedAt !== undefined) return
    const now = this.#clock()
    this.#finishedAt = now
    this.#runEnd = end
    for (const s of this.#streams.values()) {
      if (s.phase === 'loading' || s.phase === 'streaming') {
        s.phase = 'done'
        s.outcome = 'interrupted'
        s.endedAt = now
        s.seq = ++this.#seq
      } else if (s.phase === 'loaded') {
        s.phase = 'done'
      }
    }
  }

  /** Bytes the written position is behind the server's known position; undefined before both are known. */
  get lagBytes(): bigint | undefined {
    if (this.#written === undefined || this.#serverLsn === undefined) return undefined
    return this.#serverLsn > this.#written ? this.#serverLsn - this.#written : 0n
  }

  /** The frame: finished streams, streams in flight, the total line; `final` after finish(). */
  lines(size: FrameSize): string[] {
    const now = this.#finishedAt ?? this.#clock()
    const final = this.#finishedAt !== undefined
    const all = [...this.#streams.values()]
    const inFlight = all
      .filter((s) => s.phase === 'loading' || s.phase === 'streaming')
      .sort((a, b) => a.seq - b.seq)
    const finished = all.filter((s) => s.phase === 'done' || s.phase === 'loaded').sort(byFinish)
    const waiting = final ? all.filter((s) => s.phase === 'waiting') : []
    const budget = Math.max(3, final ? Math.max(FINAL_MAX_LINES, size.height - 1) : size.height - 1)
    const shown = [...finished, ...inFlight, ...waiting]
    const nameWidth = Math.min(NAME_WIDTH_CAP, Math.max(0, ...shown.map((s) => s.stream.length)))

    let avail = budget - 1
    const flightLines: string[] = []
    const flightFits = inFlight.length <= avail ? inFlight.length : Math.max(0, avail - 1)
    for (const s of inFlight.slice(0, flightFits)) flightLines.push(this.#flightLine(s, now, nameWidth))
    if (flightFits < inFlight.length)
      flightLines.push(`▶ … ${group(inFlight.length - flightFits)} more in flight`)
    avail -= flightLines.length

    const rest = [...finished, ...waiting]
    const restLines: string[] = []
    if (avail > 0 && rest.length > 0) {
      const fit = rest.length <= avail ? rest.length : avail - 1
      const hidden = rest.slice(0, rest.length - fit)
      if (hidden.length > 0) restLines.push(hiddenLine(hidden))
      for (const s of rest.slice(rest.length - fit)) restLines.push(this.#finishedLine(s, nameWidth))
    }
    const out = [...restLines, ...flightLines, final ? this.#finalLine(now) : this.#totalLine(now)]
    // The final frame is written once and scrolls like any output: it may wrap.
    return final ? out : out.map((l) => cutToWidth(l, size.width))
  }

  #get(stream: string): StreamProgress {
    let s = this.#streams.get(stream)
    if (s === undefined) {
      s = {
        stream,
        method: undefined,
        phase: 'waiting',
        outcome: undefined,
        rows: 0,
        estimate: 0,
        chunks: undefined,
        messages: 0,
        streamed: false,
        startedAt: undefined,
        endedAt: undefined,
        seq: 0,
        rate: new RateWindow(),
      }
      this.#streams.set(stream, s)
    }
    return s
  }

  #count(now: number, n: number): void {
    this.#total += n
    this.#totalRate.add(now, this.#total)
  }

  #flightLine(s: StreamProgress, now: number, nameWidth: number): string {
    const rate = s.rate.rate(now)
    const parts: string[] = []
    if (s.phase === 'streaming') {
      parts.push('LOG_BASED', `${group(s.messages)} messages`)
      if (rate !== undefined) parts.push(`${rateText(rate)} msg/s`)
      const lag = this.lagBytes
      if (lag !== undefined) parts.push(`behind ${prettyBytes(lag)}`)
    } else {
      parts.push(s.estimate > 0 ? `${group(s.rows)}/${group(s.estimate)} rows` : `${group(s.rows)} rows`)
      if (s.estimate > 0) parts.push(`${Math.min(100, Math.floor((100 * s.rows) / s.estimate))}%`)
      // No rate before the first rows: the server is still planning, sorting or scanning.
      if (s.rows === 0) parts.push('waiting for the first rows')
      else if (rate !== undefined) parts.push(`${rateText(rate)} rows/s`)
      if (rate !== undefined && rate > 0 && s.rows > 0 && s.estimate > s.rows)
        parts.push(`ETA ${clockText(((s.estimate - s.rows) / rate) * 1000, 'up')}`)
      if (s.chunks !== undefined) parts.push(`chunk ${s.chunks.done}/${s.chunks.total}`)
      if (s.method === 'LOG_BASED') parts.push('(initial load)')
    }
    return `▶ ${s.stream.padEnd(nameWidth)}  ${parts.join('  ')}`
  }

  #finishedLine(s: StreamProgress, nameWidth: number): string {
    const name = s.stream.padEnd(nameWidth)
    if (s.phase === 'waiting') return `· ${name}  not started`
    const seconds =
      s.startedAt !== undefined && s.endedAt !== undefined ? (s.endedAt - s.startedAt) / 1000 : 0
    const what: string[] = []
    if (s.method !== 'LOG_BASED') what.push(`${group(s.rows)} rows`)
    else {
      if (s.rows > 0 || !s.streamed) what.push(`${group(s.rows)} rows loaded`)
      if (s.streamed) what.push(`${group(s.messages)} messages`)
    }
    const count = what.join(', ')
    const chunks =
      s.chunks !== undefined && s.outcome !== 'succeeded'
        ? `, ${s.chunks.done}/${s.chunks.total} chunks done`
        : ''
    if (s.phase === 'loaded') return `✔ ${name}  ${count} in ${durationText(seconds)}; streaming next`
    switch (s.outcome) {
      case 'failed':
        return `✖ ${name}  failed after ${count}${chunks} (${durationText(seconds)})`
      case 'interrupted':
        return `■ ${name}  stopped after ${count}${chunks} (${durationText(seconds)})`
      default: {
        const rate = s.method !== 'LOG_BASED' && seconds > 0 ? ` (${rateText(s.rows / seconds)} rows/s)` : ''
        return `✔ ${name}  ${count} in ${durationText(seconds)}${rate}`
      }
    }
  }

  #counts(): { done: number; total: number } {
    let done = 0
    for (const s of this.#streams.values()) if (s.phase === 'done') done++
    return { done, total: this.#streams.size }
  }

  #totalLine(now: number): string {
    const { done, total } = this.#counts()
    const rate = this.#totalRate.rate(now)
    return `total  ${done}/${total} streams done  ${group(this.#total)} records${rate === undefined ? '' : `  ${rateText(rate)} records/s`}  ${clockText(now - this.#startedAt, 'down')} elapsed`
  }

  #finalLine(now: number): string {
    const { total } = this.#counts()
    const verb = this.#runEnd ?? 'finished'
    const seconds = (now - this.#startedAt) / 1000
    const ok = [...this.#streams.values()].filter((s) => s.outcome === 'succeeded').length
    return (
      `Sync ${verb}: ${ok}/${total} streams, ${group(this.#total)} records in ${durationText(seconds)}` +
      `${seconds > 0 ? ` (${rateText(this.#total / seconds)} records/s)` : ''}`
    )
  }
}

/** Succeeded first, then the ones that did not, so a cut list keeps those in sight. */
function byFinish(a: StreamProgress, b: StreamProgress): number {
  const bad = (s: StreamProgress): number => (s.outcome === 'failed' || s.outcome === 'interrupted' ? 1 : 0)
  return bad(a) - bad(b) || a.seq - b.seq
}

function hiddenLine(hidden: readonly StreamProgress[]): string {
  const bad = hidden.filter((s) => s.outcome === 'failed' || s.outcome === 'interrupted').length
  const waiting = hidden.filter((s) => s.phase === 'waiting').length
  const extra = [
    bad > 0 ? `${group(bad)} failed or stopped` : '',
    waiting > 0 ? `${group(waiting)} not started` : '',
  ].filter((x) => x !== '')
  return `  … ${group(hidden.length)} more stream${hidden.length === 1 ? '' : 's'}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`
}
