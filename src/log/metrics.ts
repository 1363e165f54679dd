/**
 * Singer metrics on stderr (docs/behaviour.md#logging-and-metrics), in the Singer SDK's line format so Meltano picks them up:
 *   METRIC: {"type":"counter","metric":"record_count","value":N,"tags":{"stream":S}}
 * every `intervalMs` and at stream end (the value counts records since the previous line, as the
 * SDK's counters do), and one `sync_duration` timer per stream when it ends. With JSON logs the point
 * goes in `metric_info` instead (Logger.metric), as the SDK's StructuredFormatter does.
 */
import { performance } from 'node:perf_hooks'
import type { Logger } from './logger.js'
import { jsonString } from '../values/json-text.js'

export type StreamStatus = 'succeeded' | 'failed' | 'interrupted'

export class SyncMetrics {
  readonly #logger: Logger
  readonly #pending = new Map<string, number>()
  readonly #started = new Map<string, number>()
  readonly #timer: NodeJS.Timeout

  constructor(logger: Logger, intervalMs = 60_000) {
    this.#logger = logger
    this.#timer = setInterval(() => this.flush(), intervalMs)
    this.#timer.unref()
  }

  streamStarted(stream: string): void {
    this.#started.set(stream, performance.now())
    this.#pending.set(stream, 0)
  }

  recordsWritten(stream: string, n: number): void {
    this.#pending.set(stream, (this.#pending.get(stream) ?? 0) + n)
  }

  streamEnded(stream: string, status: StreamStatus): void {
    this.#emitCount(stream)
    this.#pending.delete(stream)
    const started = this.#started.get(stream)
    this.#started.delete(stream)
    if (started === undefined) return
    const seconds = Math.round(performance.now() - started) / 1000
    this.#metric(
      stream,
      `{"type":"timer","metric":"sync_duration","value":${seconds},"tags":{"stream":${jsonString(stream)},"status":"${status}"}}`,
    )
  }

  /** A record_count line for every stream in flight that wrote records since its last line. */
  flush(): void {
    for (const stream of this.#pending.keys())
      if ((this.#pending.get(stream) ?? 0) > 0) this.#emitCount(stream)
  }

  close(): void {
    clearInterval(this.#timer)
  }

  #emitCount(stream: string): void {
    const n = this.#pending.get(stream) ?? 0
    this.#pending.set(stream, 0)
    this.#metric(
      stream,
      `{"type":"counter","metric":"record_count","value":${n},"tags":{"stream":${jsonString(stream)}}}`,
    )
  }

  #metric(stream: string, point: string): void {
    this.#logger.metric(point, stream)
  }
}
