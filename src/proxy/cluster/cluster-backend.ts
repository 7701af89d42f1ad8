// A pool served by a Redis Cluster (the `cluster:` extension). Keys are routed by their Redis
// Cluster slot (CRC16 of the key or its {hash tag}; the pool's hash/distribution do not apply)
// to the master the slot map names, over the proxy's own server connections (raw bytes, as for
// nutcracker pools). What a cluster answers besides the reply itself is handled here, so the
// client sees only replies:
//  - -MOVED slot host:port: that slot's owner is updated, the request resent there, and the whole
//    map refreshed soon after (rate-limited);
//  - -ASK slot host:port: ASKING then the request go to that node, for this request only;
//  - -TRYAGAIN (a multi-key request during a slot move) and -CLUSTERDOWN (failover in progress):
//    the request waits a moment and is retried, within RETRY_WINDOW_MS;
//  - a node that refuses connections (a dead master): the map is refreshed from any known node
//    and the request retried within the same window, then answered nutcracker's error. A request
//    whose connection broke after it was sent is not resent (it may have run): it gets the error.
// While a request waits for a retry, newer requests for the same slot wait behind it, so writes
// to a key are not reordered by a retry; other slots go on. Route indexes are slots:
// MGET/DEL/UNLINK/TOUCH/MSET split per slot.
import type {PoolConfig} from '../../config/types.js'
import type {ClusterSeed} from '../../config/extension-keys/cluster.js'
import {formatAddress, type Address} from '../../address.js'
import {CLUSTER_SLOTS, keySlot, keySlotOfRange} from '../../hashing/index.js'
import {encodeCommand} from '../../protocol/redis-encode.js'
import {RedisReplyScanner} from '../../protocol/redis-reply.js'
import type {PoolBackend, RoutedRequest} from '../backend.js'
import {CROSSSLOT_REPLY, isCrossSlot} from './cluster-keys.js'
import {ClusterNode, ClusterRequest, replyStartsWith} from './cluster-request.js'
import {parseRedirect, type SlotMap} from './cluster-slot-map.js'
import {fetchSlotMap} from './cluster-topology.js'
import {ECONNREFUSED, ECONNRESET} from '../io/errno.js'
import {latencyRecorder} from '../stats/latency.js'
import type {Logger} from '../cli/log.js'
import {Request, type RequestOwner} from '../client/request.js'
import type {ConnectionSettings, ServerConnection} from '../server/server-connection.js'
import {connectionTo, dropConnection, openConnection} from '../server/server-connections.js'
import {PoolStats} from '../stats/stats.js'
import {readFromOf, replicaMaxLagOf} from '../../config/extension-keys/read-from.js'
import {ReplicaReads} from '../server/read-from.js'
import {type ServerAccess, serverAccessOf} from '../server/server-access.js'

/** How long a request may keep being retried (TRYAGAIN, CLUSTERDOWN, refused connections). */
const RETRY_WINDOW_MS = 5000
/** Pause before held requests are sent again. */
const RETRY_DELAY_MS = 50
/** MOVED/ASK hops one request may take before its last reply is passed on. */
const MAX_REDIRECTS = 16
/** A refresh after MOVED or a lost connection waits this long, and refreshes are this far apart. */
const REFRESH_SOON_MS = 20
const REFRESH_MIN_INTERVAL_MS = 200
/** Per node asked for the slot map, and for the whole refresh. */
const FETCH_NODE_LIMIT_MS = 1000
const FETCH_LIMIT_MS = 3000

const ASKING = encodeCommand(['ASKING'])
const SLOT_NOT_SERVED = Buffer.from('-CLUSTERDOWN Hash slot not served\r\n')

