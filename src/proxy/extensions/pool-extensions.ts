// What twlab's opt-in pool keys add to a nutcracker server pool: `sentinels:` (servers follow
// their Sentinel masters), `read_from:` (reads go to those masters' replicas) and `health_check:`
// (an ejected server is probed before it comes back). A pool without them is exactly nutcracker's.
import {healthCheckOf, readFromOf, replicaMaxLagOf, sentinelsOf} from '../../config/extension-keys/index.js'
import type {PoolConfig} from '../../config/types.js'
import {healthProbe} from './health-probe.js'
import type {Logger} from '../cli/log.js'
import type {ServerPool} from '../server/server-pool.js'
import type {ReplicaReads} from '../server/read-from.js'

export interface PoolExtras {
  /** resolves once what must happen before serving has happened (Sentinel masters resolved) */
  start(): Promise<void>
  stop(): void
}

/** Sentinel's watch (and ioredis with it), loaded only for pools with `sentinels:`. */
let sentinelModule: typeof import('./sentinel-watch.js') | undefined

/** Reads from replicas (their health checks use ioredis), loaded only for Sentinel pools that read from replicas. */
let readFromModule: {ReplicaReads: typeof ReplicaReads} | undefined

function readsFromReplicas(pool: PoolConfig): boolean {
  return sentinelsOf(pool) !== undefined && readFromOf(pool) !== 'master'
}

/** Loads what the pools' extension keys need before attachPoolExtensions runs for them. */
export async function loadPoolExtensionsFor(pools: readonly PoolConfig[]): Promise<void> {
  if (pools.some((pool) => sentinelsOf(pool) !== undefined)) sentinelModule ??= await import('./sentinel-watch.js')
  if (pools.some(readsFromReplicas)) readFromModule ??= await import('../server/read-from.js')
}

export function attachPoolExtensions(pool: ServerPool, config: PoolConfig, logger: Logger): PoolExtras {
  if (healthCheckOf(config)) pool.healthProbe = healthProbe(config, pool.access)
  const sentinels = sentinelsOf(config)
  if (sentinels !== undefined && sentinelModule === undefined) throw new Error('loadPoolExtensionsFor() was not called for this pool')
  const watch = sentinels === undefined ? undefined : new sentinelModule!.SentinelWatch(pool, config, sentinels, logger, pool.access)
  if (readsFromReplicas(config)) {
    if (readFromModule === undefined) throw new Error('loadPoolExtensionsFor() was not called for this pool')
    const masters = () => pool.endpoints.map((server) => ({host: server.host, port: server.port}))
    pool.replicaReads = new readFromModule.ReplicaReads(config.name, readFromOf(config), replicaMaxLagOf(config), pool.connectionSettings, pool.access, masters, logger)
  }
  return {
    start: async () => {
      // the masters first: their replicas are asked of them
      await watch?.start()
      await pool.replicaReads?.start()
    },
    stop: () => {
      watch?.stop()
      pool.replicaReads?.close()
    },
  }
}
