/** Pins the pg-logical-replication 2.5 behaviour src/replication/replication-service.ts relies on. */
import { describe, expect, it } from 'vitest'
import { LogicalReplicationService } from 'pg-logical-replication'
import {
  PgoutputBytes,
  pauseSocket,
  resumeSocket,
  sendStandbyStatus,
  SERVICE_OPTIONS,
  Wal2JsonText,
} from '../../src/replication/replication-service.js'

type Internals = {
  _stop: boolean
  _connection: unknown
  config: typeof SERVICE_OPTIONS
}

describe('pg-logical-replication contract', () => {
  it("is configured with no automatic acknowledgement and without the library's flow control", () => {
    const svc = new LogicalReplicationService({}, SERVICE_OPTIONS) as unknown as Internals
    expect(svc.config.acknowledge).toEqual({ auto: false, timeoutSeconds: 0 })
    expect(svc.config.flowControl).toEqual({ enabled: false })
  })

  it('pauses and resumes the socket of the connection it keeps where the worker reaches it', () => {
    const svc = new LogicalReplicationService({}, SERVICE_OPTIONS)
    const calls: string[] = []
    Object.assign(svc as unknown as Internals, {
      _connection: { stream: { pause: () => calls.push('pause'), resume: () => calls.push('resume') } },
    })
    pauseSocket(svc)
    resumeSocket(svc)
    expect(calls).toEqual(['pause', 'resume'])
  })

  it.each([[0x1_0000_0100n], [0x1_0000_0000n], [1n]])(
    'reports exactly %s as written, flushed and applied',
    async (position) => {
      const svc = new LogicalReplicationService({}, SERVICE_OPTIONS)
      const sent: Buffer[] = []
      Object.assign(svc as unknown as Internals, {
        _stop: false,
        _connection: { sendCopyFromChunk: (b: Buffer) => sent.push(b) },
      })
      await sendStandbyStatus(svc, position, true)
      const b = sent[0]
      expect(String.fromCharCode(b[0])).toBe('r')
      for (const offset of [1, 9, 17]) expect(b.readBigUInt64BE(offset)).toBe(position)
      expect(b[33]).toBe(1)
    },
  )

  it('never reports position 0 (the protocol\'s "unknown")', async () => {
    const svc = new LogicalReplicationService({}, SERVICE_OPTIONS)
    expect(await sendStandbyStatus(svc, 0n, false)).toBe(false)
  })

  it('hands the payload over as text, unparsed', () => {
    const text = '{"action":"I","columns":[{"name":"n","value":12345678901234567890.1234567890}]}'
    expect(new Wal2JsonText({}).parse(Buffer.from(text))).toBe(text)
  })
})

describe('PgoutputBytes', () => {
  it('hands the payload over as a copy: the library passes a view of a read buffer that is reused', () => {
    const read = Buffer.from('I\0\0@\0N', 'latin1')
    const payload = new PgoutputBytes('p').parse(read.subarray(1))
    read.fill(0)
    expect(payload.toString('latin1')).toBe('\0\0@\0N')
    expect(new PgoutputBytes('p').name).toBe('pgoutput')
  })
})
