/**
 * The control plane of a worker that the main thread holds a handle on (today the replication
 * worker; docs/DEVELOPING.md): comlink RPC over the worker itself. Both ends go through here, so
 * both install the same error handling: a call that fails in the worker rejects on the main thread
 * with the same TapError class, code, message, hint and exit code (errors.ts serializeError /
 * deserializeError), not with a plain Error whose message would have to be parsed.
 */
import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads'
import { expose, type Remote, transfer, transferHandlers, wrap } from 'comlink'
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs'
import { deserializeError, type SerializedTapError, serializeError } from '../errors.js'

interface WireError {
  readonly tapError: SerializedTapError
}

let installed = false

/** comlink's `throw` handler, replaced: what a worker throws crosses as a serialized TapError. */
function installErrorHandler(): void {
  if (installed) return
  installed = true
  const base = transferHandlers.get('throw')
  if (base === undefined) throw new Error('comlink has no throw transfer handler')
  transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize: (thrown: unknown): [WireError, []] => [
      { tapError: serializeError((thrown as { value: unknown }).value) },
      [],
    ],
    deserialize: (wire: unknown): never => {
      throw deserializeError((wire as WireError).tapError)
    },
  })
}

/** Worker side: serves `api` to the main thread on `port` (the worker's parentPort). */
export function serveApi<T extends object>(api: T, port: MessagePort): void {
  installErrorHandler()
  expose(api, nodeEndpoint(port))
}

/** Main side: a typed handle on the api a worker serves (a port in tests). */
export function workerHandle<T>(worker: Worker | MessagePort): Remote<T> {
  installErrorHandler()
  return wrap<T>(nodeEndpoint(worker))
}

/** A port passed in a call moves to the worker (the batch channel of a `start`). */
export function movePort(port: MessagePort): MessagePort {
  const list: TransferListItem[] = [port]
  return transfer(port, list as unknown as Parameters<typeof transfer>[1])
}
