// The small interface between a client connection and whatever serves its pool. nutcracker's
// server pool (server-pool.ts) is one implementation; a Redis Cluster (cluster-backend.ts) is
// another, whose route indexes are slots rather than servers (so multi-key commands split per
// slot); the client side does not change.
import type {Request} from './client/request.js'

export interface PoolBackend {
  /** how many route indexes there are (servers; slots for a cluster), fixed for the life of the backend */
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
