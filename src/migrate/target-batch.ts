// Batched commands against the target cluster: keys are grouped by the master that owns their
// slot in the client's current slot map (keySlot over the key's bytes, so binary keys route
// right), and each group goes out as one pipeline. Any per-key failure that a moving cluster
// explains (MOVED/ASK after a reshard, a failover, TRYAGAIN) is retried for that key alone
// through the cluster client, which follows redirections and refreshes its slot map. A pipeline
// refused as a whole (the slot map changed under the grouping) falls back to one call per key.
import type {Cluster} from 'ioredis'
import {keySlot} from '../hashing/index.js'
import {isTransient, retryTransient} from './retry.js'

export type Reply = [error: Error | null, value: unknown]
export type CommandArgs = Array<string | number | Buffer>

function owner(cluster: Cluster, key: Buffer): string {
  const nodes = cluster.slots[keySlot(key)]
  return nodes && nodes.length > 0 ? nodes[0] : '?'
}

async function single(cluster: Cluster, name: string, args: CommandArgs): Promise<Reply> {
  try {
    return [null, await retryTransient(() => cluster.callBuffer(name, ...args))]
  } catch (error) {
    return [error as Error, null]
  }
}

/**
 * Sends `command(key)` for every key (one command per key, first argument the key) and returns
 * the replies in key order; bulk replies come back as Buffers.
 */
export async function perKeyOnTarget(cluster: Cluster, keys: Buffer[], name: string,
  argsFor: (key: Buffer, index: number) => CommandArgs): Promise<Reply[]> {
  const replies: Reply[] = new Array(keys.length)
  const groups = new Map<string, number[]>()
  for (let i = 0; i < keys.length; i++) {
    const node = owner(cluster, keys[i])
    let list = groups.get(node)
    if (!list) groups.set(node, (list = []))
    list.push(i)
  }
  await Promise.all([...groups.values()].map(async (indexes) => {
    const pipeline = cluster.pipeline()
    for (const i of indexes) pipeline.callBuffer(name, ...argsFor(keys[i], i))
    let results: Reply[] | null = null
    try {
      results = (await pipeline.exec()) as Reply[] | null
    } catch {
      results = null
    }
    await Promise.all(indexes.map(async (i, j) => {
      const result = results?.[j]
      if (result && !(result[0] && isTransient(result[0]))) {
        replies[i] = result
        return
      }
      replies[i] = await single(cluster, name, argsFor(keys[i], i))
    }))
  }))
  return replies
}
