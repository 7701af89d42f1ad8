// The Redis Cluster a migration writes to, reached through a cluster client from the targets'
// factory (`patient`: it waits out a failover, then gives up). The client routes each key by the
// live slot map and follows MOVED, ASK and TRYAGAIN, so the target may be resharded or fail over
// while a migration runs; writes that fail in between are retried (see retry.ts) rather than lost.
import type {Cluster, Redis} from 'ioredis'
import {formatAddress, type Address} from '../../address.js'
import {UserError, describeSystemError} from '../../errors.js'
import {createClusterClient} from '../../targets/client-factory.js'

export interface MigrationTarget {
  /** the node the cluster was reached through */
  address: Address
  client: Cluster
  /** a fresh list of master connections (the slot map may have changed since the start) */
  masters(): Redis[]
  close(): Promise<void>
}

export async function connectTarget(address: Address): Promise<MigrationTarget> {
  const client = createClusterClient([address], {policy: 'patient'})
  const what = `target cluster ${formatAddress(address)}`
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

/** "host:port" of every master, sorted: what twproxy's pool lists after a cut-over. */
export function masterAddresses(target: MigrationTarget): string[] {
  return target.masters().map((node) => `${node.options.host}:${node.options.port}`).sort()
}
