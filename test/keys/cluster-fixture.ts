// A small Redis Cluster for the keys tests: three cluster-enabled redis-servers, slots assigned
// here (0-5460, 5461-10922, 10923-16383), met, and waited on until every node agrees the
// cluster is ok. Also the way to plant a key in a slot a node does not own.
import {Redis} from 'ioredis'
import {type RunningServer, sleep, startRedis} from '../support/servers.js'

export interface ClusterFixture {
  servers: RunningServer[]
  /** a direct (non-cluster) client per node */
  direct: Redis[]
  ids: string[]
  addresses: string[]
  /** index of the node that owns the key's slot, as the server computes it */
  ownerIndex(key: string | Buffer): Promise<number>
  stop(): Promise<void>
}

const RANGES: Array<[number, number]> = [[0, 5460], [5461, 10922], [10923, 16383]]

export async function startClusterFixture(): Promise<ClusterFixture> {
  const servers = await Promise.all(RANGES.map(() => startRedis({
    args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'],
  })))
  const direct = servers.map((server) => new Redis({host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 1}))
  await Promise.all(direct.map((client) => client.connect()))
  const ids = await Promise.all(direct.map((client) => client.call('CLUSTER', 'MYID') as Promise<string>))
  await Promise.all(direct.map((client, index) => client.call('CLUSTER', 'ADDSLOTSRANGE', RANGES[index][0], RANGES[index][1])))
  for (const server of servers.slice(1)) await direct[0].call('CLUSTER', 'MEET', '127.0.0.1', server.port)
  await waitConverged(direct)
  return {
    servers,
    direct,
    ids,
    addresses: servers.map((server) => `127.0.0.1:${server.port}`),
    async ownerIndex(key) {
      const slot = Number(await direct[0].call('CLUSTER', 'KEYSLOT', key))
      return RANGES.findIndex(([first, last]) => slot >= first && slot <= last)
    },
    async stop() {
      for (const client of direct) client.disconnect()
      await Promise.all(servers.map((server) => server.stop()))
    },
  }
}

/** Every node says cluster_state:ok and knows all three masters. Bounded: 300 tries, ~30 s. */
async function waitConverged(direct: Redis[]): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const states = await Promise.all(direct.map(async (client) => {
      const info = (await client.call('CLUSTER', 'INFO')) as string
      const nodes = (await client.call('CLUSTER', 'NODES')) as string
      const masters = nodes.trim().split('\n').filter((line) => {
        const fields = line.split(' ')
        return fields[2].split(',').includes('master') && fields[7] === 'connected' && fields.length > 8
      })
      return /cluster_state:ok/.test(info) && masters.length === direct.length
    }))
    if (states.every(Boolean)) return
    await sleep(100)
  }
  throw new Error('the test cluster did not converge')
}

/**
 * Stores a key on a node that does not own its slot, the way a half-finished migration leaves
 * one behind: mark the slot IMPORTING there for a moment so it accepts an ASKING write.
 */
export async function plantStray(node: Redis, ownerId: string, slot: number, write: (pipeline: ReturnType<Redis['pipeline']>) => void): Promise<void> {
  await node.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ownerId)
  try {
    const pipeline = node.pipeline()
    write(pipeline)
    const results = (await pipeline.exec()) ?? []
    for (const [error] of results) if (error) throw error
  } finally {
    await node.call('CLUSTER', 'SETSLOT', slot, 'STABLE')
  }
}
