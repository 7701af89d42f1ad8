// What twlab's opt-in pool keys add to a nutcracker server pool: `sentinels:` (servers follow
// their Sentinel masters) and `health_check:` (an ejected server is probed before it comes back).
// A pool without them is exactly nutcracker's.
import {healthCheckOf} from '../../config/health-check.js'
import {sentinelsOf} from '../../config/sentinels.js'
import type {PoolConfig} from '../../config/types.js'
import {healthProbe} from './health-probe.js'
import type {Logger} from '../cli/log.js'
import type {ServerPool} from '../server/server-pool.js'

export interface PoolExtras {
  /** resolves once what must happen before serving has happened (Sentinel masters resolved) */
  start(): Promise<void>
  stop(): void
}

/** Sentinel's watch (and ioredis with it), loaded only for pools with `sentinels:`. */
let sentinelModule: typeof import('./sentinel-watch.js') | undefined

/** Loads what the pools' extension keys need before attachPoolExtensions runs for them. */
export async function loadPoolExtensionsFor(pools: readonly PoolConfig[]): Promise<void> {
  if (pools.some((pool) => sentinelsOf(pool) !== undefined)) sentinelModule ??= await import('./sentinel-watch.js')
}

export function attachPoolExtensions(pool: ServerPool, config: PoolConfig, logger: Logger): PoolExtras {
  if (healthCheckOf(config)) pool.healthProbe = healthProbe(config)
  const sentinels = sentinelsOf(config)
  if (sentinels !== undefined && sentinelModule === undefined) throw new Error('loadPoolExtensionsFor() was not called for this pool')
  const watch = sentinels === undefined ? undefined : new sentinelModule!.SentinelWatch(pool, config, sentinels, logger)
  return {
    start: async () => {
      await watch?.start()
    },
    stop: () => watch?.stop(),
  }
}
