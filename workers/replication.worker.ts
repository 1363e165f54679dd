/**
 * The replication worker: one plain worker thread (not one of the pool's: Piscina's idle threads
 * block their event loop, and this socket must be serviced all the time) that owns the run's one
 * replication connection. The streaming itself is src/replication/replication-session.ts; this
 * file serves its control plane (start, stop, status) to the main thread with comlink
 * (src/protocol/control-plane.ts), and the session posts its batches on the batch channel that
 * `start` hands over.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { TapError } from '../src/errors.js'
import { Logger } from '../src/log/logger.js'
import { serveApi } from '../src/protocol/control-plane.js'
import type { ReplicationWorkerApi, ReplicationWorkerData } from '../src/protocol/messages.js'
import { ReplicationSession } from '../src/replication/replication-session.js'

const data = workerData as ReplicationWorkerData
const logger = new Logger(data.logger).child({ component: 'replication' })

let session: ReplicationSession | undefined

const api: ReplicationWorkerApi = {
  async start(options, port) {
    if (session !== undefined) throw new TapError('INTERNAL', 'replication already started')
    session = new ReplicationSession(options, port, { config: data.config, logger })
    // A failure rejects the call with the TapError itself (the control plane carries its class).
    await session.start()
  },
  async stop() {
    await session?.stop()
  },
  status() {
    if (session === undefined) throw new TapError('INTERNAL', 'replication not started')
    return session.status()
  },
}

if (parentPort === null) throw new Error('replication.worker must run in a worker thread')
serveApi(api, parentPort)
