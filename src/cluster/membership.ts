// Adding and removing cluster nodes. add-node: the new node must be an empty cluster-enabled
// redis; it MEETs the cluster, waits until both sides know each other, and optionally becomes a
// replica. del-node (after its slots were moved away): its replicas follow another master, every
// other node FORGETs it, and it is reset (with a new id) so it cannot rejoin by gossip.
import type {Redis} from 'ioredis'
import type {ClusterNodeInfo} from '../targets/cluster-nodes.js'
import {formatAddress, parseAddress} from '../address.js'
import {connectNode, type ClusterTarget} from '../targets/cluster.js'
import {UserError} from '../errors.js'
import {messageOf} from './slot-mover.js'

export interface AddedNode {
  id: string
  address: string
  role: 'master' | 'replica'
  master?: string
}

const JOIN_TIMEOUT_MS = 20_000

export async function addNode(target: ClusterTarget, newAddress: string, replicaOf?: string): Promise<AddedNode> {
  const {host, port} = parseAddress(newAddress, {what: 'The new node address', example: '127.0.0.1:7000'})
  const master = replicaOf ? target.resolveNode(replicaOf) : undefined
  if (master && master.role !== 'master') throw new UserError(`${master.address} is a replica: --replica-of must name a master.`)
  if (target.allNodes().some((node) => node.port === port && node.host === host)) {
    throw new UserError(`${newAddress} is already a node of this cluster.`)
  }
  const client = await connectNode(host, port, target.auth)
  try {
    const info = await clusterInfo(client, newAddress)
    if (Number(info.cluster_known_nodes ?? 1) > 1 || Number(info.cluster_slots_assigned ?? 0) > 0) {
      throw new UserError(`${newAddress} already belongs to a cluster (it knows other nodes or owns slots): reset it with CLUSTER RESET, or pick an empty node.`)
    }
    if (Number(await client.dbsize()) > 0) throw new UserError(`${newAddress} holds keys: add only an empty node (FLUSHALL it first if its data is not needed).`)
    const id = String(await client.call('CLUSTER', 'MYID'))
    const seed = target.masters()[0]
    await client.call('CLUSTER', 'MEET', seed.host, seed.port)
    await waitFor(async () => {
      await target.refresh()
      return target.byId(id) !== undefined && !target.byId(id)!.flags.includes('handshake')
    }, `${newAddress} to join the cluster`)
    // Done means it serves: it knows every slot's owner and is past the first seconds in which a
    // fresh master answers CLUSTERDOWN (a reshard onto it right away would be refused).
    await waitFor(async () => (await clusterInfo(client, newAddress)).cluster_state === 'ok', `${newAddress} to see the cluster as ok`)
    if (master) {
      // the new node must know the master before it can follow it
      await waitFor(async () => String(await client.call('CLUSTER', 'NODES')).includes(master.id), `${newAddress} to learn about ${master.address}`)
      await client.call('CLUSTER', 'REPLICATE', master.id)
      await waitFor(async () => {
        await target.refresh()
        return target.byId(id)?.role === 'replica'
      }, `${newAddress} to become a replica`)
    }
    return {id, address: formatAddress({host, port}), role: master ? 'replica' : 'master', master: master?.address}
  } finally {
    client.disconnect()
  }
}

/** Removes a node that owns no slots from the cluster. */
export async function forgetNode(target: ClusterTarget, node: ClusterNodeInfo): Promise<{replicasMoved: string[]}> {
  await target.refresh()
  const current = target.byId(node.id)
  if (current && current.slots.length > 0) throw new UserError(`${node.address} still owns slots: move them away first (del-node does this unless it was interrupted).`)
  const replicasMoved: string[] = []
  const others = target.masters().filter((master) => master.id !== node.id)
  for (const replica of target.replicasOf(node.id)) {
    // follow the master with the fewest replicas, as redis-cli does
    const master = [...others].sort((a, b) => target.replicasOf(a.id).length - target.replicasOf(b.id).length)[0]
    if (!master) break
    await target.client(replica).call('CLUSTER', 'REPLICATE', master.id)
    replicasMoved.push(replica.address)
  }
  // FORGET everywhere quickly: a node that still knows it would gossip it back within a minute
  await Promise.all(target.allNodes().filter((other) => other.id !== node.id && !other.failing).map(async (other) => {
    try {
      await target.client(other).call('CLUSTER', 'FORGET', node.id)
    } catch (error) {
      if (!/Unknown node/i.test(messageOf(error))) throw new UserError(`${other.address} refused to forget ${node.address}: ${messageOf(error)}.`)
    }
  }))
  if (!node.failing) {
    // alone again, so it cannot rejoin through gossip; it keeps running. HARD gives it a new id:
    // the others refuse a forgotten id for a minute, and the node may well be added back sooner.
    await target.client(node).call('CLUSTER', 'RESET', 'HARD').catch(() => undefined)
  }
  await target.refresh()
  return {replicasMoved}
}

async function clusterInfo(client: Redis, address: string): Promise<Record<string, string>> {
  let text: string
  try {
    text = String(await client.call('CLUSTER', 'INFO'))
  } catch (error) {
    if (/cluster support disabled/i.test(messageOf(error))) throw new UserError(`${address} is not cluster-enabled: start it with --cluster-enabled yes.`)
    throw error
  }
  return Object.fromEntries(text.split('\n').map((line) => line.trim().split(':')).filter((parts) => parts.length === 2))
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + JOIN_TIMEOUT_MS
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await check()) return
    if (Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new UserError(`Timed out waiting for ${what}: check that the nodes can reach each other's cluster bus port (port + 10000).`)
}
