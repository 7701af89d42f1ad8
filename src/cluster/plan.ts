// Which slots move where. Pure functions over a slot map: the reshard table (same split rule as
// redis-cli, so plans are familiar) and explicit ranges. No I/O.
import {CLUSTER_SLOTS} from '../hashing/index.js'
import {slotsOf} from '../targets/cluster-nodes.js'

/** One slot to move from one master to another (node ids). */
export interface SlotMove {
  slot: number
  from: string
  to: string
}

export interface SourceSlots {
  id: string
  slots: Array<[number, number]>
}

/**
 * `count` slots taken from the sources in proportion to what each owns (largest remainder, so the
 * total is exactly `count`; ties favour the source owning most), each giving its lowest slots.
 */
export function reshardTable(sources: SourceSlots[], to: string, count: number): SlotMove[] {
  const owned = sources.filter((source) => source.id !== to).map((source) => ({id: source.id, slots: slotsOf(source.slots)}))
  owned.sort((a, b) => b.slots.length - a.slots.length)
  const total = owned.reduce((sum, source) => sum + source.slots.length, 0)
  if (total === 0 || count <= 0) return []
  const wanted = Math.min(count, total)
  const shares = owned.map((source) => {
    const exact = (wanted * source.slots.length) / total
    return {source, take: Math.floor(exact), remainder: exact - Math.floor(exact)}
  })
  let missing = wanted - shares.reduce((sum, share) => sum + share.take, 0)
  for (const share of [...shares].sort((a, b) => b.remainder - a.remainder)) {
    if (missing <= 0) break
    if (share.take < share.source.slots.length) {
      share.take++
      missing--
    }
  }
  return shares.flatMap((share) => share.source.slots.slice(0, share.take).map((slot) => ({slot, from: share.source.id, to})))
}

/** Every slot in [start, end] owned by one of the sources (or by anyone but `to` when no sources are named). */
export function rangePlan(ownerOf: (slot: number) => string | undefined, range: [number, number], to: string, sources?: string[]): SlotMove[] {
  const moves: SlotMove[] = []
  for (let slot = range[0]; slot <= range[1]; slot++) {
    const from = ownerOf(slot)
    if (from === undefined || from === to) continue
    if (sources && !sources.includes(from)) continue
    moves.push({slot, from, to})
  }
  return moves
}

/** "A-B" or "N" -> [A, B] within the cluster's slots, or undefined when malformed. */
export function parseSlotRange(text: string): [number, number] | undefined {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim())
  if (!match) return undefined
  const start = Number(match[1])
  const end = match[2] === undefined ? start : Number(match[2])
  if (start > end || end >= CLUSTER_SLOTS) return undefined
  return [start, end]
}

/** Moves grouped by (from, to) with their slot count, for the plan table. */
export function summarizeMoves(moves: SlotMove[]): Array<{from: string; to: string; slots: number[]}> {
  const groups = new Map<string, {from: string; to: string; slots: number[]}>()
  for (const move of moves) {
    const key = `${move.from}>${move.to}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = {from: move.from, to: move.to, slots: []}))
    group.slots.push(move.slot)
  }
  return [...groups.values()]
}
