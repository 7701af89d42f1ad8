// nutcracker's server pool: routes keys with the pool's KeyPlacer, keeps up to
// server_connections connections per server (new ones first, then round-robin), counts failures
// and ejects a server after server_failure_limit of them when auto_eject_hosts is on, and puts it
// back (without any health check, as nutcracker) after server_retry_timeout.
import type {PoolConfig, ServerConfig} from '../../config/types.js'
import type {Address} from '../../address.js'
import type {KeyRouter, PoolBackend, RoutedRequest} from '../backend.js'
import {ECONNREFUSED, ECONNRESET} from '../io/errno.js'
import {latencyRecorder} from '../stats/latency.js'
import type {Logger} from '../cli/log.js'
import type {ReplyScanner} from './reply-scanner.js'
import type {Request} from '../client/request.js'
import {type ConnectionSettings, ServerConnection, type ServerEndpoint} from './server-connection.js'
import {connectionTo, dropConnection, openConnection} from './server-connections.js'
import {PoolStats, ServerStats} from '../stats/stats.js'
import {type ServerAccess, serverAccessOf} from './server-access.js'
import type {ReplicaReads} from './read-from.js'

/** health_check: resolves true when the server answers (health-probe.ts). */
export type HealthProbe = (server: ServerEndpoint) => Promise<boolean>

/** Builds the key router for the live servers (all of them, or those not ejected). */
export type RouterFactory = (pool: PoolConfig, live: boolean[]) => KeyRouter

class Server implements ServerEndpoint {
  readonly name: string
  /** where it is now: a Sentinel master moves (moveServer) */
  host: string
  port: number
  readonly path?: string
  readonly stats: ServerStats
  connections: ServerConnection[] = []
  nextConnection = 0
  failures = 0
  /** msec since epoch when an ejected server is put back; 0 while live */
  retryAt = 0
  /** a health probe is out (health_check) */
  probing = false

  constructor(readonly index: number, config: ServerConfig) {
    this.name = config.name
    this.host = config.host
    this.port = config.port
    this.path = config.path
    this.stats = new ServerStats(config.name)
  }
}

export class ServerPool implements PoolBackend {
  readonly stats: PoolStats
  private readonly servers: Server[]
  private router: KeyRouter
  private readonly settings: ConnectionSettings
  /** msec since epoch of the earliest retry of an ejected server; 0 when none is ejected */
  private nextRebuild = 0
  private closing = false
  private liveCount: number
  /** connections closed on purpose because their server moved: not a failure */
  private readonly moved = new WeakSet<ServerConnection>()
  /** health_check: an ejected server comes back only when this says it answers */
  healthProbe: HealthProbe | undefined
  /** read_from (Sentinel pools): reads go to the masters' replicas */
  replicaReads: ReplicaReads | undefined
  /** how the servers are reached: password, ACL user, TLS */
  readonly access: ServerAccess

  constructor(
    private readonly config: PoolConfig,
    private readonly makeRouter: RouterFactory,
    newScanner: () => ReplyScanner,
    private readonly logger: Logger,
  ) {
    this.servers = config.servers.map((server, i) => new Server(i, server))
    this.stats = new PoolStats(config.name, this.servers.map((server) => server.stats))
    this.router = makeRouter(config, this.servers.map(() => true))
    this.liveCount = this.servers.length
    this.access = serverAccessOf(config)
    this.settings = {
      redis: config.redis,
      timeout: config.timeout,
      redisAuth: config.redisAuth,
      redisUser: this.access.username,
      tls: this.access.tls,
      redisDb: config.redisDb,
      newScanner,
      serverOk: (server) => {
        (server as Server).failures = 0
      },
      connectionClosed: (conn) => this.connectionClosed(conn),
      log: (level, message) => logger[level](message, 'server.ts'),
      observeLatency: latencyRecorder(),
    }
  }

  get serverCount(): number {
    return this.servers.length
  }

  route(key: Uint8Array, start: number, end: number): number {
    if (this.nextRebuild !== 0 && Date.now() >= this.nextRebuild) this.rebuild()
    if (this.liveCount === 0) return -1
    return this.router.serverIndex(key, start, end)
  }

  forward(index: number, request: Request): void {
    const server = this.servers[index]
    request.serverIndex = index
    if (this.replicaReads !== undefined && this.replicaReads.trySend(server, request, this.sendToMaster)) return
    connectionTo(server, this.config.serverConnections, this.settings).send(request)
  }

  /** A read a replica failed: to its master after all. */
  private readonly sendToMaster = (request: Request): void => {
    connectionTo(this.servers[request.serverIndex], this.config.serverConnections, this.settings).send(request)
  }

  /** What a replica connection needs (read_from): the masters' settings. */
  get connectionSettings(): ConnectionSettings {
    return this.settings
  }

  /** The backend's route indexes are this pool's server list. */
  readonly routesByServerList = true

