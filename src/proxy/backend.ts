// The small interface between a client connection and whatever serves its pool. nutcracker's
// server pool (server-pool.ts) is one implementation; other backends (a Redis Cluster, servers
// found through Sentinel) can be put behind the same interface without touching the client side.
import type {Request} from './request.js'

export interface PoolBackend {
  /** how many servers requests can be routed to (fixed for the life of the backend) */
  readonly serverCount: number
  /**
   * The server index for the key at key[start, end), or -1 when no server can take it (every
   * server ejected). Called once per key; hash tags are applied by the backend.
   */
  route(key: Uint8Array, start: number, end: number): number
  /** Sends `request` to server `index`. The request completes later with a reply or an error. */
  forward(index: number, request: Request): void
  /** Connects to every server now (preconnect). */
  preconnect(): void
  /** Closes every server connection; pending requests fail. */
  close(): void
}

/** Places keys on servers: the hashing module's KeyPlacer, rebuilt when servers are ejected. */
export interface KeyRouter {
  serverIndex(key: Uint8Array, start: number, end: number): number
}
