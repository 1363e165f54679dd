/**
 * A progress line on stderr, only when stderr is a terminal (spec §9): rows done / estimated rows
 * per stream in flight (and chunks done / chunks, for chunked loads), every few seconds. Logs and
 * metrics stay the record; this is for people.
 */
export interface ProgressSink {
  /** `chunks`: a chunked load's chunk count, and how many an earlier run finished. */
  started(stream: string, estimatedRows: number, chunks?: { readonly total: number; readonly done: number }): void
  advanced(stream: string, rows: number): void
  chunkDone(stream: string): void
  ended(stream: string): void
  close(): void
}

const NONE: ProgressSink = { started() {}, advanced() {}, chunkDone() {}, ended() {}, close() {} }

export function progressDisplay(stream: NodeJS.WriteStream = process.stderr, intervalMs = 2000): ProgressSink {
  if (!stream.isTTY) return NONE
  const rows = new Map<string, { done: number; estimated: number; chunks?: { total: number; done: number } }>()
  const timer = setInterval(() => {
    if (rows.size === 0) return
    const parts = [...rows].map(([s, r]) => (r.estimated > 0
      ? `${s} ${r.done}/${r.estimated} (${Math.min(100, Math.floor((100 * r.done) / r.estimated))}%)`
      : `${s} ${r.done}`) + (r.chunks ? ` chunks ${r.chunks.done}/${r.chunks.total}` : ''))
    stream.write(`progress: ${parts.join(', ')}\n`)
  }, intervalMs)
  timer.unref()
  return {
    started(s, estimatedRows, chunks) { rows.set(s, { done: 0, estimated: estimatedRows, ...(chunks ? { chunks: { ...chunks } } : {}) }) },
    advanced(s, n) { const r = rows.get(s); if (r) r.done += n },
    chunkDone(s) { const c = rows.get(s)?.chunks; if (c) c.done++ },
    ended(s) { rows.delete(s) },
    close() { clearInterval(timer) },
  }
}
