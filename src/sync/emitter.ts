/**
 * The run's Singer output and its state, together, so that a STATE line can only describe records
 * already written (docs/behaviour.md#messages): bookmarks change only through `commit`, which callers use after the
 * `write` of the records it covers resolved; `writeState` prints the bookmarks as they are then.
 * Writes keep their call order in SingerOutput's stream, so a STATE issued after a write resolved
 * comes after those records in stdout.
 */
import type { SingerOutput } from '../singer/output.js'
import { stateLine } from '../singer/messages.js'
import { patchedBookmark, type Bookmark, type BookmarkPatch, type SingerState } from '../singer/state.js'

/** What the stream runners and the LOG_BASED run may do with the output (see log-based-seam.ts). */
export interface SyncEmitter {
  /** The state as of the last commit. */
  readonly state: SingerState
  /** Writes finished Singer lines (each ending in '\n'); resolves when stdout can take more. */
  write(lines: string): Promise<void>
  /**
   * As `write`, for lines (text or UTF-8 bytes) holding `rows` RECORDs (counted for the run summary);
   * `onWritten`: see SingerOutput.write.
   */
  writeRecords(lines: string | Uint8Array, rows: number, onWritten?: () => void): Promise<void>
  /** Changes a stream's bookmark. Call only after the records it covers were written (await write). */
  commit(tapStreamId: string, patch: BookmarkPatch): void
  /** Sets `currently_syncing` (a stream in flight, or null). */
  setCurrentlySyncing(tapStreamId: string | null): void
  /**
   * A STATE is due (rows read, a stream started or ended): writes a STATE line with every bookmark as
   * committed so far, unless one was written less than the state interval ago; the next due one, or
   * the run's last (`writeFinalState`), then carries it.
   */
  writeState(): Promise<void>
  /** A run's (or a failed phase's) last STATE: written whatever the interval, unless the last line of stdout already is this STATE. */
  writeFinalState(): Promise<void>
}

export interface EmitterOptions {
  /** Least time between two STATE lines (`state_interval_seconds`); 0: every due STATE is written. */
  readonly stateIntervalMs?: number
  readonly now?: () => number
}

export class OutputEmitter implements SyncEmitter {
  readonly #output: SingerOutput
  /**
   * The emitter's own copy of the bookmarks, updated in place: copying every bookmark on each
   * commit made a run quadratic in its number of streams. Readers of `state` use it at once.
   */
  readonly #bookmarks: { [tapStreamId: string]: Bookmark }
  #currentlySyncing: string | null
  #records = 0
  #lastStateLine = ''
  /** A line went out after the last STATE. */
  #linesSinceState = false
  #lastStateAt = Number.NEGATIVE_INFINITY
  readonly #stateIntervalMs: number
  readonly #now: () => number
  /** Streams in flight, oldest first: `currently_syncing` names the newest one, or null. */
  readonly #inFlight: string[] = []

  constructor(output: SingerOutput, state: SingerState, options: EmitterOptions = {}) {
    this.#output = output
    this.#bookmarks = { ...state.bookmarks }
    this.#currentlySyncing = state.currently_syncing
    this.#stateIntervalMs = options.stateIntervalMs ?? 0
    this.#now = options.now ?? Date.now
  }

  get state(): SingerState {
    return { currently_syncing: this.#currentlySyncing, bookmarks: this.#bookmarks }
  }

  get recordsWritten(): number {
    return this.#records
  }

  write(lines: string): Promise<void> {
    if (lines.length > 0) this.#linesSinceState = true
    return this.#output.write(lines)
  }

  /** For batches of RECORD lines: counted, for the run summary. */
  writeRecords(lines: string | Uint8Array, rows: number, onWritten?: () => void): Promise<void> {
    this.#records += rows
    if (lines.length > 0) this.#linesSinceState = true
    return this.#output.write(lines, onWritten)
  }

  commit(tapStreamId: string, patch: BookmarkPatch): void {
    this.#bookmarks[tapStreamId] = patchedBookmark(this.#bookmarks[tapStreamId] ?? {}, patch)
  }

  setCurrentlySyncing(tapStreamId: string | null): void {
    this.#currentlySyncing = tapStreamId
  }

  /** A stream starts: it becomes `currently_syncing`. */
  begin(tapStreamId: string): void {
    this.#inFlight.push(tapStreamId)
    this.setCurrentlySyncing(tapStreamId)
  }

  /** A stream completed: `currently_syncing` moves to another stream in flight, or null. */
  end(tapStreamId: string): void {
    const i = this.#inFlight.indexOf(tapStreamId)
    if (i >= 0) this.#inFlight.splice(i, 1)
    this.setCurrentlySyncing(this.#inFlight.at(-1) ?? null)
  }

  writeState(): Promise<void> {
    // A STATE carries every bookmark: written per stream event, thousands of streams made the
    // output quadratic in their number. Time bounds it; skipping one loses nothing, as the next
    // STATE holds everything committed by then.
    if (this.#now() - this.#lastStateAt < this.#stateIntervalMs) return Promise.resolve()
    return this.#writeStateNow()
  }

  /**
   * The run's last STATE, whatever the interval: the last line of stdout, after the records written
   * (docs/behaviour.md#signals-and-a-closed-stdout, #messages), even when it says what the previous one said; left out only when the last line
   * already is that STATE.
   */
  async writeFinalState(): Promise<void> {
    if (this.#linesSinceState || stateLine(this.state) !== this.#lastStateLine) await this.#writeStateNow()
  }

  #writeStateNow(): Promise<void> {
    this.#lastStateLine = stateLine(this.state)
    this.#lastStateAt = this.#now()
    this.#linesSinceState = false
    return this.#output.write(this.#lastStateLine)
  }
}
