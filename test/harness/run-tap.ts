/** Runs the built CLI (bin/run.js) as a user would, capturing stdout, stderr and the exit code. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = join(REPO_ROOT, 'bin', 'run.js')

export interface TapResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stdout parsed line by line (only when every line is JSON). */
  messages: SingerMessage[]
}

export interface SingerMessage {
  type: string
  stream?: string
  [key: string]: unknown
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  /** Working directory of the tap (default: the test's), e.g. one holding a `.env` for `--config ENV`. */
  cwd?: string
  timeoutMs?: number
  /** Called once per stdout line as it arrives (to kill the child mid-run, for example). */
  onLine?: (line: string, child: ChildProcess) => void
}

export function parseMessages(stdout: string): SingerMessage[] {
  const out: SingerMessage[] = []
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue
    try {
      out.push(JSON.parse(line) as SingerMessage)
    } catch {
      return out
    }
  }
  return out
}

export function runTap(args: string[], opts: RunOptions = {}): Promise<TapResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let pending = ''
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      if (opts.onLine) {
        pending += chunk
        let i: number
        while ((i = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, i)
          pending = pending.slice(i + 1)
          opts.onLine(line, child)
        }
      }
    })
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`tap timed out after ${opts.timeoutMs ?? 60000} ms; stderr: ${stderr.slice(-2000)}`))
    }, opts.timeoutMs ?? 60000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, messages: parseMessages(stdout) })
    })
  })
}
