// The way back's target: a twemproxy pool (-c nutcracker.yml [--pool NAME], or --lab NAME), its
// servers written directly where nutcracker's hashing places each key (targets/pool.ts, the same
// KeyPlacer twproxy and nutcracker route with), in the pool's redis_db. A pool with the random
// distribution has no home for a key, so it cannot be written to this way.
import type {Redis} from 'ioredis'
import {formatAddress, type Address} from '../../address.js'
import {UserError} from '../../errors.js'
import {resolveTarget} from '../../lab/target.js'
import {closeClients} from '../../targets/client-factory.js'
import {PoolTarget} from '../../targets/index.js'
import {sourceClient} from '../source/sources.js'

export interface PoolTargetOptions {
  lab?: string
  config?: string
  pool?: string
  password?: string
}

export interface PoolServer {
  index: number
  name: string
  address: Address
  client: Redis
}

export interface WritablePool {
  description: string
  servers: PoolServer[]
  /** the server nutcracker's hashing sends the key to */
  ownerOf(key: Buffer): PoolServer
  close(): Promise<void>
}

export async function openPoolTarget(options: PoolTargetOptions): Promise<WritablePool> {
  const target = await resolveTarget({lab: options.lab, config: options.config, pool: options.pool, password: options.password})
  if (!(target instanceof PoolTarget)) {
    await target.close()
    throw new UserError(`${target.description} is a cluster: --to-pool writes into a twemproxy pool (-c nutcracker.yml or --lab NAME of a pool lab).`)
  }
  const {pool} = target
  try {
    if (!target.placementIsFixed) throw new UserError(`Pool ${pool.name} uses the random distribution: a key has no fixed server there, so it cannot be copied back into it.`)
    const servers: PoolServer[] = pool.servers.map((server, index) => {
      if (server.path) throw new UserError(`Server ${server.name} of pool ${pool.name} is a unix socket: --to-pool writes over TCP.`)
      const address = {host: server.host, port: server.port}
      return {index, name: server.name, address, client: sourceClient(address, {name: 'twlab-migrate', password: options.password ?? pool.redisAuth, db: pool.redisDb})}
    })
    const byId = new Map(target.nodes().map((node, i) => [node.id, servers[i]]))
    for (const server of servers) {
      try {
        await server.client.ping()
      } catch (error) {
        await closeClients(servers.map((s) => s.client))
        throw new UserError(`Pool server ${server.name} (${formatAddress(server.address)}) cannot be reached: ${(error as Error).message}.`, {cause: error})
      }
    }
    return {
      description: target.description,
      servers,
      ownerOf: (key) => byId.get(target.ownerOf(key).id) as PoolServer,
      close: async () => {
        await closeClients(servers.map((s) => s.client))
        await target.close()
      },
    }
  } catch (error) {
    await target.close()
    throw error
  }
}
