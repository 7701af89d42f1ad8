// A twproxy whose pool is a Redis Cluster (the `cluster:` key), over a throwaway cluster from the
// migrate tests' helper; plus small readers for the stats document and the cluster's own view.
import {Cluster, Redis} from 'ioredis'
import net from 'node:net'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {freePort} from '../support/servers.js'
import {startTwproxy, type Twproxy} from './harness.js'

export {startCluster, type TestCluster}

export function clusterPoolConfig(name: string, port: number, seeds: string[], extra = '  timeout: 5000\n'): string {
  return `${name}:\n  listen: 127.0.0.1:${port}\n  redis: true\n${extra}  cluster:\n${seeds.map((seed) => `    - ${seed}\n`).join('')}`
}

export interface ClusterProxy {
  proxy: Twproxy
  port: number
  client: Redis
  stop(): Promise<void>
}

/** twproxy in front of `cluster` (seeded with its first master only), and an ioredis client to it. */
export async function startClusterProxy(cluster: TestCluster, extra?: string): Promise<ClusterProxy> {
  const port = await freePort()
  const proxy = await startTwproxy(clusterPoolConfig('alpha', port, [cluster.address], extra), port)
  const client = new Redis({host: '127.0.0.1', port, maxRetriesPerRequest: 0, enableReadyCheck: false, disableClientInfo: true})
  client.on('error', () => {})
  return {
    proxy, port, client,
    async stop() {
      client.disconnect()
      await proxy.stop()
    },
  }
}

/** A cluster-aware client straight to the cluster: the oracle for where keys really are. */
export function clusterClient(cluster: TestCluster): Cluster {
  const client = new Cluster([{host: '127.0.0.1', port: cluster.masters[0].port}], {redisOptions: {maxRetriesPerRequest: 2}})
  client.on('error', () => {})
  return client
}

/** The stats document of twproxy (one JSON object per connection). */
export function readStats(statsPort: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = ''
    const socket = net.connect({host: '127.0.0.1', port: statsPort})
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      try {
        resolve(JSON.parse(text) as Record<string, unknown>)
      } catch (error) {
        reject(error)
      }
    })
  })
}

/** The server names the stats document lists under `pool`. */
export async function statsServers(statsPort: number, pool: string): Promise<string[]> {
  const doc = await readStats(statsPort)
  const entry = doc[pool] as Record<string, unknown> | undefined
  if (entry === undefined) return []
  return Object.keys(entry).filter((key) => typeof entry[key] === 'object').sort()
}
