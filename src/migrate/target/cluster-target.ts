// The Redis Cluster a migration writes to, reached through an ioredis Cluster client. The client
// routes each key by the live slot map and follows MOVED, ASK and TRYAGAIN, so the target may be
// resharded or fail over while a migration runs; writes that fail in between are retried
// (see retry.ts) rather than lost.
import {Cluster, type Redis} from 'ioredis'
import {UserError, describeSystemError} from '../../errors.js'
import type {Address} from '../source/address.js'

export interface ClusterTarget {
  address: Address
  client: Cluster
  /** a fresh list of master connections (the slot map may have changed since the start) */
  masters(): Redis[]
  close(): Promise<void>
}

export async function connectCluster(address: Address): Promise<ClusterTarget> {
  const client = new Cluster([{host: address.host, port: address.port}], {
    lazyConnect: true,
    // Off: ioredis groups auto-pipelines by the key as a string, which misroutes binary keys;
    // target-batch.ts pipelines per node itself.
    enableAutoPipelining: false,
    scaleReads: 'master',
    maxRedirections: 64,
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 100,
    retryDelayOnClusterDown: 300,
    slotsRefreshTimeout: 2000,
    clusterRetryStrategy: (times) => (times > 30 ? null : Math.min(100 * times, 1000)),
    redisOptions: {maxRetriesPerRequest: 5, connectTimeout: 5000},
  })
  // Errors reach us through the commands that fail; without a listener ioredis prints them.
  client.on('error', () => {})
  const what = `target cluster ${address.text}`
  try {
    await client.connect()
    const info = String(await client.cluster('INFO'))
    if (!info.includes('cluster_state:ok')) {
      throw new UserError(`${what} is not serving every slot (cluster_state is not ok): fix it (twlab cluster fix) and retry.`)
    }
  } catch (error) {
    client.disconnect()
    if (error instanceof UserError) throw error
    const message = (error as Error).message ?? ''
    if (/cluster support disabled|Failed to refresh slots cache|None of startup nodes is available/i.test(message)) {
      throw new UserError(`${what} is not a Redis Cluster node (or cannot be reached): give the address of a cluster node.`, {cause: error})
    }
    throw new UserError(describeSystemError(error, what) ?? `${what} cannot be used: ${message}.`, {cause: error})
  }
  return {
    address,
    client,
    masters: () => client.nodes('master'),
    close: async () => {
      await client.quit().catch(() => client.disconnect())
    },
  }
}
