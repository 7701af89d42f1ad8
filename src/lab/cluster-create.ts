// Builds a Redis Cluster from fresh cluster-enabled nodes with plain admin commands, which is
// what redis-cli --cluster create does minus its fixed sleeps: distinct config epochs, slots
// with ADDSLOTSRANGE, MEET, REPLICATE, then wait until every node agrees and says ok.
import type {Redis} from 'ioredis'
import {setTimeout as sleep} from 'node:timers/promises'
import {CLUSTER_SLOTS} from '../hashing/index.js'
import {formatRanges, parseClusterNodes, type ClusterNodeInfo} from '../targets/cluster-nodes.js'
import {adminClient, parseInfo} from './admin-client.js'
import type {LabNode} from './state.js'

/** Slot ranges for `count` masters: as even as can be, the first ones taking the remainder. */
export function splitSlots(count: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  const base = Math.floor(CLUSTER_SLOTS / count)
  const extra = CLUSTER_SLOTS % count
  let start = 0
  for (let i = 0; i < count; i++) {
    const size = base + (i < extra ? 1 : 0)
    ranges.push([start, start + size - 1])
    start += size
  }
  return ranges
}

/** A canonical text of who owns which slots and who replicates whom, to compare across nodes. */
export function clusterSignature(nodes: ClusterNodeInfo[]): string {
  return nodes
    .filter((node) => !node.flags.includes('handshake') && !node.flags.includes('noaddr'))
    .map((node) => `${node.address} ${node.flags.includes('master') ? 'master' : `replica-of:${replicaOf(nodes, node)}`} ${node.slots.length > 0 ? formatRanges(node.slots) : ''}`)
    .sort()
    .join('\n')
}

/** The address of the node's master as this view knows it, or its id when the view does not. */
function replicaOf(nodes: ClusterNodeInfo[], node: ClusterNodeInfo): string {
  const masterId = node.masterId ?? '-'
  return nodes.find((candidate) => candidate.id === masterId)?.address ?? masterId
}

/** Polls `check` every 10 ms; an error (a node still LOADING its data) counts as not yet. */
async function waitFor(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  let lastError: unknown
  for (let attempt = 0; attempt < 100_000; attempt++) {
    try {
      if (await check()) return
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) throw new Error(`the cluster did not converge in time (${what}${lastError ? `; last: ${(lastError as Error).message}` : ''})`)
    await sleep(10)
  }
}

export interface ClusterCreateOptions {
  password?: string
  timeoutMs?: number
}

/** Creates the cluster over `nodes` (masters and replicas as planned) and waits until it is ready. */
export async function createCluster(nodes: LabNode[], options: ClusterCreateOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  const clients = new Map<string, Redis>(nodes.map((node) => [node.name, adminClient(node, options.password, 5000)]))
  const client = (node: LabNode): Redis => clients.get(node.name) as Redis
  try {
    const masters = nodes.filter((node) => node.role === 'master')
    const replicas = nodes.filter((node) => node.role === 'replica')
    const ids = new Map<string, string>()
    await Promise.all(nodes.map(async (node) => ids.set(node.name, String(await client(node).call('CLUSTER', 'MYID')))))
    // Distinct epochs up front spare the nodes the epoch-collision dance after MEET.
    await Promise.all(nodes.map((node, index) => client(node).call('CLUSTER', 'SET-CONFIG-EPOCH', String(index + 1))))
    const ranges = splitSlots(masters.length)
    await Promise.all(masters.map((node, index) => client(node).call('CLUSTER', 'ADDSLOTSRANGE', String(ranges[index][0]), String(ranges[index][1]))))
    // Every pair meets directly: one handshake each, instead of waiting for gossip rounds
    // (100 ms apart) to spread the news of each node through the first one.
    const meets: Array<Promise<unknown>> = []
    nodes.forEach((node, i) => {
      for (const other of nodes.slice(i + 1)) {
        meets.push(client(node).call('CLUSTER', 'MEET', other.host, String(other.port), String(other.busPort ?? other.port + 10000)))
      }
    })
    await Promise.all(meets)
    await waitFor('nodes meeting', deadline, async () => {
      const views = await Promise.all(nodes.map(async (node) => parseClusterNodes(String(await client(node).call('CLUSTER', 'NODES')), node.host)))
      return views.every((view) => view.length === nodes.length && view.every((line) => !line.flags.includes('handshake')))
    })
    await Promise.all(replicas.map((node) => {
      const master = masters.find((candidate) => candidate.name === node.master) as LabNode
      return client(node).call('CLUSTER', 'REPLICATE', ids.get(master.name) as string)
    }))
    await untilReady(nodes, client, deadline)
  } finally {
    for (const c of clients.values()) c.disconnect()
  }
}

/**
 * Every node says cluster_state:ok, all agree on one slot map naming every node, and every node
 * that is a replica now has its link up. Masters only say ok 2 s after they started (redis's
 * CLUSTER_WRITABLE_DELAY) and replicas sync meanwhile, so everything is polled together.
 */
async function untilReady(nodes: LabNode[], client: (node: LabNode) => Redis, deadline: number): Promise<void> {
  await waitFor('slot map agreement, cluster_state:ok and replica links', deadline, async () => {
    const [infos, views, links] = await Promise.all([
      Promise.all(nodes.map(async (node) => parseInfo(String(await client(node).call('CLUSTER', 'INFO'))))),
      Promise.all(nodes.map(async (node) => clusterSignature(parseClusterNodes(String(await client(node).call('CLUSTER', 'NODES')), node.host)))),
      // Replicas that have not synced yet cannot stand in for their master.
      Promise.all(nodes.map(async (node) => parseInfo(String(await client(node).info('replication'))))),
    ])
    if (!infos.every((info) => info.get('cluster_state') === 'ok')) return false
    if (!links.every((info) => info.get('role') !== 'slave' || info.get('master_link_status') === 'up')) return false
    return views.every((view) => view === views[0]) && views[0].split('\n').length === nodes.length
  })
}

/** A cluster lab started again from its nodes.conf files: waits until it is ready as above. */
export async function waitForClusterReady(nodes: LabNode[], options: ClusterCreateOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  const clients = new Map<string, Redis>(nodes.map((node) => [node.name, adminClient(node, options.password, 5000)]))
  try {
    await untilReady(nodes, (node) => clients.get(node.name) as Redis, deadline)
  } finally {
    for (const c of clients.values()) c.disconnect()
  }
}
