// A running proxy: one backend (nutcracker's server pool, or a Redis Cluster for a pool with
// `cluster:`) and one listener per pool of the configuration. This is where a pool's kind of
// backend is chosen (newBackend); everything else, the reload included, sees a PoolBackend.
import {clusterSeedsOf, commandKeysOf, redisUserOf} from '../config/extension-keys/index.js'
import type {NutcrackerConfig, PoolConfig} from '../config/types.js'
import type {PoolBackend} from './backend.js'
import {BackendCommandTable} from './client/command-keys.js'
import type {ClientContext} from './client/client.js'
import type {ClientLimits} from './client/limits.js'
import {PoolListener} from './io/listener.js'
import {attachPoolExtensions, loadPoolExtensionsFor, type PoolExtras} from './extensions/pool-extensions.js'
import type {Logger} from './cli/log.js'
import {MemcacheReplyScanner} from '../protocol/memcache-reply.js'
import {RedisReplyScanner} from '../protocol/redis-reply.js'
import {type RouterFactory, ServerPool} from './server/server-pool.js'
import type {PoolStats} from './stats/stats.js'

/** The cluster backend's module (and ioredis with it), loaded only for a configuration that has a `cluster:` pool. */
let clusterModule: typeof import('./cluster/cluster-backend.js') | undefined

/**
 * Loads the code only some configurations use (a cluster pool's backend, Sentinel's watch), so a
 * pool of plain servers never loads the client library. Call before building a Proxy for `config`
 * and before a reload builds backends for it.
 */
export async function loadBackendsFor(config: NutcrackerConfig): Promise<void> {
  if (config.pools.some((pool) => clusterSeedsOf(pool) !== undefined)) clusterModule ??= await import('./cluster/cluster-backend.js')
  await loadPoolExtensionsFor(config.pools)
}

export interface ProxyOptions {
  limits: ClientLimits
  logger: Logger
  /** -m: nutcracker's mbuf chunk size; a redis key must fit in one chunk minus its 48-byte header */
  mbufSize: number
  makeRouter: RouterFactory
  /** --workers: the listening sockets are shared with other processes (node:cluster) */
  sharedListeners?: boolean
}

export class Proxy {
  /** per pool: the backend whose stats are reported (a reloaded pool's primary) */
  readonly pools: PoolBackend[]
  readonly listeners: PoolListener[]
  /** per pool: what its clients send requests to (shared by every client of the pool) */
  private readonly contexts: ClientContext[] = []
  /** per server pool: what twlab's extension keys add (Sentinel masters, health checks) */
  private readonly extras = new Map<PoolBackend, PoolExtras>()
  /** per pool with `command_keys: backend`: the commands its servers publish */
  private readonly commandTables: Array<BackendCommandTable | undefined>
  private started = false

  constructor(public config: NutcrackerConfig, private readonly options: ProxyOptions) {
    this.pools = config.pools.map((pool) => this.newBackend(pool))
    this.commandTables = config.pools.map((pool) => pool.redis && commandKeysOf(pool) === 'backend' ? new BackendCommandTable(pool, options.logger) : undefined)
    this.listeners = config.pools.map((pool, i) => {
      const ctx: ClientContext = {
        backend: this.pools[i],
        stats: this.pools[i].stats,
        limits: options.limits,
        logger: options.logger,
        poolName: pool.name,
        redisAuth: pool.redisAuth,
        redisUser: redisUserOf(pool),
        maxKeyLength: options.mbufSize - 48,
        published: this.commandTables[i]?.commands,
      }
      this.contexts.push(ctx)
      return new PoolListener(pool, ctx, options.sharedListeners === true)
    })
  }

  /** A cluster backend for a pool with `cluster:`, else a server pool; start() it before use. */
  newBackend(pool: PoolConfig): PoolBackend {
    const seeds = clusterSeedsOf(pool)
    if (seeds !== undefined) {
      if (clusterModule === undefined) throw new Error('loadBackendsFor() was not called for this configuration')
      return new clusterModule.ClusterBackend(pool, seeds, this.options.logger)
    }
    return this.newServerPool(pool)
  }

  newServerPool(pool: PoolConfig): ServerPool {
    const scanner = pool.redis ? () => new RedisReplyScanner() : () => new MemcacheReplyScanner()
    const serverPool = new ServerPool(pool, this.options.makeRouter, scanner, this.options.logger)
    const extras = attachPoolExtensions(serverPool, pool, this.options.logger)
    this.extras.set(serverPool, extras)
    // a pool built by a reload starts following its masters at once
    if (this.started) void extras.start()
    return serverPool
  }

  /** A backend built by newBackend that will not be used after all (a reload that gave up). */
  discardBackend(backend: PoolBackend): void {
    this.extras.get(backend)?.stop()
    this.extras.delete(backend)
    backend.close()
  }

  /** The backend each pool's clients use now. */
  get backends(): PoolBackend[] {
    return this.contexts.map((ctx) => ctx.backend)
  }

  /** reload.ts: new requests of pool i go to `backend` from now on; the stats document reports `reported`. */
  replaceBackend(i: number, backend: PoolBackend, reported: PoolBackend): void {
    const ctx = this.contexts[i]
    const before = ctx.stats
    const after = reported.stats
    // the pool's client counters live on across a reload (clients stay connected)
    after.client_eof = before.client_eof
    after.client_err = before.client_err
    after.client_connections = before.client_connections
    after.server_ejects = before.server_ejects
    after.forward_error = before.forward_error
    after.fragments = before.fragments
    ctx.backend = backend
    ctx.stats = after
    const previous = this.pools[i]
    // at start-up a pool with fallback_servers is wrapped around the same server pool: its extras stay
    if (previous !== reported) {
      this.extras.get(previous)?.stop()
      this.extras.delete(previous)
    }
    this.pools[i] = reported
    // the new backend's servers may publish other commands (read on the control path, once)
    void this.commandTables[i]?.load(reported)
  }

  get stats(): PoolStats[] {
    return this.pools.map((pool) => pool.stats)
  }

  /** Binds every pool's listen address; preconnects where the pool asks for it. */
  async start(): Promise<void> {
    // Sentinel masters are resolved, and cluster slot maps read, before the first client is accepted
    await Promise.all([
      ...[...this.extras.values()].map((extra) => extra.start()),
      ...this.pools.map((pool) => pool.start()),
    ])
    // after the servers are known (Sentinel masters, slot maps): their command tables
    await Promise.all(this.commandTables.map((table, i) => table?.load(this.pools[i])))
    this.started = true
    for (const listener of this.listeners) await listener.listen()
    this.config.pools.forEach((pool, i) => {
      if (pool.preconnect) this.pools[i].preconnect()
    })
  }

  /** Stops accepting, closes every client and server connection. */
  async close(): Promise<void> {
    for (const listener of this.listeners) listener.close()
    for (const extra of this.extras.values()) extra.stop()
    for (const table of this.commandTables) table?.stop()
    for (const backend of this.backends) backend.close()
  }
}
