/** The plan as text for a human (stdout of `tap-postgres plan`). Pure. */
import type { TapConfig } from '../config/tap-config.js'
import { ENV_PREFIX } from '../config/load-config.js'
import { prettyBytes } from '../replication/slot.js'
import { slotNameToCreate } from '../replication/slot-name.js'
import { hasLogBased, shardSlotName, type FleetBudget } from './fleet.js'
import type { Shard } from './split.js'

export interface PlanReport {
  readonly catalogPath: string
  /** Where the sizes and the budget were read: host:port/dbname as user. */
  readonly server: string
  readonly shards: readonly Shard[]
  /** Catalog path of each shard, in shard order. */
  readonly files: readonly string[]
  readonly budget: FleetBudget
  readonly unselected: number
  readonly removedFiles: readonly string[]
}

const rows = (n: number): string => n.toLocaleString('en-US')
const size = (bytes: number): string => prettyBytes(BigInt(Math.round(bytes)))
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

export function formatPlan(
  report: PlanReport,
  config: Pick<TapConfig, 'dbname' | 'tap_id' | 'replication_slot_name'>,
): string[] {
  const { shards, budget } = report
  const total = shards.reduce((n, s) => n + s.streams.length, 0)
  const out: string[] = []
  out.push(
    `Plan: ${plural(total, 'selected stream')} of ${report.catalogPath} in ${plural(shards.length, 'shard')}, balanced by estimated size (table sizes and row estimates of ${report.server}).`,
  )
  if (report.unselected > 0)
    out.push(
      `${plural(report.unselected, 'stream')} not selected in the catalog ${report.unselected === 1 ? 'is' : 'are'} left out of the shard catalogs.`,
    )
  const idWidth = Math.max(...shards.flatMap((s) => s.streams.map((x) => x.tapStreamId.length)))
  for (const [i, shard] of shards.entries()) {
    out.push('')
    out.push(
      `shard ${shard.index}: ${plural(shard.streams.length, 'stream')}, ~${rows(shard.rows)} rows, ${size(shard.bytes)} -> ${report.files[i]}`,
    )
    for (const s of shard.streams) {
      const est =
        s.unsized !== undefined ? `size unknown (${s.unsized})` : `~${rows(s.rows)} rows, ${size(s.bytes)}`
      out.push(`  ${s.tapStreamId.padEnd(idWidth)}  ${s.method.padEnd(11)}  ${est}`)
    }
  }
  if (shards.length > 1) {
    const heaviest = shards.reduce((a, b) => (b.bytes > a.bytes ? b : a))
    const lightest = shards.reduce((a, b) => (b.bytes < a.bytes ? b : a))
    const alone =
      heaviest.streams.length === 1
        ? ` (shard ${heaviest.index} is one stream: a stream is never split across shards)`
        : ''
    out.push('')
    out.push(`Balance: heaviest shard ${size(heaviest.bytes)}, lightest ${size(lightest.bytes)}${alone}.`)
  }
  out.push('')
  out.push(
    `Connections: the fleet opens at most ${budget.shards} × (max_workers ${budget.maxWorkers} + 2) = ${budget.fleetMax} at once ` +
      `(per shard: ${budget.maxWorkers} table reads + 1 main + 1 replication when it has LOG_BASED streams).`,
  )
  out.push(
    `Server: ${Math.max(budget.free, 0)} connections free (${budget.why}); the fleet needs up to ${budget.clientNeed} of them` +
      `${budget.logBasedShards > 0 ? `, and ${budget.logBasedShards} of ${Math.max(budget.walSendersFree, 0)} free wal senders (max_wal_senders ${budget.maxWalSenders})` : ''}.`,
  )
  out.push(...slotLines(shards, config))
  out.push('')
  out.push('Run each shard as its own process with its own STATE, for example:')
  out.push(
    `  tap-postgres --config <config> --catalog ${report.files[0]} --state <shard-1 state> > <shard-1 target>`,
  )
  out.push('Meltano select per shard (keep your column rules, e.g. !<stream>.<column>):')
  for (const shard of shards)
    out.push(`  shard ${shard.index}: ${shard.streams.map((s) => `${s.tapStreamId}.*`).join(' ')}`)
  if (report.removedFiles.length > 0)
    out.push(`Removed ${report.removedFiles.join(', ')} (left by an earlier plan with more shards).`)
  return out
}

/** What LOG_BASED shards need: a slot each, never shared. */
function slotLines(
  shards: readonly Shard[],
  config: Pick<TapConfig, 'dbname' | 'tap_id' | 'replication_slot_name'>,
): string[] {
  const lb = shards.filter(hasLogBased)
  if (lb.length === 0) return []
  if (lb.length === 1) {
    return [
      `LOG_BASED: only shard ${lb[0].index} streams changes, through the slot its settings name (${slotNameToCreate(config)}); no other shard may use that slot.`,
    ]
  }
  const out = [
    `LOG_BASED: shards ${lb.map((s) => s.index).join(', ')} stream changes; each needs its own replication slot ` +
      "(a run confirms its slot past every table's changes: two shards on one slot lose changes). Set replication_slot_name per shard and create each slot once:",
  ]
  const var_ = `${ENV_PREFIX}REPLICATION_SLOT_NAME`
  for (const s of lb) {
    const name = shardSlotName(config, s.index)
    out.push(
      `  shard ${s.index}: replication_slot_name ${name}  (${var_}=${name} tap-postgres slot create --config <config>)`,
    )
  }
  return out
}
