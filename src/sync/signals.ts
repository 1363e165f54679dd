/**
 * SIGINT/SIGTERM during a sync (docs/behaviour.md#signals-and-a-closed-stdout): the first one asks the run to stop cleanly (write what
 * was read, a final STATE, close connections, exit 130/143); a second one exits at once.
 */
import type { Logger } from '../log/logger.js'

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const
type StopSignal = keyof typeof EXIT_CODES

export class StopSignals {
  readonly #controller = new AbortController()
  readonly #logger: Logger
  #received: StopSignal | undefined
  readonly #handlers: Array<[StopSignal, () => void]> = []

  constructor(logger: Logger) {
    this.#logger = logger
    for (const sig of Object.keys(EXIT_CODES) as StopSignal[]) {
      const handler = (): void => this.#on(sig)
      process.on(sig, handler)
      this.#handlers.push([sig, handler])
    }
  }

  /** Aborted on the first signal. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  get stopped(): boolean {
    return this.#received !== undefined
  }

  /** 130 after SIGINT, 143 after SIGTERM; undefined when no signal came. */
  get exitCode(): number | undefined {
    return this.#received === undefined ? undefined : EXIT_CODES[this.#received]
  }

  dispose(): void {
    for (const [sig, handler] of this.#handlers) process.off(sig, handler)
  }

  #on(sig: StopSignal): void {
    if (this.#received !== undefined) {
      this.#logger.warn(`${sig} again: exiting without waiting for the workers`)
      process.exit(EXIT_CODES[sig])
    }
    this.#received = sig
    this.#logger.info(`${sig} received: stopping after the rows already read; a final STATE follows`)
    this.#controller.abort(new Error(sig))
  }
}
