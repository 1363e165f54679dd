/** The bench's results: one Result per case (medians of its runs), printed as Markdown tables. */
import { median, type TapRun } from './measure.js'

export interface Limit {
  name: string
  wallSeconds: number
  rate: number
  ratio: number
}

export interface Result {
  case: string
  maxWorkers: number
  unit: 'rows' | 'messages' | 'streams'
  count: number
  /** Medians over the runs (peak RSS and connections: the largest). */
  wallSeconds: number
  rate: number
  outputMbPerSecond: number
  peakRssMb: number
  cpuSeconds: number
  /** MB of STATE lines written (median). */
  stateMb: number
  connections?: number
  /** MB of COPY text read (big_rows), for the cost per byte. */
  sourceMb?: number
  /** MB of temporary files the server wrote per tap run (incremental_5m). */
  tempMb?: number
  /** The server's plans (incremental_5m): the tap's cursor, and COPY of the same SELECT. */
  plans?: { cursor: string[]; copy: string[] }
  limits: Limit[]
  runs: Array<{ wallSeconds: number; cpuSeconds: number; peakRssMb: number; connections?: number }>
}

export function summarize(
  caseName: string,
  maxWorkers: number,
  unit: Result['unit'],
  runs: TapRun[],
  count: number,
  limits: Record<string, number>,
  conns: (number | undefined)[],
): Result {
  const wall = median(runs.map((r) => r.wallSeconds))
  const c = conns.filter((x): x is number => x !== undefined)
  return {
    case: caseName,
    maxWorkers,
    unit,
    count,
    wallSeconds: wall,
    rate: count / wall,
    outputMbPerSecond: median(runs.map((r) => r.bytes / 1e6 / r.wallSeconds)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    stateMb: median(runs.map((r) => r.stateBytes / 1e6)),
    connections: c.length ? Math.max(...c) : undefined,
    limits: Object.entries(limits).map(([name, seconds]) => ({
      name,
      wallSeconds: seconds,
      rate: count / seconds,
      ratio: seconds / wall,
    })),
    runs: runs.map((r, i) => ({
      wallSeconds: r.wallSeconds,
      cpuSeconds: r.cpuSeconds,
      peakRssMb: r.peakRssMb,
      connections: conns[i],
    })),
  }
}

/** Seconds per MB of source text: the tap's wall and CPU, and the COPY limit's wall. */
export function printPerByte(results: Result[]): void {
  const rows = results.filter((r) => r.sourceMb !== undefined)
  if (rows.length === 0) return
  process.stdout.write(
    '\n| case | source MB | wall ms/MB | CPU ms/MB | peak RSS MB | COPY wall ms/MB |\n|---|---|---|---|---|---|\n',
  )
  for (const r of rows) {
    const mb = r.sourceMb as number
    const copy = r.limits.find((l) => l.name === 'copy')
    process.stdout.write(
      `| ${r.case} | ${fmt(mb)} | ${fmt((r.wallSeconds * 1000) / mb, 1)} | ${fmt((r.cpuSeconds * 1000) / mb, 1)} | ${fmt(r.peakRssMb)} | ${copy ? fmt((copy.wallSeconds * 1000) / mb, 1) : '?'} |\n`,
    )
  }
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function printTable(results: Result[]): void {
  const head = [
    'case',
    'max_workers',
    'wall s',
    'rate /s',
    'MB/s',
    'peak RSS MB',
    'CPU s',
    'STATE MB',
    'connections',
    'limit',
    'limit wall s',
    'limit rate /s',
    'ratio',
  ]
  const lines: string[][] = []
  for (const r of results) {
    const base = [
      r.case,
      String(r.maxWorkers),
      fmt(r.wallSeconds, 2),
      `${fmt(r.rate)} ${r.unit}`,
      fmt(r.outputMbPerSecond, 1),
      fmt(r.peakRssMb),
      fmt(r.cpuSeconds, 1),
      fmt(r.stateMb, 1),
      r.connections === undefined ? '?' : String(r.connections),
    ]
    if (r.limits.length === 0) lines.push([...base, '', '', '', ''])
    r.limits.forEach((l, i) =>
      lines.push([
        ...(i === 0 ? base : base.map(() => '')),
        l.name,
        fmt(l.wallSeconds, 2),
        fmt(l.rate),
        fmt(l.ratio, 2),
      ]),
    )
  }
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |\n`
  process.stdout.write(row(head) + row(widths.map((w) => '-'.repeat(w))) + lines.map(row).join(''))
}
