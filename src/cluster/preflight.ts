// Looks at the slots of a plan before anything moves: how many keys each holds (for the plan
// table and the progress bar) and which keys are big enough (MEMORY USAGE over a limit) that
// MIGRATE would block both nodes while copying them. Read-only.
//
// A source runs a script to the end before it serves anyone else, so no script call sizes more
// than KEYS_PER_SIZING_CALL keys (tens of milliseconds): small slots share a call, and a slot
// holding more keys than that (hash tags can put millions in one slot) is sized from a SCAN of
// the node, a page at a time, since GETKEYSINSLOT cannot page.
import type {Redis} from 'ioredis'
import {keySlot} from '../hashing/index.js'
import type {ClusterTarget} from '../targets/cluster.js'
import type {SlotMove} from './plan.js'
import {groupSlots} from './source-script.js'

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

/** The most keys one sizing script call looks at. */
export const KEYS_PER_SIZING_CALL = 20_000

/** Keys of one source found over the limit, as [slot, key, bytes]. */
type Found = Array<[number, string, number]>

/** ARGV: limit, then slots. Sizes every key of each slot; returns slot, key, bytes of each key over the limit. */
const SIZE_SLOTS = `
local limit = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local slot = tonumber(ARGV[i])
  for _, key in ipairs(redis.call('CLUSTER', 'GETKEYSINSLOT', slot, ${KEYS_PER_SIZING_CALL})) do
    local bytes = redis.call('MEMORY', 'USAGE', key)
    if bytes and bytes > limit then
      out[#out + 1] = slot
      out[#out + 1] = key
      out[#out + 1] = bytes
    end
  end
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
    const counts = await countKeys(client, slots)
    slots.forEach((slot, i) => keysBySlot.set(slot, counts[i]))
    if (bigKeyBytes <= 0 || !(await mayHoldKeyOver(client, bigKeyBytes))) return
    const occupied = slots.filter((slot) => (keysBySlot.get(slot) ?? 0) > 0)
    const crowded = new Set(occupied.filter((slot) => keysBySlot.get(slot)! > KEYS_PER_SIZING_CALL))
    const found = await Promise.all([
      sizeSlots(client, occupied.filter((slot) => !crowded.has(slot)), (slot) => keysBySlot.get(slot), bigKeyBytes),
      crowded.size > 0 ? sizeFromScan(client, crowded, bigKeyBytes) : [],
    ])
    for (const [slot, key, bytes] of found.flat()) bigKeys.push({key, slot, node: node.address, bytes})
  }))
  let totalKeys = 0
  for (const count of keysBySlot.values()) totalKeys += count
  bigKeys.sort((a, b) => b.bytes - a.bytes)
  return {keysBySlot, totalKeys, bigKeys}
}

/** COUNTKEYSINSLOT (O(1)) for every slot, in one pipeline. */
async function countKeys(client: Redis, slots: number[]): Promise<number[]> {
  const replies = (await client.pipeline(slots.map((slot) => ['call', 'CLUSTER', 'COUNTKEYSINSLOT', slot])).exec()) ?? []
  return replies.map(([error, count]) => {
    if (error) throw error
    return Number(count)
  })
}

/**
 * Sizes the keys of slots that each fit one call, in script calls of at most KEYS_PER_SIZING_CALL
 * keys, all sent at once so the node answers them back to back.
 */
async function sizeSlots(client: Redis, slots: number[], expected: (slot: number) => number | undefined, limit: number): Promise<Found> {
  const groups = groupSlots(slots, expected, KEYS_PER_SIZING_CALL)
  const answers = await Promise.all(groups.map((group) => (client.eval(SIZE_SLOTS, 0, limit, ...group) as Promise<Array<string | number>>)
    .then(triples)
    // scripts not allowed here (ACL): the same answer from plain commands, slower
    .catch((error: Error) => (/NOPERM|NOSCRIPT|unknown command/i.test(error.message) ? sizeFromClient(client, group, limit) : Promise.reject(error)))))
  return answers.flat()
}

function triples(flat: Array<string | number>): Found {
  const found: Found = []
  for (let i = 0; i + 2 < flat.length; i += 3) found.push([Number(flat[i]), String(flat[i + 1]), Number(flat[i + 2])])
  return found
}

/** What SIZE_SLOTS answers, from pipelined commands. */
async function sizeFromClient(client: Redis, slots: number[], limit: number): Promise<Found> {
  const found: Found = []
  for (const slot of slots) {
    const keys = (await client.call('CLUSTER', 'GETKEYSINSLOT', slot, KEYS_PER_SIZING_CALL)) as string[]
    for (const [i, bytes] of await sizeKeys(client, keys, limit)) found.push([slot, keys[i], bytes])
  }
  return found
}

/** Sizes the keys of `slots` from a SCAN of the whole node: one short command at a time. */
async function sizeFromScan(client: Redis, slots: Set<number>, limit: number): Promise<Found> {
  const found: Found = []
  let cursor = '0'
  // SCAN ends when the cursor comes back to 0; the bound only guards against a node that never says so
  for (let page = 0; page < 100_000_000; page++) {
    const [next, keys] = await client.scanBuffer(cursor, 'COUNT', 1000)
    const mine = keys.filter((key) => slots.has(keySlot(key)))
    for (const [i, bytes] of await sizeKeys(client, mine, limit)) found.push([keySlot(mine[i]), mine[i].toString(), bytes])
    cursor = String(next)
    if (cursor === '0') break
  }
  return found
}

/** MEMORY USAGE of each key, pipelined; [index in keys, bytes] of those over the limit. */
async function sizeKeys(client: Redis, keys: Array<string | Buffer>, limit: number): Promise<Array<[number, number]>> {
  if (keys.length === 0) return []
  const sizes = (await client.pipeline(keys.map((key) => ['call', 'MEMORY', 'USAGE', key])).exec()) ?? []
  const over: Array<[number, number]> = []
  sizes.forEach(([, bytes], i) => {
    if (Number(bytes) > limit) over.push([i, Number(bytes)])
  })
  return over
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
