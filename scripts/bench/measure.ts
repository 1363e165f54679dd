/** Runs one tap process and measures it: wall time, output bytes and records, peak RSS. */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface TapRun {
  wallSeconds: number
  /** user + system CPU seconds of the tap process (all its threads), last sample before it exited. */
  cpuSeconds: number
  bytes: number
  records: number
  lines: number
  /** Bytes of the STATE lines. */
  stateBytes: number
  peakRssMb: number
  exitCode: number | null
  stderrTail: string
  /** The last STATE line's value, for chaining runs. */
  lastState: unknown
}

export interface TapRunOptions {
  bin: string
  args: string[]
  /** Do not read stdout for this long after the first byte is available (slow consumer). */
  stallMs?: number
  env?: NodeJS.ProcessEnv
}

const CLOCK_TICKS = 100

/** utime + stime of a live process, in seconds. */
function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

function readPeakRssKb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /VmHWM:\s+(\d+) kB/.exec(status)
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

const RECORD = Buffer.from('{"type":"RECORD"')
const STATE = Buffer.from('{"type":"STATE"')

function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  return (
    buf.length - at >= prefix.length && buf.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0
  )
}

export function runTapMeasured(opts: TapRunOptions): Promise<TapRun> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, [opts.bin, ...opts.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    })
    let bytes = 0
    let records = 0
    let lines = 0
    let stateBytes = 0
    let stderr = ''
    let lastStateLine = ''
    let lineHead = Buffer.alloc(0)
    let lineParts: Buffer[] = []
    let lineLength = 0
    const HEAD = Math.max(RECORD.length, STATE.length)
    // Whether the line in progress is, or may still turn out to be, a STATE line.
    const mayBeState = (): boolean => {
      const n = Math.min(lineHead.length, STATE.length)
      return lineHead.compare(STATE, 0, n, 0, n) === 0
    }
    let peakKb = 0
    let cpu = 0
    const poll = setInterval(() => {
      const kb = child.pid ? readPeakRssKb(child.pid) : undefined
      if (kb !== undefined && kb > peakKb) peakKb = kb
      const c = child.pid ? readCpuSeconds(child.pid) : undefined
      if (c !== undefined) cpu = c
    }, 50)
    if (opts.stallMs) {
      child.stdout.pause()
      setTimeout(() => child.stdout.resume(), opts.stallMs)
    }
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      // Count whole lines. Of a line cut across chunks only its head is kept (and all of it for a
      // STATE line, which is small): keeping a whole RECORD line of 150 MB and concatenating it
      // chunk after chunk would make the bench's own reading quadratic in the line's size.
      let from = 0
      for (;;) {
        const nl = chunk.indexOf(10, from)
        const piece = chunk.subarray(from, nl < 0 ? chunk.length : nl)
        if (lineHead.length < HEAD)
          lineHead = Buffer.concat([lineHead, piece.subarray(0, HEAD - lineHead.length)])
        if (mayBeState()) lineParts.push(Buffer.from(piece))
        lineLength += piece.length
        if (nl < 0) break
        lines++
        if (startsWith(lineHead, 0, RECORD)) records++
        else if (startsWith(lineHead, 0, STATE)) {
          lastStateLine = Buffer.concat(lineParts).toString('utf8')
          stateBytes += lineLength + 1
        }
        lineHead = Buffer.alloc(0)
        lineParts = []
        lineLength = 0
        from = nl + 1
      }
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8')
      if (stderr.length > 20000) stderr = stderr.slice(-10000)
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearInterval(poll)
      const wall = Number(process.hrtime.bigint() - start) / 1e9
      let lastState: unknown
      try {
        lastState = lastStateLine ? (JSON.parse(lastStateLine) as { value: unknown }).value : undefined
      } catch {
        lastState = undefined
      }
      resolve({
        wallSeconds: wall,
        cpuSeconds: cpu,
        bytes,
        records,
        lines,
        stateBytes,
        peakRssMb: peakKb / 1024,
        exitCode: code,
        stderrTail: stderr.slice(-2000),
        lastState,
      })
    })
  })
}

/** Wall seconds of a psql command whose output goes to /dev/null. */
export function timePsql(psqlArgs: string[], sql: string): number {
  const start = process.hrtime.bigint()
  const r = spawnSync('psql', [...psqlArgs, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 20,
  })
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr?.toString().slice(0, 500)}`)
  return Number(process.hrtime.bigint() - start) / 1e9
}

/** Wall seconds of psql running a SQL file (one session, statements one after another), output to /dev/null. */
export function timePsqlFile(psqlArgs: string[], path: string): number {
  const start = process.hrtime.bigint()
  const r = spawnSync('psql', [...psqlArgs, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', path], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 20,
  })
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr?.toString().slice(0, 500)}`)
  return Number(process.hrtime.bigint() - start) / 1e9
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
