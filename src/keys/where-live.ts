// `keys where` on a live target: for each key, whether it exists, its type, TTL and memory,
// which node hashing (pool) or slot ownership (cluster) sends it to, and which nodes actually
// hold it. Read-only, and without touching the keys' idle time (EXISTS, TYPE, PTTL and MEMORY
// USAGE do not count as accesses).
import type {Redis} from 'ioredis'
import {keySlot} from '../hashing/index.js'
import type {Target, TargetNode} from '../targets/types.js'

/**
 * ok: on its owner only. misplaced: elsewhere, not on its owner (invisible through the proxy).
 * duplicated: on its owner and elsewhere too. missing: nowhere.
 */
export type LiveStatus = 'ok' | 'misplaced' | 'duplicated' | 'missing'

export interface LiveKey {
  /** the node the key belongs on */
  owner: TargetNode
  /** every node holding a key of this name */
  foundOn: TargetNode[]
  status: LiveStatus
  /** where the details below were read: the owner when it holds the key, else the first holder */
  readFrom?: TargetNode
  exists: boolean
  /** Redis type (string, hash, list...), null when missing or unreadable */
  type: string | null
  /** remaining TTL in ms, -1 for none, null when missing or unreadable */
  ttlMs: number | null
  memoryBytes: number | null
}

/** A cluster slot holding more keys than this is not listed to look for a key among them. */
const MAX_SLOT_LISTING = 100_000

export async function inspectKeys(target: Target, keys: Buffer[]): Promise<LiveKey[]> {
  const nodes = target.nodes()
  const owners = keys.map((key) => target.ownerOf(key))
  const holders = target.kind === 'cluster'
    ? await holdersInCluster(target, nodes, keys, owners)
    : await holdersInPool(target, nodes, keys)

  const results: LiveKey[] = keys.map((_key, index) => {
    const owner = owners[index]
    const foundOn = holders[index]
    const onOwner = foundOn.some((node) => node.id === owner.id)
    const status: LiveStatus = foundOn.length === 0 ? 'missing' : !onOwner ? 'misplaced' : foundOn.length > 1 ? 'duplicated' : 'ok'
    // a cluster node answers MOVED for keys of slots it does not own: details come from the owner
    const readFrom = onOwner ? owner : target.kind === 'pool' ? foundOn[0] : undefined
    return {owner, foundOn, status, readFrom, exists: foundOn.length > 0, type: null, ttlMs: null, memoryBytes: null}
  })
  await readDetails(target, keys, results)
  return results
}

async function holdersInPool(target: Target, nodes: TargetNode[], keys: Buffer[]): Promise<TargetNode[][]> {
  const found = await Promise.all(nodes.map(async (node) => {
    const pipeline = target.client(node).pipeline()
    for (const key of keys) pipeline.exists(key)
    return ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error
      return Number(value) === 1
    })
  }))
  return keys.map((_key, index) => nodes.filter((_node, at) => found[at][index]))
}

async function holdersInCluster(target: Target, nodes: TargetNode[], keys: Buffer[], owners: TargetNode[]): Promise<TargetNode[][]> {
  return Promise.all(keys.map(async (key, index) => {
    const slot = keySlot(key)
    const holders: TargetNode[] = []
    for (const node of nodes) {
      const client = target.client(node)
      if (node.id === owners[index].id) {
        if (Number(await client.exists(key)) === 1) holders.push(node)
      } else if (await slotHolds(client, slot, key)) {
        holders.push(node)
      }
    }
    return holders
  }))
}

/** Whether a node keeps the key in a slot it does not own (it would answer MOVED to EXISTS). */
async function slotHolds(client: Redis, slot: number, key: Buffer): Promise<boolean> {
  const count = Number(await client.call('CLUSTER', 'COUNTKEYSINSLOT', slot))
  if (count === 0 || count > MAX_SLOT_LISTING) return false
  const keys = (await client.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, count)) as Buffer[]
  return keys.some((candidate) => candidate.equals(key))
}

async function readDetails(target: Target, keys: Buffer[], results: LiveKey[]): Promise<void> {
  await Promise.all(results.map(async (result, index) => {
    if (!result.readFrom) return
    const key = keys[index]
    const reply = (await target.client(result.readFrom).pipeline()
      .type(key)
      .pttl(key)
      .call('MEMORY', 'USAGE', key)
      .exec()) ?? []
    const [[typeError, type], [ttlError, ttl], [memoryError, memory]] = reply
    result.type = typeError || type === 'none' ? null : String(type)
    result.ttlMs = ttlError || Number(ttl) === -2 ? null : Number(ttl)
    result.memoryBytes = memoryError || memory === null ? null : Number(memory)
  }))
}
