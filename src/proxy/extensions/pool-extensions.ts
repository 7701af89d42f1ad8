// What twlab's opt-in pool keys add to a nutcracker server pool: `sentinels:` (servers follow
// their Sentinel masters) and `health_check:` (an ejected server is probed before it comes back).
// A pool without them is exactly nutcracker's.
import {healthCheckOf, sentinelsOf} from '../../config/index.js'
import type {PoolConfig} from '../../config/types.js'
import {healthProbe} from './health-probe.js'
import type {Logger} from '../cli/log.js'
import {SentinelWatch} from './sentinel-watch.js'
import type {ServerPool} from '../server/server-pool.js'

export interface PoolExtras {
  /** resolves once what must happen before serving has happened (Sentinel masters resolved) */
  start(): Promise<void>
  stop(): void
}

export function attachPoolExtensions(pool: ServerPool, config: PoolConfig, logger: Logger): PoolExtras {
  if (healthCheckOf(config)) pool.healthProbe = healthProbe(config)
  const sentinels = sentinelsOf(config)
  const watch = sentinels === undefined ? undefined : new SentinelWatch(pool, config, sentinels, logger)
  return {
    start: async () => {
      await watch?.start()
    },
    stop: () => watch?.stop(),
  }
}
