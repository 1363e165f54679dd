/**
 * What a fleet of shards asks of the server, and the slots its LOG_BASED shards need. Pure: the
 * server's facts come in, a verdict goes out.
 */
import type { TapConfig } from '../config/tap-config.js'
import { freeConnections, walsendersUseClientSlots } from '../check/assess.js'
import type { ServerFacts } from '../check/server-facts.js'
import { sanitizeSlotName, slotNameToCreate } from '../replication/slot-name.js'
import type { Shard } from './split.js'

export interface FleetBudget {
  readonly shards: number
  readonly maxWorkers: number
  /** The most connections the fleet opens at once: shards × (max_workers + 1 main + 1 replication). */
  readonly fleetMax: number
  /** Client connections the fleet needs from max_connections (walsenders have their own pool since PostgreSQL 12). */
  readonly clientNeed: number
  readonly free: number
  /** Which limit `free` comes from. */
  readonly why: string
  /** Shards with a LOG_BASED stream: one walsender (and one slot) each. */
  readonly logBasedShards: number
  readonly walSendersFree: number
  readonly maxWalSenders: number
  /** Why the server cannot carry the fleet, or undefined when it can. */
  readonly refusal?: string
}

export function hasLogBased(shard: Shard): boolean {
  return shard.streams.some((s) => s.method === 'LOG_BASED')
}

export function fleetBudget(
  config: Pick<TapConfig, 'max_workers'>,
  facts: ServerFacts,
  shards: readonly Shard[],
): FleetBudget {
  const maxWorkers = config.max_workers
  const logBasedShards = shards.filter(hasLogBased).length
  const inPool = walsendersUseClientSlots(facts, true) ? logBasedShards : 0
  const clientNeed = shards.length * (maxWorkers + 1) + inPool
  const { free, why } = freeConnections(facts)
  const walSendersFree = facts.maxWalSenders - facts.walSenders
  const n = shards.length
  let refusal: string | undefined
  if (clientNeed > free) {
    refusal = `${n} shard${n === 1 ? '' : 's'} need up to ${clientNeed} connections for table reads and main connections (${n} × (max_workers ${maxWorkers} + 1)${inPool > 0 ? ` + ${inPool} replication` : ''}), the server has ${Math.max(free, 0)} free (${why})`
  } else if (logBasedShards > walSendersFree) {
    refusal = `${logBasedShards} shards stream LOG_BASED changes, one wal sender each, the server has ${Math.max(walSendersFree, 0)} free (max_wal_senders ${facts.maxWalSenders}, ${facts.walSenders} in use)`
  }
  return {
    shards: n,
    maxWorkers,
    fleetMax: n * (maxWorkers + 2),
    clientNeed,
    free,
    why,
    logBasedShards,
    walSendersFree,
    maxWalSenders: facts.maxWalSenders,
    refusal,
  }
}

/** PostgreSQL truncates identifiers to 63 bytes; a slot name longer than that is refused. */
const MAX_SLOT_NAME = 63

/**
 * A slot name per LOG_BASED shard, from the name a single tap would create (the configured
 * replication_slot_name, else pipelinewise_<dbname>[_<tap_id>]) plus `_shard_<i>`. Two shards
 * must never share a slot: a run confirms the slot's position past the changes of every table,
 * so the other shard's changes before that point would be gone.
 */
export function shardSlotName(
  config: Pick<TapConfig, 'dbname' | 'tap_id' | 'replication_slot_name'>,
  index: number,
): string {
  const suffix = `_shard_${index}`
  return sanitizeSlotName(slotNameToCreate(config)).slice(0, MAX_SLOT_NAME - suffix.length) + suffix
}
