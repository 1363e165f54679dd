/**
 * Everything the tap relies on in pg-logical-replication 2.5, in one place, so an upgrade is checked
 * here (and by test/replication/replication-service.test.ts) rather than all over the worker.
 *
 * Measured behaviours this file works around (see docs/lsn-and-state.md):
 * - `acknowledge.auto: true` (the default) acks every message before anything was written;
 * - a 1 s timer acks the last LSN seen, keepalives included, unless `timeoutSeconds` is 0;
 * - `acknowledge(lsn)` reports `lsn + 1` as written, flushed and applied;
 * - its flow control queues every message and awaits each 'data' handler through a chain of
 *   promises (emitAsync, the acknowledgement), about a quarter of the worker's time per change: it
 *   is off, and the worker keeps its own queue and pauses the socket itself (pauseSocket);
 * - `stop()` waits for the socket to end, which a pause can prevent (resumeSocket).
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

/**
 * No automatic acknowledgement of any kind; no flow control: 'data' is emitted synchronously for
 * every XLogData, in order with 'heartbeat', and the worker queues and pauses (replication-session.ts).
 */
export const SERVICE_OPTIONS: LogicalReplicationConfig = {
  acknowledge: { auto: false, timeoutSeconds: 0 },
  flowControl: { enabled: false },
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
 * in the worker's queue.
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
  _connection?: { stream?: { pause?: () => void; resume?: () => void } }
}

function internals(svc: LogicalReplicationService): ServiceInternals {
  return svc as unknown as ServiceInternals
}

/**
 * Stops reading the replication socket: the server then waits (TCP backpressure). Messages of the
 * chunk being parsed are still emitted.
 */
export function pauseSocket(svc: LogicalReplicationService): void {
  internals(svc)._connection?.stream?.pause?.()
}

/** Undoes pauseSocket (also before stop(), which waits for the socket's end). */
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
