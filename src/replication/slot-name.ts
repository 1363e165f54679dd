/**
 * Replication slot naming (docs/behaviour.md#the-replication-slot), shared by `check`, `slot create|drop|status` and the LOG_BASED
 * run so they all look for the same slot. Pure.
 */
import type { TapConfig } from '../config/tap-config.js'

type SlotConfig = Pick<TapConfig, 'dbname' | 'tap_id' | 'replication_slot_name'>

/** pipelinewise's rule: lower case, anything outside [a-z0-9_] becomes `_`. */
export function sanitizeSlotName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_')
}

/**
 * The slot names to look for, in order; the first that exists is used. `replication_slot_name` is
 * taken as written (the user chose it, and the server would reject an invalid one); otherwise
 * `pipelinewise_<dbname>` then, with a `tap_id`, `pipelinewise_<dbname>_<tap_id>`, so slots created
 * by pipelinewise-tap-postgres keep working.
 */
export function defaultSlotNames(config: SlotConfig): string[] {
  if (config.replication_slot_name !== undefined && config.replication_slot_name !== '')
    return [config.replication_slot_name]
  const base = `pipelinewise_${config.dbname}`
  const names = [sanitizeSlotName(base)]
  if (config.tap_id !== undefined && config.tap_id !== '')
    names.push(sanitizeSlotName(`${base}_${config.tap_id}`))
  return names
}

/**
 * The name `slot create` gives a new slot: the configured one, else the most specific default
 * (with `tap_id` when set, as pipelinewise names new slots), so two taps on one database that
 * differ by tap_id get a slot each.
 */
export function slotNameToCreate(config: SlotConfig): string {
  const names = defaultSlotNames(config)
  return names[names.length - 1]
}

/** The first of `candidates` found among `existing`, or undefined. */
export function pickExistingSlot(
  candidates: readonly string[],
  existing: Iterable<string>,
): string | undefined {
  const have = new Set(existing)
  return candidates.find((n) => have.has(n))
}

/** The publication a pgoutput slot streams through: `publication_name`, else the slot's own name. */
export function publicationNameOf(config: Pick<TapConfig, 'publication_name'>, slotName: string): string {
  return config.publication_name !== undefined && config.publication_name !== ''
    ? config.publication_name
    : slotName
}
