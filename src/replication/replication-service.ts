/**
 * Everything the tap relies on in pg-logical-replication 2.5, in one place, so an upgrade is checked
 * here (and by test/replication/replication-service.test.ts) rather than all over the worker.
 *
 * Measured behaviours this file works around (see docs/lsn-and-state.md):
 * - `acknowledge.auto: true` (the default) acks every message before anything was written;
 * - a 1 s timer acks the last LSN seen, keepalives included, unless `timeoutSeconds` is 0;
 * - `acknowledge(lsn)` reports `lsn + 1` as written, flushed and applied;
 * - with flow control, keepalives are emitted at once while data messages wait in a queue;
 * - `stop()` waits for the socket to end, which a flow-control pause can prevent.
 */
import type pg from 'pg'
import {
  type LogicalReplicationConfig,
  type LogicalReplicationService,
  Wal2JsonPlugin,
} from 'pg-logical-replication'
import { formatLsn, type Lsn } from '../pg/lsn.js'
import { quoteIdent } from '../pg/sql.js'
import { pgoutputStartOptions } from './pgoutput.js'

/** No automatic acknowledgement of any kind; backpressure from the 'data' handler to the socket. */
export const SERVICE_OPTIONS: LogicalReplicationConfig = {
  acknowledge: { auto: false, timeoutSeconds: 0 },
  flowControl: { enabled: true },
}

/**
 * The XLogData payload as text. The stock plugin JSON.parses it, which rounds numeric and bigint
 * values; the worker decodes it itself (wal2json.ts). toString copies the bytes, so a queued
 * message does not pin the connection's read buffer.
 */
export class Wal2JsonText extends Wal2JsonPlugin {
  override parse(buffer: Buffer): string {
    return buffer.toString('utf8')
  }
}

/**
 * pgoutput through the library: START_REPLICATION with the tap's options (pgoutput.ts; the stock
 * plugin also sends `messages`, which PostgreSQL before 14 rejects, and leaves names unquoted), and
 * the XLogData payload as its bytes, decoded by the worker (pgoutput.ts), not by the stock parser,
 * which turns values into JS types. The bytes are copied: the library hands out a view of the
 * connection's read buffer, which pg-protocol reuses for later data while a message may still wait
 * in the flow-control queue.
 */
export class PgoutputBytes {
  /** What the library's plugins carry (it reads none of it). */
  readonly options: { readonly publication: string }

  constructor(readonly publication: string) {
    this.options = { publication }
  }

  get name(): string {
    return 'pgoutput'
  }

  parse(buffer: Buffer): Buffer {
    return Buffer.from(buffer)
  }

  start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    return client.query(
      `START_REPLICATION SLOT ${quoteIdent(slotName)} LOGICAL ${lastLsn} (${pgoutputStartOptions(this.publication)})`,
    )
  }
}

interface ServiceInternals {
  _processing?: boolean
  _messageQueue?: unknown[]
  _connection?: { stream?: { resume?: () => void } }
}

function internals(svc: LogicalReplicationService): ServiceInternals {
  return svc as unknown as ServiceInternals
}

/** Received messages the flow-control queue has not finished (the one being handled included). */
export function hasQueuedMessages(svc: LogicalReplicationService): boolean {
  const s = internals(svc)
  return s._processing === true || (s._messageQueue?.length ?? 0) > 0
}

/** Inside a 'data' handler the current message has left the queue: is anything behind it? */
export function hasMessagesBehind(svc: LogicalReplicationService): boolean {
  return (internals(svc)._messageQueue?.length ?? 0) > 0
}

/** Undoes a flow-control pause of the socket (before stop(), which waits for the socket's end). */
export function resumeSocket(svc: LogicalReplicationService): void {
  internals(svc)._connection?.stream?.resume?.()
}

/**
 * A Standby Status Update (https://www.postgresql.org/docs/15/protocol-replication.html) reporting
 * `position` as written, flushed and applied: the slot's confirmed_flush_lsn becomes exactly
 * `position`. The library adds 1 to what it is given (it expects the last byte received), so it
 * gets `position − 1`. `ping` asks the server to answer with a keepalive at once.
 */
export function sendStandbyStatus(
  svc: LogicalReplicationService,
  position: Lsn,
  ping: boolean,
): Promise<boolean> {
  if (position <= 0n) return Promise.resolve(false)
  return svc.acknowledge(formatLsn(position - 1n), ping)
}
