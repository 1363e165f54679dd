/**
 * The control plane carries a worker's failure as the same TapError class, code, message, hint and
 * exit code (over a MessageChannel here; the replication worker serves it on its parentPort).
 */
import { MessageChannel } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  deserializeError,
  QueryError,
  serializeError,
  SlotError,
  TapError,
} from '../../src/errors.js'
import { serveApi, workerHandle } from '../../src/protocol/control-plane.js'

describe('control plane errors', () => {
  it('a rejected call is the TapError the worker threw, class and fields kept', async () => {
    const { port1, port2 } = new MessageChannel()
    serveApi(
      {
        slot: () => {
          throw new SlotError('tap_slot', 'replication slot "tap_slot" is in use', { hint: 'wait for it' })
        },
        plain: () => {
          throw new Error('boom')
        },
        value: () => 42,
      },
      port1,
    )
    const api = workerHandle<{ slot(): void; plain(): void; value(): number }>(port2)
    try {
      expect(await api.value()).toBe(42)
      const e = await api.slot().catch((x: unknown) => x)
      expect(e).toBeInstanceOf(SlotError)
      expect(e).toMatchObject({
        code: 'SLOT_ERROR',
        slotName: 'tap_slot',
        hint: 'wait for it',
        exitCode: 1,
        message: 'replication slot "tap_slot" is in use',
      })
      const p = await api.plain().catch((x: unknown) => x)
      expect(p).toBeInstanceOf(TapError)
      expect(p).toMatchObject({ code: 'INTERNAL', message: 'boom' })
    } finally {
      port1.close()
      port2.close()
    }
  })

  it('serializeError / deserializeError keep each class', () => {
    const config = deserializeError(serializeError(new ConfigError('bad config', ['port: not a number'])))
    expect(config).toBeInstanceOf(ConfigError)
    expect(config).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2, violations: ['port: not a number'] })
    const query = deserializeError(serializeError(new QueryError('SYNC_FAILED', 'denied', '42501')))
    expect(query).toBeInstanceOf(QueryError)
    expect((query as QueryError).sqlState).toBe('42501')
  })
})
