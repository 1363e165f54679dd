/**
 * Runs the built CLI with stderr on a real pseudo-terminal: util-linux `script` makes the pty and
 * copies everything written to it (the terminal's output) to its own stdout, which is captured here.
 * The tap's stdout goes to a file (a shell redirection), as a user would run it. Nothing is
 * installed: without `script` the test fails and says so.
 */
import { spawn, spawnSync } from 'node:child_process'
import { BIN } from './run-tap.js'

export interface PtyRun {
  /** The tap's exit code. */
  code: number | null
  /** Everything the terminal received (escape sequences included). */
  terminal: string
}

export interface PtyOptions {
  /** The tap's stdout goes here. */
  stdoutPath: string
  env?: Record<string, string | undefined>
  columns?: number
  rows?: number
  /**
   * Seconds stdout's reader waits before reading: the tap blocks on a full pipe meanwhile, so the
   * run lasts at least that long (the view is sure to draw while streams are in flight).
   */
  readerDelaySeconds?: number
  /** The tap's pid is written here (to signal it). */
  pidPath?: string
  /** Called with the terminal output so far, at every chunk. */
  onOutput?: (terminal: string) => void
  timeoutMs?: number
}

export function requireScript(): void {
  const r = spawnSync('script', ['--version'], { encoding: 'utf8' })
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(
      'these tests need `script` (util-linux) to give the tap a pseudo-terminal; install util-linux (apt-get install util-linux)',
    )
  }
}

/** Single-quoted for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

export function runInPty(args: readonly string[], opts: PtyOptions): Promise<PtyRun> {
  requireScript()
  const tap = [process.execPath, BIN, ...args].map(shellQuote).join(' ')
  const codePath = `${opts.stdoutPath}.code`
  const delay = opts.readerDelaySeconds ?? 0
  // The tap's exit code goes to a file: in a pipeline the shell reports the reader's.
  const run =
    opts.pidPath === undefined
      ? `{ ${tap}; echo $? > ${shellQuote(codePath)}; }`
      : `{ ${tap} & echo $! > ${shellQuote(opts.pidPath)}; wait $!; echo $? > ${shellQuote(codePath)}; }`
  const reader =
    delay > 0
      ? `| { sleep ${delay}; cat > ${shellQuote(opts.stdoutPath)}; }`
      : `> ${shellQuote(opts.stdoutPath)}`
  const command = `stty cols ${opts.columns ?? 100} rows ${opts.rows ?? 30}; ${run} ${reader}; exit $(cat ${shellQuote(codePath)})`
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, SHELL: '/bin/sh', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let terminal = ''
    let stderr = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      terminal += chunk
      opts.onOutput?.(terminal)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`tap in a pty timed out; terminal so far: ${terminal.slice(-2000)} ${stderr}`))
    }, opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, terminal })
    })
  })
}
