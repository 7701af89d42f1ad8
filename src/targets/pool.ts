// A nutcracker pool as a target: its servers hold the keys, and twemproxy hashing (the same
// placement nutcracker uses) says which server each key belongs on.
import type {Redis} from 'ioredis'
import {buildKetamaContinuum, KeyPlacer} from '../hashing/index.js'
import type {PoolConfig} from '../config/types.js'
import {NodeClients} from './clients.js'
import type {Target, TargetNode} from './types.js'

export interface PoolTargetOptions {
  /** overrides the pool's redis_auth */
  password?: string
  /** where the pool came from, for the description ("nutcracker.yml", "lab demo") */
  source?: string
}

export class PoolTarget implements Target {
  readonly kind = 'pool' as const
  readonly description: string
  private readonly placer: KeyPlacer
  private readonly serverNodes: TargetNode[]
  private readonly clients: NodeClients

  constructor(readonly pool: PoolConfig, options: PoolTargetOptions = {}) {
    const count = pool.servers.length
    this.description = `pool ${pool.name} (${count} server${count === 1 ? '' : 's'})${options.source ? ` from ${options.source}` : ''}`
    this.placer = new KeyPlacer({
      hash: pool.hash,
      hashTag: pool.hashTag,
      distribution: pool.distribution,
      servers: pool.servers.map((server) => ({name: server.name, weight: server.weight})),
    })
    this.serverNodes = pool.servers.map((server) => ({
      id: server.name,
      name: server.name,
      host: server.path ?? server.host,
      port: server.port,
      address: server.address,
      role: 'master' as const,
    }))
    this.clients = new NodeClients({
      password: options.password ?? pool.redisAuth,
      db: pool.redisDb,
      socketPathOf: (node) => pool.servers.find((server) => server.name === node.id)?.path,
    })
  }

  /** false for the random distribution: a key has no fixed server, so nothing is misplaced */
  get placementIsFixed(): boolean {
    return this.placer.deterministic
  }

  nodes(): TargetNode[] {
    return this.serverNodes
  }

  ownerOf(key: Uint8Array | string): TargetNode {
    return this.serverNodes[this.placer.serverIndex(key)]
  }

  /** The hash value nutcracker computes for the key (after the hash_tag rule). */
  hashOf(key: Uint8Array | string): number {
    return this.placer.hashOf(key)
  }

  client(node: TargetNode): Redis {
    return this.clients.get(node)
  }

  /**
   * The share of uniformly hashed keys each server should get, by node id. For ketama it is the
   * length of the continuum arcs that end at the server's points (a key goes to the first point
   * at or after its hash, wrapping at 2^32); modula and random spread by weight.
   */
  predictedShares(): Map<string, number> {
    const shares = new Map<string, number>()
    const servers = this.pool.servers
    if (servers.length === 1) {
      shares.set(servers[0].name, 1)
      return shares
    }
    if (this.pool.distribution !== 'ketama') {
      const total = servers.reduce((sum, server) => sum + server.weight, 0)
      for (const server of servers) shares.set(server.name, server.weight / total)
      return shares
    }
    const {values, indexes} = buildKetamaContinuum(servers.map((server) => ({name: server.name, weight: server.weight})))
    const arcs = new Float64Array(servers.length)
    const last = values.length - 1
    // the first point also owns the wrap-around arc from the last point to 2^32
    arcs[indexes[0]] += values[0] + (2 ** 32 - values[last])
    for (let i = 1; i <= last; i++) arcs[indexes[i]] += values[i] - values[i - 1]
    servers.forEach((server, index) => shares.set(server.name, arcs[index] / 2 ** 32))
    return shares
  }

  close(): Promise<void> {
    return this.clients.closeAll()
  }
}
