/**
 * The replication worker's next batch, as it is gathered: RECORD, SCHEMA and ACTIVATE_VERSION lines
 * (text: wal2json's values arrive as strings, so the lines are built as one string and encoded
 * once, when the batch is sent), the records per stream, and the TRUNCATE version switches.
 */
import type { VersionSwitch } from '../protocol/messages.js'
import { activateVersionLine, recordSuffix } from '../singer/messages.js'

/** Records and lines gathered for the next batch. */
export class BatchBuilder {
  lines = ''
  records = 0
  messages = 0
  readonly counts = new Map<string, number>()
  /** TRUNCATEs whose ACTIVATE_VERSION lines are in `lines`, in order. */
  versions: VersionSwitch[] = []
  /** time_extracted of the batch's records: when their first change was read. */
  #timeExtracted: Date | undefined
  readonly #suffixes = new Map<string, string>()

  /** RECORD line suffix for this batch (version and time_extracted), built once per stream. */
  suffix(stream: string, version: number | undefined): string {
    let s = this.#suffixes.get(stream)
    if (s === undefined) {
      this.#timeExtracted ??= new Date()
      s = recordSuffix(version, this.#timeExtracted) + '\n'
      this.#suffixes.set(stream, s)
    }
    return s
  }

  addRecord(stream: string, line: string): void {
    this.lines += line
    this.records++
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + 1)
  }

  addLine(line: string): void {
    this.lines += line
  }

  /** The ACTIVATE_VERSION line of a switch; the stream's next records get a suffix with the new version. */
  addVersionSwitch(sw: VersionSwitch): void {
    this.lines += activateVersionLine(sw.stream, sw.version)
    this.versions.push(sw)
    this.#suffixes.delete(sw.stream)
  }

  reset(): void {
    this.lines = ''
    this.records = 0
    this.messages = 0
    this.counts.clear()
    this.versions = []
    this.#timeExtracted = undefined
    this.#suffixes.clear()
  }
}
