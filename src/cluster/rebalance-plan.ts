// The rebalance plan: how many slots each master should own given weights, and which slots move
// from the masters over their share to those under it. Same rules as redis-cli --cluster
// rebalance (threshold in percent, empty masters only when asked), pure and testable.
import {CLUSTER_SLOTS} from '../hashing/index.js'
import {countSlots} from '../targets/cluster-nodes.js'
import {reshardTable, type SlotMove} from './plan.js'

export interface RebalanceMaster {
  id: string
  slots: Array<[number, number]>
  /** default 1 */
  weight?: number
}

export interface RebalanceOptions {
  /** percent off its share before a master counts as unbalanced (default 2) */
  threshold?: number
  /** give slots to masters that own none (otherwise they are left out) */
  useEmptyMasters?: boolean
}

export interface RebalanceShare {
  id: string
  weight: number
  slots: number
  expected: number
  /** positive: gives this many; negative: receives */
  balance: number
}

export interface RebalancePlan {
  shares: RebalanceShare[]
  /** false when every master is within the threshold (nothing to do) */
  needed: boolean
  moves: SlotMove[]
}

export function rebalancePlan(masters: RebalanceMaster[], options: RebalanceOptions = {}): RebalancePlan {
  const threshold = options.threshold ?? 2
  const involved = masters
    .map((master) => ({...master, count: countSlots(master.slots), weight: master.weight ?? 1}))
    .map((master) => (master.count === 0 && !options.useEmptyMasters ? {...master, weight: 0} : master))
    // a weight-0 master with no slots has nothing to give and wants nothing
    .filter((master) => master.weight > 0 || master.count > 0)
  const totalWeight = involved.reduce((sum, master) => sum + master.weight, 0)
  if (totalWeight <= 0) return {shares: [], needed: false, moves: []}
  const shares: RebalanceShare[] = involved.map((master) => {
    const expected = Math.floor((CLUSTER_SLOTS / totalWeight) * master.weight)
    return {id: master.id, weight: master.weight, slots: master.count, expected, balance: master.count - expected}
  })
  const needed = shares.some((share) => {
    if (share.slots === 0) return share.expected > 1
    return Math.abs(100 - (100 * share.expected) / share.slots) > threshold
  })
  if (!needed) return {shares, needed, moves: []}

  // Rounding leaves a few slots unassigned: let the receivers (balance <= 0) take them one each.
  const balances = new Map(shares.map((share) => [share.id, share.balance]))
  for (let guard = 0; guard < CLUSTER_SLOTS; guard++) {
    const sum = [...balances.values()].reduce((a, b) => a + b, 0)
    if (sum <= 0) break
    for (const [id, balance] of balances) if (balance <= 0) balances.set(id, balance - 1)
  }

  const order = shares.map((share) => ({id: share.id, balance: balances.get(share.id)!})).sort((a, b) => a.balance - b.balance)
  const slotsById = new Map(involved.map((master) => [master.id, master.slots]))
  const taken = new Set<number>()
  const moves: SlotMove[] = []
  let dst = 0
  let src = order.length - 1
  while (dst < src) {
    const receiver = order[dst]
    const giver = order[src]
    const count = Math.min(-receiver.balance, giver.balance)
    if (count > 0) {
      const available = (slotsById.get(giver.id) ?? []).flatMap(([a, b]) => Array.from({length: b - a + 1}, (_, i) => a + i)).filter((slot) => !taken.has(slot))
      for (const move of reshardTable([{id: giver.id, slots: available.map((slot) => [slot, slot] as [number, number])}], receiver.id, count)) {
        taken.add(move.slot)
        moves.push(move)
      }
      receiver.balance += count
      giver.balance -= count
    }
    if (receiver.balance === 0) dst++
    if (giver.balance === 0) src--
    if (count <= 0 && receiver.balance !== 0 && giver.balance !== 0) break
  }
  return {shares, needed, moves}
}

/** "NODE=W" -> [NODE, W]; undefined when malformed or W is negative. */
export function parseWeight(text: string): [string, number] | undefined {
  const eq = text.lastIndexOf('=')
  if (eq <= 0) return undefined
  const weight = Number(text.slice(eq + 1))
  if (!Number.isFinite(weight) || weight < 0 || text.slice(eq + 1).trim() === '') return undefined
  return [text.slice(0, eq), weight]
}
