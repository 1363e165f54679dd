/**
 * The run's Singer output and its state, together, so that a STATE line can only describe records
 * already written (spec §4): bookmarks change only through `commit`, which callers use after the
 * `write` of the records it covers resolved; `writeState` prints the bookmarks as they are then.
 * Writes keep their call order in SingerOutput's stream, so a STATE issued after a write resolved
 * comes after those records in stdout.
 */
import type { SingerOutput } from '../singer/output.js'
import { stateLine } from '../singer/messages.js'
import { patchBookmark, setCurrentlySyncing, type BookmarkPatch, type SingerState } from '../singer/state.js'

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
  /** Writes a STATE line with every bookmark as committed so far. */
  writeState(): Promise<void>
}

export class OutputEmitter implements SyncEmitter {
  readonly #output: SingerOutput
  #state: SingerState
  #records = 0
  #lastStateLine = ''
  /** A line went out after the last STATE. */
  #linesSinceState = false
  /** Streams in flight, oldest first: `currently_syncing` names the newest one, or null. */
  readonly #inFlight: string[] = []

  constructor(output: SingerOutput, state: SingerState) {
    this.#output = output
    this.#state = state
  }

  get state(): SingerState {
    return this.#state
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
    this.#state = patchBookmark(this.#state, tapStreamId, patch)
  }

  setCurrentlySyncing(tapStreamId: string | null): void {
    this.#state = setCurrentlySyncing(this.#state, tapStreamId)
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
    this.#lastStateLine = stateLine(this.#state)
    this.#linesSinceState = false
    return this.#output.write(this.#lastStateLine)
  }

  /**
   * The run's last STATE: the last line of stdout, after the records written (spec §1, §4), even when
   * it says what the previous one said; left out only when the last line already is that STATE.
   */
  async writeFinalState(): Promise<void> {
    if (this.#linesSinceState || stateLine(this.#state) !== this.#lastStateLine) await this.writeState()
  }
}
