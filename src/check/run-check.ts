/**
 * `check`: a preflight of the config on one short-lived connection to the primary. Prints one
 * finding per line and returns whether a sync could run (exit 0) or not (exit 1).
 */
import type pg from 'pg'
import type { TapConfig } from '../config/tap-config.js'
import { TapError } from '../errors.js'
import { describeTarget, withClient } from '../pg/connect.js'
import { queryError } from '../pg/pg-errors.js'
import { defaultSlotNames } from '../replication/slot-name.js'
import {
  assessConnectionBudget,
  assessReplication,
  assessSchemas,
  assessServerVersion,
  pluginInUse,
  probeBlocker,
  type ReplicationInputs,
} from './assess.js'
import { allPassed, fail, formatFinding, ok, type Finding } from './findings.js'
import { readSchemaAccess, readServerFacts, readSlots } from './server-facts.js'
import { probeOutputPlugin } from './plugin-probe.js'
import { readPublication } from '../replication/publication.js'
import { publicationNameOf } from '../replication/slot-name.js'

export async function runCheck(config: TapConfig, print: (line: string) => void): Promise<boolean> {
  const findings: Finding[] = []
  const emit = (fs: Finding | readonly Finding[]) => {
    for (const f of Array.isArray(fs) ? fs : [fs as Finding]) {
      findings.push(f)
      print(formatFinding(f))
    }
  }
  let connected = false
  try {
    await withClient(config, { target: 'primary' }, async (client) => {
      connected = true
      emit(
        ok(
          'connection',
          `${describeTarget(config, 'primary')} (application_name ${config.application_name})`,
        ),
      )
      await checkOn(client, config, emit)
    })
  } catch (e) {
    // A connection failure is the finding; a query failure later stops the check where it happened.
    emit(
      connected
        ? fail('check', `stopped: ${oneLine(queryError(e, 'reading server facts'))}`)
        : fail('connection', oneLine(e)),
    )
  }
  return allPassed(findings)
}

async function checkOn(
  client: pg.Client,
  config: TapConfig,
  emit: (f: Finding | readonly Finding[]) => void,
): Promise<void> {
  const facts = await readServerFacts(client)
  emit(assessServerVersion(facts))
  emit(assessSchemas(config, await readSchemaAccess(client, config.filter_schemas)))
  // LOG_BASED may be chosen per stream in the catalog, which check does not see: its
  // prerequisites are always reported, as failures only when it is the default.
  emit(assessConnectionBudget(config, facts, true))
  const slots = await readSlots(client, defaultSlotNames(config))
  const plugin = pluginInUse(config, slots)
  const blocker = probeBlocker(facts, plugin)
  const probe: ReplicationInputs['probe'] =
    blocker === undefined ? await probeOutputPlugin(client, plugin) : { status: 'skipped', reason: blocker }
  // The run's slot is the first default name that exists; its publication, when it streams pgoutput.
  const slot = defaultSlotNames(config)
    .map((n) => slots.find((s) => s.name === n))
    .find((s) => s !== undefined)
  const publication =
    slot?.plugin === 'pgoutput'
      ? await (async () => {
          const name = publicationNameOf(config, slot.name)
          return { name, info: await readPublication(client, name) }
        })()
      : undefined
  emit(assessReplication(config, { facts, slots, plugin, probe, publication }))
}

function oneLine(e: unknown): string {
  if (e instanceof TapError) return e.hint ? `${e.message} (hint: ${e.hint})` : e.message
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]
}
