/** Number and time wording of the progress view (pure; no locale data needed). */

/** 1234567 → "1,234,567" (no locale data needed). */
export function group(n: number): string {
  const s = String(Math.round(n))
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

export function rateText(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : group(perSecond)
}

/** Seconds, with a tenth under a minute; m:ss or h:mm:ss above. */
export function durationText(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)}s` : clockText(seconds * 1000, 'down')
}

/** m:ss or h:mm:ss; an ETA rounds up, elapsed time down. */
export function clockText(ms: number, round: 'up' | 'down'): string {
  const total = Math.max(0, round === 'up' ? Math.ceil(ms / 1000) : Math.floor(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const sec = String(total % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

/** Cut to the terminal's width (a wrapped line would break the frame's line count). */
export function cutToWidth(line: string, width: number): string {
  const chars = [...line]
  const max = Math.max(10, width - 1)
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`
}
