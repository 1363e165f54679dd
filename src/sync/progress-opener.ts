/**
 * Chooses the progress sink of a run: the live view (progress-view.ts) or nothing. Apart from
 * progress.ts so that the view, which implements ProgressSink, does not import its own opener.
 */
import { NO_PROGRESS, type ProgressSink } from './progress.js'

/**
 * Opens the live view on stderr when `view` (the command decided: view-mode.ts); else nothing.
 * Its module (log-update and what it imports) is loaded only for a terminal, and starts loading
 * here, when the run starts: loading takes a moment (~0.1 s of CPU), which the run spends waiting
 * for the server instead of delaying the first read.
 */
export function progressOpener(view: boolean): () => Promise<ProgressSink> {
  if (!view || process.stderr.isTTY !== true) return () => Promise.resolve(NO_PROGRESS)
  const loading = import('./progress-view.js')
  loading.catch(() => undefined)
  return async () => new (await loading).LiveView(process.stderr)
}
