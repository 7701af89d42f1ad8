// Finds keys stored on a node other than the one the target routes them to. Such keys are
// invisible through the proxy (pool) or unreachable without a redirect (cluster).
//
// Pool: SCAN every server and place each key with nutcracker's hashing.
// Cluster: a node's keys in slots it does not own, found with CLUSTER COUNTKEYSINSLOT over the
// slots it does not own (one pipeline) and CLUSTER GETKEYSINSLOT where the count is not zero,
// which costs nothing per key that sits where it should.
import type {Redis} from 'ioredis'
import {PoolTarget} from '../targets/pool.js'
import type {Target, TargetNode} from '../targets/types.js'
import {UserError} from '../errors.js'
import {CLUSTER_SLOTS} from '../hashing/index.js'
import {keyId} from '../key-text.js'
import {DEFAULT_SCAN_COUNT, scanServer} from './scan.js'

export interface Misplaced {
  key: Buffer
  /** where the key is */
  node: TargetNode
  /** where hashing or slot ownership sends it */
  owner: TargetNode
}

export interface FindMisplacedOptions {
  /** called with each group of misplaced keys found on one node; the search waits for it */
  onMisplaced: (found: Misplaced[]) => void | Promise<void>
  /** called after each node step with the number of keys looked at on that node */
  onScanned?: (node: TargetNode, keys: number) => void
  count?: number
}

export interface NodeCheck {
  node: TargetNode
  /** keys looked at (pool: every key; cluster: keys in slots it does not own) */
  checked: number
  misplaced: number
}

export async function findMisplaced(target: Target, options: FindMisplacedOptions): Promise<NodeCheck[]> {
  if (target instanceof PoolTarget && !target.placementIsFixed) {
    throw new UserError(`${target.description} uses distribution random: a key has no fixed server there, so none can be misplaced.`)
  }
  const nodes = target.nodes()
  return Promise.all(nodes.map((node) => (target.kind === 'cluster'
    ? findInUnownedSlots(target, node, options)
    : findByHashing(target, node, options))))
}

async function findByHashing(target: Target, node: TargetNode, options: FindMisplacedOptions): Promise<NodeCheck> {
  const result: NodeCheck = {node, checked: 0, misplaced: 0}
  await scanServer(target.client(node), {
    count: options.count ?? DEFAULT_SCAN_COUNT,
    onKeys: async (keys) => {
      result.checked += keys.length
      const found: Misplaced[] = []
      for (const key of keys) {
        const owner = target.ownerOf(key)
        if (owner.id !== node.id) found.push({key, node, owner})
      }
      options.onScanned?.(node, keys.length)
      if (found.length > 0) {
        result.misplaced += found.length
        await options.onMisplaced(found)
      }
    },
  })
  return result
}

async function findInUnownedSlots(target: Target, node: TargetNode, options: FindMisplacedOptions): Promise<NodeCheck> {
  const result: NodeCheck = {node, checked: 0, misplaced: 0}
  const client = target.client(node)
  const owned = new Uint8Array(CLUSTER_SLOTS)
  for (const [first, last] of node.slots ?? []) owned.fill(1, first, last + 1)
  const unowned: number[] = []
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (!owned[slot]) unowned.push(slot)

  const counts = await countKeysInSlots(client, unowned)
  const batch = options.count ?? DEFAULT_SCAN_COUNT
  for (let i = 0; i < unowned.length; i++) {
    let remaining = counts[i]
    if (remaining === 0) continue
    const slot = unowned[i]
    result.checked += remaining
    options.onScanned?.(node, remaining)
    // GETKEYSINSLOT always returns the first keys of the slot, so take them all at once when
    // the slot is small, else in batches that the consumer moves away before the next one
    const seen = new Set<string>()
    for (let round = 0; remaining > 0 && round < 1_000_000; round++) {
      const keys = (await client.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, Math.max(remaining, batch))) as Buffer[]
      const fresh = keys.filter((key) => !seen.has(keyId(key)))
      if (fresh.length === 0) break
      for (const key of fresh) seen.add(keyId(key))
      const found: Misplaced[] = []
      for (const key of fresh) found.push({key, node, owner: target.ownerOf(key)})
      result.misplaced += found.length
      remaining -= fresh.length
      await options.onMisplaced(found)
    }
  }
  return result
}

async function countKeysInSlots(client: Redis, slots: number[]): Promise<number[]> {
  const counts: number[] = []
  const chunk = 4096
  for (let start = 0; start < slots.length; start += chunk) {
    const pipeline = client.pipeline()
    for (const slot of slots.slice(start, start + chunk)) pipeline.call('CLUSTER', 'COUNTKEYSINSLOT', slot)
    const results = (await pipeline.exec()) ?? []
    for (const [error, value] of results) {
      if (error) throw error
      counts.push(Number(value))
    }
  }
  return counts
}