  /** Nothing to read before serving: servers are connected on demand (or by preconnect). */
  start(): Promise<string | undefined> {
    return Promise.resolve(undefined)
  }

  describe(): string {
    return `${this.servers.length} servers`
  }

  /** Every open connection has no request in flight (reload.ts waits for this before closing the pool). */
  get idle(): boolean {
    return (this.replicaReads?.idle ?? true) && this.servers.every((server) => server.connections.every((conn) => conn.closed || conn.depth === 0))
  }

  /** The connections to the server at `address` have no request in flight (a reload's gate for that server). */
  idleAt(address: Address): boolean {
    return this.servers.every((server) => server.host !== address.host || server.port !== address.port ||
      server.connections.every((conn) => conn.closed || conn.depth === 0))
  }

  /** Requests are sent at once: nothing is held. */
  whenForwarded(): Promise<void> {
    return Promise.resolve()
  }

  inFlight(): RoutedRequest[] {
    return this.servers.flatMap((server) => server.connections.flatMap((conn) => conn.pendingRequests().map((request) => ({backend: this, index: server.index, request}))))
  }

  /** A request runs whole on the server it was sent to, every key of it included. */
  keyRoute(index: number): number {
    return index
  }

  serverAt(index: number): Address | undefined {
    const server = this.servers[index]
    return server === undefined ? undefined : {host: server.host, port: server.port}
  }

  /** An error reply for a request that could not be routed (every server ejected). */
  get unroutableError(): string {
    return ECONNREFUSED
  }

  preconnect(): void {
    // nutcracker 0.5.0 opens one connection per server at start, whatever server_connections
    // says; the others open on demand
    for (const server of this.servers) {
      if (server.connections.length === 0) openConnection(server, this.settings)
    }
  }

  close(): void {
    this.closing = true
    this.replicaReads?.close()
    for (const server of this.servers) for (const conn of [...server.connections]) conn.fail(ECONNREFUSED, 'err')
  }

  private connectionClosed(conn: ServerConnection): void {
    const server = conn.server as Server
    dropConnection(server, conn)
    if (this.closing || this.moved.has(conn)) return
    this.serverFailure(server)
  }

  /** nutcracker's server_failure: counted once per closed connection, only with auto_eject_hosts. */
  private serverFailure(server: Server): void {
    if (!this.config.autoEjectHosts) return
    server.failures++
    const limit = Math.max(1, this.config.serverFailureLimit)
    if (server.failures < limit) return
    const now = Date.now()
    server.failures = 0
    server.retryAt = now + this.config.serverRetryTimeout
    server.stats.server_ejected_at = now * 1000
    this.stats.server_ejects++
    this.logger.error(`update pool '${this.config.name}' to delete server '${server.name}' for next ${Math.floor(this.config.serverRetryTimeout / 1000)} secs`, 'server.ts')
    this.rebuild()
  }

  /**
   * sentinel-watch.ts: server `index` now lives at host:port. Its connections are closed (their
   * requests fail, as on any server close, without counting as a failure) and new ones go to
   * the new address. Placement does not change: the router is built from server names.
   */
  moveServer(index: number, host: string, port: number): boolean {
    const server = this.servers[index]
    if (server === undefined || (server.host === host && server.port === port)) return false
    server.host = host
    server.port = port
    server.failures = 0
    for (const conn of [...server.connections]) {
      this.moved.add(conn)
      conn.fail(ECONNRESET, 'err')
    }
    // an ejected master that moved is worth trying at once
    if (server.retryAt !== 0) {
      server.retryAt = 0
      this.rebuild()
    }
    return true
  }

  /** Index and address of each server (sentinel-watch.ts, metrics.ts). */
  get endpoints(): readonly ServerEndpoint[] {
    return this.servers
  }

  /** An ejected server's retry time came: back in at once (nutcracker), or after a probe answers. */
  private retry(server: Server, now: number): void {
    const probe = this.healthProbe
    if (probe === undefined) {
      server.retryAt = 0
      return
    }
    // stays out for another retry period unless the probe answers first
    server.retryAt = now + this.config.serverRetryTimeout
    if (server.probing) return
    server.probing = true
    void probe(server).then((ok) => {
      server.probing = false
      if (!ok || server.retryAt === 0 || this.closing) return
      server.retryAt = 0
      this.logger.warn(`server '${server.name}' answered its health check: back in pool '${this.config.name}'`, 'server.ts')
      this.rebuild()
    })
  }

  /** Rebuilds the router from the servers that are live now, putting back those whose retry time came. */
  private rebuild(): void {
    const now = Date.now()
    let next = 0
    const live = this.servers.map((server) => {
      if (server.retryAt !== 0 && now >= server.retryAt) this.retry(server, now)
      if (server.retryAt !== 0 && (next === 0 || server.retryAt < next)) next = server.retryAt
      return server.retryAt === 0
    })
    this.nextRebuild = next
    this.liveCount = live.filter(Boolean).length
    if (this.liveCount > 0) this.router = this.makeRouter(this.config, live)
  }
}
