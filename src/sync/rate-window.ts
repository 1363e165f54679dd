/** The rate behind the progress view's rows/s and ETA: a sliding window over cumulative counts. */

/** Rows (or messages) per second over the last few seconds, from cumulative counts. */
export class RateWindow {
  #samples: Array<{ t: number; n: number }> = []

  /** `windowMs`: the span the rate is taken over; samples closer than `stepMs` are merged. */
  constructor(
    readonly windowMs = 5000,
    readonly stepMs = 250,
  ) {}

  reset(t: number, n: number): void {
    this.#samples = [{ t, n }]
  }

  /** `n`: the cumulative count at time `t`. */
  add(t: number, n: number): void {
    const s = this.#samples
    const last = s[s.length - 1]
    if (last !== undefined && s.length > 1 && t - s[s.length - 2].t < this.stepMs) {
      last.t = t
      last.n = n
    } else {
      s.push({ t, n })
    }
    this.#trim(t)
  }

  /** undefined until the window spans half a second. */
  rate(now: number): number | undefined {
    this.#trim(now)
    const s = this.#samples
    if (s.length === 0) return undefined
    const last = s[s.length - 1]
    // Nothing moved for a whole window: stalled (a slow query, a full stdout).
    if (now - last.t >= this.windowMs) return 0
    const base = s[0]
    const span = now - base.t
    if (span < 500) return undefined
    return (last.n - base.n) / (span / 1000)
  }

  /** Keeps one sample at or before the window's start, as the base of the rate. */
  #trim(now: number): void {
    const s = this.#samples
    while (s.length > 2 && s[1].t <= now - this.windowMs) s.shift()
  }
}
