// cluster: a redis pool served by a Redis Cluster instead of `servers:`. The list holds seed
// nodes (host:port); twproxy reads the slot map from them (CLUSTER SLOTS) and routes each key by
// its Redis Cluster slot (CRC16 of the key or of its {hash tag}) to the master that serves it,
// following MOVED/ASK as the cluster reshards or fails over. hash, hash_tag and distribution do
// not apply to such a pool: the cluster's own slot rule places keys. A cluster has only database
// 0, so redis_db must be 0. nutcracker itself rejects the key.
import {formatAddress} from '../../address.js'
import {ExtensionValueError, nonEmptyList, registerExtension} from '../extensions.js'
import {FALLBACK_SERVERS_KEY} from './fallback-servers.js'
import {parseHostPort, SENTINELS_KEY, type SentinelAddress} from './sentinels.js'
import type {PoolConfig} from '../types.js'

export const CLUSTER_KEY = 'cluster'

export interface ClusterSeed {
  host: string
  port: number
}

registerExtension({
  key: CLUSTER_KEY,
  description: 'the pool is a Redis Cluster reached through these seed nodes (instead of servers:); keys go by cluster slot, MOVED/ASK are followed',
  value: 'sequence',
  providesServers: true,
  parse(value) {
    return nonEmptyList(value, CLUSTER_KEY, 'List at least one cluster node as host:port, or delete the key.').map((item) => parseHostPort(item.trim(), 'cluster node', '127.0.0.1:7000'))
  },
  format: (parsed) => (parsed as ClusterSeed[]).map(formatAddress),
  check(pool) {
    if (!pool.redis) throw new ExtensionValueError('cluster is set on a memcache pool', 'Add "redis: true" to the pool, or remove cluster.')
    if (pool.servers.length > 0) {
      throw new ExtensionValueError('the pool has both servers: and cluster:', 'Remove servers: (twproxy finds the cluster\'s masters from the cluster: nodes), or remove cluster:.')
    }
    if (pool.redisDb !== 0) {
      throw new ExtensionValueError(`redis_db is ${pool.redisDb}, but a Redis Cluster has only database 0`, 'Remove redis_db (or set it to 0) in a pool with cluster:.')
    }
    for (const other of [SENTINELS_KEY, FALLBACK_SERVERS_KEY]) {
      if (pool.extensions[other] !== undefined) {
        throw new ExtensionValueError(`${other} cannot be used with cluster`, `Remove ${other}: the cluster finds its own masters and moves its own keys.`)
      }
    }
  },
})

/** The pool's cluster seed nodes, when a Redis Cluster serves it. */
export function clusterSeedsOf(pool: PoolConfig): ClusterSeed[] | undefined {
  const value = pool.extensions[CLUSTER_KEY]
  return Array.isArray(value) && value.length > 0 ? (value as SentinelAddress[]) : undefined
}
