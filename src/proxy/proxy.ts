// A running proxy: one server pool and one listener per pool of the configuration.
import type {NutcrackerConfig} from '../config/types.js'
import type {ClientContext} from './client.js'
import type {ClientLimits} from './limits.js'
import {PoolListener} from './listener.js'
import type {Logger} from './log.js'
import {MemcacheReplyScanner} from '../protocol/memcache-reply.js'
import {RedisReplyScanner} from '../protocol/redis-reply.js'
import {type RouterFactory, ServerPool} from './server-pool.js'
import type {PoolStats} from './stats.js'

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
  readonly pools: ServerPool[]
  readonly listeners: PoolListener[]

  constructor(readonly config: NutcrackerConfig, options: ProxyOptions) {
    this.pools = config.pools.map((pool) => new ServerPool(
      pool,
      options.makeRouter,
      pool.redis ? () => new RedisReplyScanner() : () => new MemcacheReplyScanner(),
      options.logger,
    ))
    this.listeners = config.pools.map((pool, i) => {
      const ctx: ClientContext = {
        backend: this.pools[i],
        stats: this.pools[i].stats,
        limits: options.limits,
        logger: options.logger,
        poolName: pool.name,
        redisAuth: pool.redisAuth,
        maxKeyLength: options.mbufSize - 48,
      }
      return new PoolListener(pool, ctx, options.sharedListeners === true)
    })
  }

  get stats(): PoolStats[] {
    return this.pools.map((pool) => pool.stats)
  }

  /** Binds every pool's listen address; preconnects where the pool asks for it. */
  async start(): Promise<void> {
    for (const listener of this.listeners) await listener.listen()
    this.config.pools.forEach((pool, i) => {
      if (pool.preconnect) this.pools[i].preconnect()
    })
  }

  /** Stops accepting, closes every client and server connection. */
  async close(): Promise<void> {
    for (const listener of this.listeners) listener.close()
    for (const pool of this.pools) pool.close()
  }
}
