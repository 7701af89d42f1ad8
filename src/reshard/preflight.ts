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

const SLOTS_PER_CALL = 100

/**
 * Counts keys in each slot and, with a limit, sizes every key, inside the source node (one short
 * Lua call per 100 slots, all sent at once), so a plan of 100k keys costs a few round trips instead of 100k.
 * Returns [count, bigKey1, bytes1, bigKey2, bytes2, ...] per slot.
 */
const SIZE_SLOTS = `
local out = {}
local limit = tonumber(ARGV[1])
for i = 2, #ARGV do
  local slot = tonumber(ARGV[i])
  local count = redis.call('CLUSTER', 'COUNTKEYSINSLOT', slot)
  local entry = {count}
  if limit > 0 and count > 0 then
    local keys = redis.call('CLUSTER', 'GETKEYSINSLOT', slot, count)
    for _, key in ipairs(keys) do
      local bytes = redis.call('MEMORY', 'USAGE', key)
      if bytes and bytes > limit then
        entry[#entry + 1] = key
        entry[#entry + 1] = bytes
      end
    end
  end
  out[#out + 1] = entry
end
return out
`

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
    if (!node || node.failing) return
    const client = target.client(node)
    const limit = bigKeyBytes > 0 && (await mayHoldKeyOver(client, bigKeyBytes)) ? bigKeyBytes : 0
    // every chunk sent at once: the node answers them back to back instead of one per round trip
    const chunks: number[][] = []
    for (let i = 0; i < slots.length; i += SLOTS_PER_CALL) chunks.push(slots.slice(i, i + SLOTS_PER_CALL))
    const answers = await Promise.all(chunks.map((chunk) => (client.eval(SIZE_SLOTS, 0, limit, ...chunk) as Promise<SlotSizes[]>)
      // scripts not allowed here (ACL): the same answer from plain commands, slower
      .catch((error: Error) => (/NOPERM|NOSCRIPT|unknown command/i.test(error.message) ? sizeSlotsFromClient(client, limit, chunk) : Promise.reject(error)))))
    chunks.forEach((chunk, c) => chunk.forEach((slot, index) => {
      const [count, ...big] = answers[c][index] ?? [0]
      keysBySlot.set(slot, Number(count))
      for (let j = 0; j + 1 < big.length; j += 2) bigKeys.push({key: String(big[j]), slot, node: node.address, bytes: Number(big[j + 1])})
    }))
  }))
  let totalKeys = 0
  for (const count of keysBySlot.values()) totalKeys += count
  bigKeys.sort((a, b) => b.bytes - a.bytes)
  return {keysBySlot, totalKeys, bigKeys}
}

/** Per slot: [count, bigKey1, bytes1, ...]. */
type SlotSizes = Array<string | number>

/** What SIZE_SLOTS answers, from pipelined commands. */
async function sizeSlotsFromClient(client: Redis, limit: number, slots: number[]): Promise<SlotSizes[]> {
  const counts = await client.pipeline(slots.map((slot) => ['call', 'CLUSTER', 'COUNTKEYSINSLOT', slot])).exec() ?? []
  return Promise.all(slots.map(async (slot, i) => {
    const [error, count] = counts[i]
    if (error) throw error
    const entry: SlotSizes = [Number(count)]
    if (limit <= 0 || Number(count) === 0) return entry
    const keys = (await client.call('CLUSTER', 'GETKEYSINSLOT', slot, Number(count))) as string[]
    const sizes = await client.pipeline(keys.map((key) => ['call', 'MEMORY', 'USAGE', key])).exec() ?? []
    sizes.forEach(([, bytes], k) => {
      if (Number(bytes) > limit) entry.push(keys[k], Number(bytes))
    })
    return entry
  }))
}

/**
 * False when the node's memory, less what it used empty at start-up, is at most `limit`: every
 * key was allocated since, so none can be over the limit and sizing them one by one is wasted.
 */
async function mayHoldKeyOver(client: Redis, limit: number): Promise<boolean> {
  const info = String(await client.info('memory'))
  const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1])
  const startup = Number(/^used_memory_startup:(\d+)/m.exec(info)?.[1] ?? 0)
  return !Number.isFinite(used) || used - startup > limit
}

/** "64mb", "512kb", "1048576" -> bytes; undefined when malformed. */
export function parseBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim())
  if (!match) return undefined
  const unit = (match[2] ?? 'b').toLowerCase()
  const factor = unit.startsWith('g') ? 1024 ** 3 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('k') ? 1024 : 1
  return Math.round(Number(match[1]) * factor)
}
