// A pool read from a nutcracker.yml as the target its keys live on: nutcracker's servers, or,
// once the pool was cut over to a Redis Cluster (its `cluster:` seeds), that cluster. The tools
// then follow the keys to where twproxy sends them, not to servers the pool no longer uses.
import {formatAddress} from '../address.js'
import {clusterSeedsOf} from '../config/index.js'
import type {PoolConfig} from '../config/types.js'
import {UserError} from '../errors.js'
import {ClusterTarget} from './cluster.js'
import {PoolTarget, type PoolTargetOptions} from './pool.js'
import type {Target} from './types.js'

export async function poolBackendTarget(pool: PoolConfig, options: PoolTargetOptions = {}): Promise<Target> {
  const seeds = clusterSeedsOf(pool)
  if (seeds === undefined) return new PoolTarget(pool, options)
  const password = options.password ?? pool.redisAuth
  const failures: string[] = []
  // any seed that answers describes the whole cluster
  for (const seed of seeds) {
    const address = formatAddress(seed)
    try {
      return await ClusterTarget.connect(address, {password})
    } catch (error) {
      failures.push(`${address}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  throw new UserError(`Pool "${pool.name}"${options.source ? ` (${options.source})` : ''} is served by a Redis Cluster, and none of its seeds answered (${failures.join('; ')}).`)
}
