import { flush, run, Errors } from '@oclif/core'
import { routeArgv } from './route-argv.js'

/** Entry for bin/run.js: route the Singer flag-first form, run oclif, keep errors to one line. */
export async function runCli(argv: readonly string[], binUrl: string): Promise<void> {
  try {
    await run(routeArgv(argv), binUrl)
    await flush()
  } catch (err) {
    // Errors not caught by a command (unknown command, help failures) still get one line.
    const e = err as Error & { oclif?: { exit?: number } }
    if (e instanceof Errors.ExitError) {
      process.exitCode = e.oclif.exit ?? 0
      return
    }
    process.stderr.write(`error: ${e.message.split('\n')[0]}\n`)
    process.exitCode = e.oclif?.exit ?? 2
  }
}
