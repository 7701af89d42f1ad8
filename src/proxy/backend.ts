// The seam between the proxy and whatever serves a pool. nutcracker's server pool
// (server/server-pool.ts) is one implementation; a Redis Cluster (cluster/cluster-backend.ts) is
// another, whose route indexes are slots rather than servers (so multi-key commands split per
// slot); a reloaded pool (reload/reloaded-backend.ts) wraps either one behind a gate. Clients use
// the first group of methods only. The proxy, the reload and the cut-over use the rest, so that
// a new kind of backend is added in proxy.ts (where a pool's backend is chosen) without editing
// the reload or cut-over code.
import type {Address} from '../address.js'
import type {Request} from './client/request.js'
import type {PoolStats} from './stats/stats.js'

/** A request a backend was given and has not answered yet. */
export interface RoutedRequest {
  /** the backend that runs it (a reloaded backend's primary, not the wrapper) */
  backend: PoolBackend
  /** the route index it was forwarded with */
  index: number
  request: Request
}

export interface PoolBackend {
  // --- what a client uses

  /** how many route indexes there are (servers; slots for a cluster), fixed for the life of the backend */
  readonly serverCount: number
  /**
   * The server index for the key at key[start, end), or -1 when no server can take it (every
   * server ejected). Called once per key; hash tags are applied by the backend.
   */
  route(key: Uint8Array, start: number, end: number): number
  /** Sends `request` to server `index`. The request completes later with a reply or an error. */
  forward(index: number, request: Request): void

  // --- life cycle (proxy.ts, reload.ts)

  /** The pool's counters in the stats document. */
  readonly stats: PoolStats
  /**
   * Gets ready to serve (a cluster reads its slot map first). Resolves undefined when ready, or
   * why it is not, as the reload logs it ("no node of pool 'alpha''s cluster answered").
   */
  start(): Promise<string | undefined>
  /** Connects to every server now (preconnect). */
  preconnect(): void
  /** Closes every server connection; pending requests fail. */
  close(): void
  /** What serves the pool, for the log: "3 servers", "the cluster of 3 masters ...". */
  describe(): string

  // --- reload and cut-over (reload/)

  /**
   * True when route indexes are the pool's `servers:` list, so that two such backends hand keys
   * over by that list (fallback_servers); false when the backend places keys by a rule of its own
   * (a cluster's slots): a reload onto or off it copies the keys in flight at the swap.
   */
  readonly routesByServerList: boolean
  /** Nothing sent and unanswered, nothing held for a retry. */
  readonly idle: boolean
  /** Nothing sent to the server at `address` (or held for it) and unanswered. */
  idleAt(address: Address): boolean
  /** Resolves once everything given to forward() has been passed on to a server (a gate may hold requests). */
  whenForwarded(): Promise<void>
  /** Requests sent and not answered yet, or held here, each with the backend and route index that run it. */
  inFlight(): RoutedRequest[]
  /** The route index whose server runs `key` of a request forwarded to `index` (`index` itself, or the key's own slot). */
  keyRoute(index: number, key: Uint8Array): number
  /** Where route index `index` is served now, or undefined when nothing serves it. */
  serverAt(index: number): Address | undefined
}

/** Places keys on servers: the hashing module's KeyPlacer, rebuilt when servers are ejected. */
export interface KeyRouter {
  serverIndex(key: Uint8Array, start: number, end: number): number
}
