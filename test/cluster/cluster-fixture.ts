// Builds a real Redis Cluster for tests and the benchmark: cluster-enabled redis-servers on free
// ports, slots split evenly with ADDSLOTSRANGE, MEET, replicas attached, then waits (bounded)
// until every node agrees and reports cluster_state:ok. Everything is stopped by PID.
import assert from 'node:assert/strict'
import {Redis} from 'ioredis'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {countSlots} from '../../src/targets/cluster-nodes.js'
import type {InstalledServer} from '../../src/servers/store.js'
import {waitUntil, type RunningServer} from '../support/servers.js'
import {startNode} from './server-process.js'

export interface TestCluster {
  servers: RunningServer[]
  /** "127.0.0.1:port" of every node, masters first */
  addresses: string[]
  masters: string[]
  seed: string
  /** one admin client per node, by address */
  admin: Map<string, Redis>
  stop(): Promise<void>
}

export interface ClusterShape {
  masters: number
  replicasPerMaster?: number
  /** masters started cluster-enabled but given no slots (for add-node/rebalance tests) */
  emptyMasters?: number
  /** slots per master (default: 16384 split evenly over the first `masters`) */
  slotRanges?: Array<Array<[number, number]>>
  extraArgs?: string[]
  /** a fetched server (test/support/fetched-servers.ts) instead of the system's redis-server */
  server?: InstalledServer
}

export async function startCluster(shape: ClusterShape): Promise<TestCluster> {
  const replicas = shape.replicasPerMaster ?? 0
  const total = shape.masters * (1 + replicas) + (shape.emptyMasters ?? 0)
  const servers: RunningServer[] = []
  const admin = new Map<string, Redis>()
  const cluster: TestCluster = {
    servers, addresses: [], masters: [], seed: '', admin,
    async stop() {
      for (const client of admin.values()) client.disconnect()
      admin.clear()
      await Promise.all(servers.map((server) => server.stop()))
    },
  }
  try {
    for (let i = 0; i < total; i++) {
      servers.push(await startNode(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '3000',
        '--cluster-require-full-coverage', 'no', ...(shape.extraArgs ?? [])], shape.server))
    }
    for (const server of servers) {
      const address = `127.0.0.1:${server.port}`
      cluster.addresses.push(address)
      const client = new Redis({host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1, lazyConnect: true})
      client.on('error', () => {})
      await client.connect()
      admin.set(address, client)
    }
    const clients = cluster.addresses.map((address) => admin.get(address)!)
    const masterCount = shape.masters + (shape.emptyMasters ?? 0)
    cluster.masters = cluster.addresses.slice(0, masterCount)
    cluster.seed = cluster.addresses[0]
    const ranges = shape.slotRanges ?? evenRanges(shape.masters)
    for (let m = 0; m < shape.masters; m++) {
      for (const [start, end] of ranges[m] ?? []) await clients[m].call('CLUSTER', 'ADDSLOTSRANGE', start, end)
      await clients[m].call('CLUSTER', 'SET-CONFIG-EPOCH', m + 1)
    }
    for (let i = 1; i < clients.length; i++) await clients[i].call('CLUSTER', 'MEET', '127.0.0.1', servers[0].port)
    await waitUntil(async () => {
      for (const client of clients) if (String(await client.call('CLUSTER', 'NODES')).trim().split('\n').length !== total) return false
      return true
    }, 'every node to know every other node')
    const masterIds = await Promise.all(clients.slice(0, shape.masters).map(async (client) => String(await client.call('CLUSTER', 'MYID'))))
    for (let m = 0; m < shape.masters; m++) {
      for (let r = 0; r < replicas; r++) {
        await clients[masterCount + m * replicas + r].call('CLUSTER', 'REPLICATE', masterIds[m])
      }
    }
    await waitClusterStable(cluster)
    return cluster
  } catch (error) {
    await cluster.stop()
    throw error
  }
}

/** 16384 slots split evenly over n masters, as redis-cli --cluster create does. */
export function evenRanges(n: number): Array<Array<[number, number]>> {
  const ranges: Array<Array<[number, number]>> = []
  const per = 16384 / n
  let start = 0
  for (let i = 0; i < n; i++) {
    const end = i === n - 1 ? 16383 : Math.round((i + 1) * per) - 1
    ranges.push([[start, end]])
    start = end + 1
  }
  return ranges
}

/** Waits until every live node reports cluster_state:ok and all agree on who owns what. */
export async function waitClusterStable(cluster: TestCluster, timeoutMs = 30_000): Promise<void> {
  await waitUntil(async () => {
    const signatures = new Set<string>()
    for (const client of cluster.admin.values()) {
      if (client.status !== 'ready') continue
      const info = String(await client.call('CLUSTER', 'INFO'))
      if (!info.includes('cluster_state:ok')) return false
      const nodes = String(await client.call('CLUSTER', 'NODES')).trim().split('\n')
      if (nodes.some((line) => /handshake|fail\?|\[/.test(line))) return false
      signatures.add(nodes.map((line) => { const f = line.split(' '); return `${f[0]} ${f[2].replace('myself,', '')} ${f[3]} ${f.slice(8).join(' ')}` }).sort().join('\n'))
    }
    return signatures.size === 1
  }, 'the cluster to settle (cluster_state:ok, one view)', timeoutMs)
}

/** Writes `count` string keys through a cluster client (value = key), in pipelines. */
export async function fillKeys(cluster: TestCluster, count: number, prefix = 'key:', valueBytes = 0): Promise<string[]> {
  const client = clusterClient(cluster, true)
  const keys: string[] = []
  const pad = 'x'.repeat(valueBytes)
  try {
    for (let start = 0; start < count; start += 1000) {
      const writes: Array<Promise<unknown>> = []
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const key = `${prefix}${i}`
        keys.push(key)
        writes.push(client.set(key, `${key}${pad}`))
      }
      await Promise.all(writes)
    }
  } finally {
    client.disconnect()
  }
  return keys
}

export function clusterClient(cluster: TestCluster, autoPipelining = false): InstanceType<typeof Redis.Cluster> {
  const client = new Redis.Cluster(cluster.masters.map((address) => {
    const [host, port] = address.split(':')
    return {host, port: Number(port)}
  }), {redisOptions: {maxRetriesPerRequest: 3}, maxRedirections: 32, retryDelayOnTryAgain: 20, retryDelayOnMoved: 0, enableAutoPipelining: autoPipelining})
  client.on('error', () => {})
  return client
}

/** How many slots each master owns, by address, as twlab's own cluster view reads them. */
export async function slotCounts(cluster: TestCluster): Promise<Map<string, number>> {
  const target = await ClusterTarget.connect(cluster.seed)
  try {
    return new Map(target.masters().map((node) => [node.address, countSlots(node.slots)]))
  } finally {
    await target.close()
  }
}

/** Asserts every key written by fillKeys still reads back its value (value = key). */
export async function assertKeysReadable(cluster: TestCluster, keys: string[]): Promise<void> {
  const client = clusterClient(cluster, true)
  try {
    const values = await Promise.all(keys.map((key) => client.get(key)))
    const missing = keys.filter((key, i) => values[i] !== key)
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} keys unreadable`)
  } finally {
    client.disconnect()
  }
}
