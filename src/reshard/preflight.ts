// Looks at the slots of a plan before anything moves: how many keys each holds (for the plan
// table and the progress bar) and which keys are big enough (MEMORY USAGE over a limit) that
// MIGRATE would block both nodes while copying them. Read-only.
import type {Redis} from 'ioredis'
import type {ClusterTarget} from '../targets/cluster.js'
import type {SlotMove} from './plan.js'

export interface BigKey {
  key: string
  slot: number
  node: string
  bytes: number
}

export interface Preflight {
  keysBySlot: Map<number, number>
  totalKeys: number
  bigKeys: BigKey[]
}

const PIPELINE = 1000

/** Counts keys per planned slot on its source; with `bigKeyBytes` > 0 also sizes every key. */
export async function preflight(target: ClusterTarget, moves: SlotMove[], bigKeyBytes: number): Promise<Preflight> {
  const keysBySlot = new Map<number, number>()
  const bigKeys: BigKey[] = []
  const bySource = new Map<string, number[]>()
  for (const move of moves) {
    const list = bySource.get(move.from)
    if (list) list.push(move.slot)
    else bySource.set(move.from, [move.slot])
  }
  await Promise.all([...bySource].map(async ([id, slots]) => {
    const node = target.byId(id)
    if (!node) return
    const client = target.client(node)
    for (let i = 0; i < slots.length; i += PIPELINE) {
      const chunk = slots.slice(i, i + PIPELINE)
      const pipeline = client.pipeline()
      for (const slot of chunk) pipeline.call('CLUSTER', 'COUNTKEYSINSLOT', slot)
      const counts = (await pipeline.exec()) ?? []
      chunk.forEach((slot, index) => keysBySlot.set(slot, Number(counts[index]?.[1] ?? 0)))
    }
    if (bigKeyBytes > 0) {
      for (const slot of slots) {
        const count = keysBySlot.get(slot) ?? 0
        if (count > 0) bigKeys.push(...(await bigKeysInSlot(client, slot, count, bigKeyBytes, node.address)))
      }
    }
  }))
  let totalKeys = 0
  for (const count of keysBySlot.values()) totalKeys += count
  bigKeys.sort((a, b) => b.bytes - a.bytes)
  return {keysBySlot, totalKeys, bigKeys}
}

async function bigKeysInSlot(client: Redis, slot: number, count: number, limit: number, node: string): Promise<BigKey[]> {
  const keys = (await client.call('CLUSTER', 'GETKEYSINSLOT', slot, count)) as string[]
  const found: BigKey[] = []
  for (let i = 0; i < keys.length; i += PIPELINE) {
    const chunk = keys.slice(i, i + PIPELINE)
    const pipeline = client.pipeline()
    for (const key of chunk) pipeline.call('MEMORY', 'USAGE', key)
    const sizes = (await pipeline.exec()) ?? []
    chunk.forEach((key, index) => {
      const bytes = Number(sizes[index]?.[1] ?? 0)
      if (bytes > limit) found.push({key, slot, node, bytes})
    })
  }
  return found
}

/** "64mb", "512kb", "1048576" -> bytes; undefined when malformed. */
export function parseBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim())
  if (!match) return undefined
  const unit = (match[2] ?? 'b').toLowerCase()
  const factor = unit.startsWith('g') ? 1024 ** 3 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('k') ? 1024 : 1
  return Math.round(Number(match[1]) * factor)
}
