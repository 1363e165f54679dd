/**
 * A progress line on stderr, only when stderr is a terminal (spec §9): rows done / estimated rows
 * per stream in flight, every few seconds. Logs and metrics stay the record; this is for people.
 */
export interface ProgressSink {
  started(stream: string, estimatedRows: number): void
  advanced(stream: string, rows: number): void
  ended(stream: string): void
  close(): void
}

const NONE: ProgressSink = { started() {}, advanced() {}, ended() {}, close() {} }

export function progressDisplay(stream: NodeJS.WriteStream = process.stderr, intervalMs = 2000): ProgressSink {
  if (!stream.isTTY) return NONE
  const rows = new Map<string, { done: number; estimated: number }>()
  const timer = setInterval(() => {
    if (rows.size === 0) return
    const parts = [...rows].map(([s, r]) => r.estimated > 0
      ? `${s} ${r.done}/${r.estimated} (${Math.min(100, Math.floor((100 * r.done) / r.estimated))}%)`
      : `${s} ${r.done}`)
    stream.write(`progress: ${parts.join(', ')}\n`)
  }, intervalMs)
  timer.unref()
  return {
    started(s, estimatedRows) { rows.set(s, { done: 0, estimated: estimatedRows }) },
    advanced(s, n) { const r = rows.get(s); if (r) r.done += n },
    ended(s) { rows.delete(s) },
    close() { clearInterval(timer) },
  }
}
