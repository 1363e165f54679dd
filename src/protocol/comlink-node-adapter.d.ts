/**
 * comlink 4.4 has no `exports` map and ships `node-adapter.d.ts` next to `node-adapter.mjs`, which
 * TypeScript's NodeNext resolution does not pair up; this declares the one function we use.
 */
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink'

  interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void
    on(type: 'message', listener: (value: unknown) => void): unknown
    off(type: 'message', listener: (value: unknown) => void): unknown
    start?: () => void
  }

  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint
}