export class ClusterBackend implements PoolBackend, RequestOwner {
  readonly stats: PoolStats
  /** route indexes are slots */
  readonly serverCount = CLUSTER_SLOTS
  private readonly nodes = new Map<string, ClusterNode>()
  private readonly owners: Array<ClusterNode | undefined> = new Array(CLUSTER_SLOTS)
  private map: SlotMap | undefined
  private readonly settings: ConnectionSettings
  /** requests waiting to be sent again (and those of the same slots that arrived behind them), oldest first */
  private held: ClusterRequest[] = []
  /** per slot: how many of `held` are for it */
  private readonly heldPerSlot = new Uint32Array(CLUSTER_SLOTS)
  private holdTimer: NodeJS.Timeout | null = null
  private holdRefresh = false
  /** sent to a node and not answered */
  private outstanding = 0
  private seq = 0
  private refreshing: Promise<void> | null = null
  private refreshTimer: NodeJS.Timeout | null = null
  private lastRefresh = 0
  private closing = false
  /** idle connections closed because their node left the cluster: not a reason to refresh */
  private readonly retired = new WeakSet<ServerConnection>()
  /** how the nodes are reached: password, ACL user, TLS */
  private readonly access: ServerAccess
  /** read_from: reads go to the replicas of the slot's master */
  private readonly reads: ReplicaReads | undefined

  constructor(private readonly config: PoolConfig, private readonly seeds: readonly ClusterSeed[], private readonly logger: Logger) {
    this.stats = new PoolStats(config.name, [])
    this.access = serverAccessOf(config)
    const readFrom = readFromOf(config)
    this.settings = {
      redis: true,
      timeout: config.timeout,
      redisAuth: config.redisAuth,
      redisUser: this.access.username,
      tls: this.access.tls,
      // READONLY lets a replica answer reads of its master's slots; a master ignores it
      readOnly: readFrom !== 'master',
      redisDb: 0,
      newScanner: () => new RedisReplyScanner(),
      serverOk: () => {},
      connectionClosed: (conn) => this.connectionClosed(conn),
      log: (level, message) => logger[level](message, 'cluster.ts'),
      observeLatency: latencyRecorder(),
    }
    this.reads = readFrom === 'master' ? undefined
      : new ReplicaReads(config.name, readFrom, replicaMaxLagOf(config), this.settings, this.access, () => this.map?.masters ?? [], logger)
  }

  /** Reads the slot map (bounded) before the pool serves; without it, requests wait for the next refresh. */
  async start(): Promise<string | undefined> {
    await this.refresh()
    await this.reads?.start()
    if (this.map !== undefined) return undefined
    this.logger.error(`pool '${this.config.name}': no cluster node answered CLUSTER SLOTS (${this.seeds.map(formatAddress).join(', ')}); requests fail until one does`, 'cluster.ts')
    return `no node of pool '${this.config.name}''s cluster answered`
  }

  /** The cluster places keys by slot, not by the pool's server list. */
  readonly routesByServerList = false

  describe(): string {
    const masters = this.masters
    return `the cluster of ${masters.length} masters ${masters.join(', ')}`
  }

  /** The masters of the slot map now ("host:port"), in slot order. */
  get masters(): string[] {
    return this.map?.masters.map(formatAddress) ?? []
  }

  route(key: Uint8Array, start: number, end: number): number {
    return keySlotOfRange(key, start, end)
  }

  forward(slot: number, request: Request): void {
    // fragments of a split MGET/DEL/MSET hold one slot's keys by construction
    if (request.parent === null && isCrossSlot(request.data)) {
      request.complete(CROSSSLOT_REPLY, null)
      return
    }
    this.dispatch(new ClusterRequest(this, request, slot, this.seq++))
  }

  preconnect(): void {
    for (const node of this.nodes.values()) {
      if (node.index >= 0 && node.connections.length === 0) openConnection(node, this.settings)
    }
  }

  close(): void {
    this.closing = true
    this.reads?.close()
    if (this.holdTimer !== null) clearTimeout(this.holdTimer)
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer)
    this.holdTimer = null
    this.refreshTimer = null
    const held = this.held
    this.held = []
    this.heldPerSlot.fill(0)
    for (const request of held) request.original.complete(null, ECONNREFUSED)
    for (const node of this.nodes.values()) for (const conn of [...node.connections]) conn.fail(ECONNREFUSED, 'err')
  }

  /** Nothing sent and unanswered, nothing waiting for a retry (reload.ts waits for this). */
  get idle(): boolean {
    return this.outstanding === 0 && this.held.length === 0 && (this.reads?.idle ?? true)
  }

  /** A request may be redirected to any node: the whole backend must be idle. */
  idleAt(): boolean {
    return this.idle
  }

  /** Requests wait for a retry inside the backend, not at a gate: idle says when they are done. */
  whenForwarded(): Promise<void> {
    return Promise.resolve()
  }

  /** Requests sent to nodes and not answered, then those waiting for a retry (a cut-over copies their keys too). */
  inFlight(): RoutedRequest[] {
    const out: RoutedRequest[] = []
    for (const node of this.nodes.values()) {
      for (const conn of node.connections) {
        // ASKING, sent ahead of a redirected request, is the proxy's own
        for (const sent of conn.pendingRequests()) if (sent instanceof ClusterRequest) out.push({backend: this, index: sent.slot, request: sent})
      }
    }
    for (const request of this.held) out.push({backend: this, index: request.slot, request: request.original})
    return out
  }

  /** A key runs at its own slot's master (a key of another slot than the request's is refused there). */
  keyRoute(_index: number, key: Uint8Array): number {
    return keySlot(key)
  }

  /** The master serving `slot` now. */
  serverAt(slot: number): Address | undefined {
    return this.owners[slot]
  }

  /** A reply (or failure) from a node: passed on, or followed. */
  requestDone(request: Request): void {
    const sent = request as ClusterRequest
    this.outstanding--
    if (this.closing) {
      this.finish(sent, sent.reply, sent.error)
      return
    }
    if (sent.error !== null) {
      // refused: it never reached the node, so sending it again cannot run it twice
      if (sent.error === ECONNREFUSED) this.retryLater(sent, null, sent.error, true)
      else {
        this.scheduleRefresh()
        this.finish(sent, null, sent.error)
      }
      return
    }
    const reply = sent.reply!
    if (reply[0] === 45 /* '-' */) {
      if (replyStartsWith(reply, '-MOVED ') || replyStartsWith(reply, '-ASK ')) {
        if (this.redirect(sent, reply)) return
      } else if (replyStartsWith(reply, '-TRYAGAIN')) {
        this.retryLater(sent, reply, null, false)
        return
      } else if (replyStartsWith(reply, '-CLUSTERDOWN')) {
        this.retryLater(sent, reply, null, true)
        return
      }
    }
    this.finish(sent, reply, null)
  }

  /** Follows MOVED or ASK; false when it cannot (then the reply is passed on). */
  private redirect(sent: ClusterRequest, reply: Uint8Array): boolean {
    if (sent.redirects >= MAX_REDIRECTS) return false
    const text = Buffer.from(reply).toString('latin1')
    const target = parseRedirect(text.slice(1), sent.node ?? {host: '127.0.0.1', port: 0})
    if (target === undefined) return false
    sent.redirects++
    sent.reset()
    const node = this.node(target.to)
    if (text.startsWith('-MOVED')) {
      this.owners[target.slot] = node
      this.scheduleRefresh()
      this.dispatch(sent)
    } else {
      this.send(node, sent, true)
    }
    return true
  }

  private finish(sent: ClusterRequest, reply: Uint8Array | null, error: string | null): void {
    sent.original.complete(reply, error)
  }

  /** Sends to the slot's master, or holds the request behind those already waiting. */
  private dispatch(request: ClusterRequest): void {
    if (this.heldPerSlot[request.slot] > 0) {
      this.hold(request, false)
      return
    }
    const node = this.owners[request.slot]
    if (node === undefined) {
      if (this.map === undefined) this.retryLater(request, null, ECONNREFUSED, true)
      else this.retryLater(request, SLOT_NOT_SERVED, null, true)
      return
    }
    this.send(node, request, false)
  }

  private send(node: ClusterNode, request: ClusterRequest, asking: boolean): void {
    request.serverIndex = node.index
    request.node = node
    this.outstanding++
    if (!asking && this.reads !== undefined && this.reads.trySend(node, request, this.sendToMaster)) return
    const conn = connectionTo(node, this.config.serverConnections, this.settings)
    // ASKING applies to the next command on the same connection only
    if (asking) conn.send(new Request(null, ASKING))
    conn.send(request)
  }

  /** A read a replica failed: to the master it was meant for after all. */
  private readonly sendToMaster = (request: Request): void => {
    const sent = request as ClusterRequest
    connectionTo(sent.node!, this.config.serverConnections, this.settings).send(sent)
  }

  /** Holds the request for a retry, unless its retry window is over: then the last answer stands. */
  private retryLater(request: ClusterRequest, reply: Uint8Array | null, error: string | null, refresh: boolean): void {
    const now = Date.now()
    if (request.retryUntil === 0) request.retryUntil = now + RETRY_WINDOW_MS
    if (now >= request.retryUntil) {
      this.finish(request, reply, error)
      return
    }
    request.reset()
    this.hold(request, refresh)
  }

  private hold(request: ClusterRequest, refresh: boolean): void {
    // oldest first, so a retried request goes out before those that arrived after it
    const held = this.held
    let at = held.length
    while (at > 0 && held[at - 1].seq > request.seq) at--
    held.splice(at, 0, request)
    this.heldPerSlot[request.slot]++
    if (refresh) this.holdRefresh = true
    if (this.holdTimer === null) this.holdTimer = setTimeout(() => void this.release(), RETRY_DELAY_MS)
  }

  /** Sends the held requests again, in order, after a map refresh when one was asked for. */
  private async release(): Promise<void> {
    if (this.holdRefresh) {
      this.holdRefresh = false
      await this.refresh()
    }
    this.holdTimer = null
    if (this.closing) return
    const held = this.held
    this.held = []
    this.heldPerSlot.fill(0)
    for (const request of held) this.dispatch(request)
  }

  /** A full refresh soon, unless one is due or running. */
  private scheduleRefresh(): void {
    if (this.closing || this.refreshTimer !== null || this.refreshing !== null) return
    const wait = Math.max(REFRESH_SOON_MS, this.lastRefresh + REFRESH_MIN_INTERVAL_MS - Date.now())
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null
      void this.refresh()
    }, wait)
  }

  /** Reads the slot map again from the known nodes (masters first, then seeds, then replicas). */
  refresh(): Promise<void> {
    if (this.refreshing !== null) return this.refreshing
    const candidates: Address[] = [...(this.map?.masters ?? []), ...this.seeds, ...(this.map?.nodes ?? [])]
    const deadline = Date.now() + FETCH_LIMIT_MS
    this.refreshing = fetchSlotMap(candidates, {...this.access, timeoutMs: FETCH_NODE_LIMIT_MS, deadline})
      .then((map) => {
        this.lastRefresh = Date.now()
        if (map !== undefined && !this.closing) this.apply(map)
      })
      .finally(() => {
        this.refreshing = null
      })
    return this.refreshing
  }

  private apply(map: SlotMap): void {
    const before = this.masters.join(', ')
    this.map = map
    const masterNamed = new Map(map.masters.map((address) => [formatAddress(address), address]))
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      const owner = map.owners[slot]
      this.owners[slot] = owner === undefined ? undefined : this.node(masterNamed.get(owner)!)
    }
    for (const node of this.nodes.values()) node.index = -1
    const servers = map.masters.map((address, i) => {
      const node = this.node(address)
      node.index = i
      return node.stats
    })
    this.stats.servers.splice(0, this.stats.servers.length, ...servers)
    // a node the cluster no longer names keeps no idle connection open
    const named = new Set(map.nodes.map(formatAddress))
    for (const [name, node] of this.nodes) {
      if (named.has(name)) continue
      for (const conn of [...node.connections]) {
        if (conn.depth > 0) continue
        this.retired.add(conn)
        conn.fail(ECONNRESET, 'eof')
      }
      if (node.connections.length === 0) this.nodes.delete(name)
    }
    const after = this.masters.join(', ')
    if (before !== after) this.logger.notice(`pool '${this.config.name}': cluster masters ${after || '(none)'}`, 'cluster.ts')
  }

  private node(address: Address): ClusterNode {
    const name = formatAddress(address)
    let node = this.nodes.get(name)
    if (node === undefined) this.nodes.set(name, (node = new ClusterNode(address.host, address.port)))
    return node
  }

  private connectionClosed(conn: ServerConnection): void {
    const node = conn.server as ClusterNode
    dropConnection(node, conn)
    // a node going away is how a failover starts: learn the new map without waiting for a request
    if (!this.closing && !this.retired.has(conn)) this.scheduleRefresh()
  }
}
