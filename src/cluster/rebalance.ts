// Rebalance and drain plans against the live cluster: NODE=W weights resolved to masters, and
// the slots of a master that is leaving spread over the others.
import {countSlots, slotsOf} from '../targets/cluster-nodes.js'
import type {ClusterNodeInfo} from '../targets/cluster-nodes.js'
import type {ClusterTarget} from '../targets/cluster.js'
import {UserError} from '../errors.js'
import type {SlotMove} from './plan.js'
import {parseWeight, rebalancePlan, type RebalancePlan} from './rebalance-plan.js'

export interface RebalanceRequest {
  /** "NODE=W" items */
  weights?: string[]
  threshold?: number
  useEmptyMasters?: boolean
}

export function planClusterRebalance(target: ClusterTarget, request: RebalanceRequest): RebalancePlan {
  const weights = new Map<string, number>()
  for (const item of request.weights ?? []) {
    const parsed = parseWeight(item)
    if (!parsed) throw new UserError(`--weight "${item}" is not NODE=W: write it as 127.0.0.1:7000=2 or <id prefix>=0.5.`)
    const node = target.resolveNode(parsed[0])
    if (node.role !== 'master') throw new UserError(`${node.address} is a replica: --weight applies to masters.`)
    weights.set(node.id, parsed[1])
  }
  if (request.threshold !== undefined && !(request.threshold >= 0)) throw new UserError('--threshold must be a percentage of 0 or more, like 2.')
  const masters = target.masters().map((node) => ({id: node.id, slots: node.slots, weight: weights.get(node.id)}))
  const explicitEmpty = masters.filter((master) => countSlots(master.slots) === 0 && (master.weight ?? 0) > 0)
  // a weight given to an empty master means "use it", like --use-empty-masters for that one
  const plan = rebalancePlan(masters, {threshold: request.threshold, useEmptyMasters: request.useEmptyMasters || explicitEmpty.length > 0})
  if (plan.shares.length === 0) throw new UserError('Every master has weight 0: give at least one a positive --weight.')
  return plan
}

/** The slots of `leaving` spread over `receivers` so each ends near the same count, in contiguous runs. */
export function drainPlan(leaving: ClusterNodeInfo, receivers: ClusterNodeInfo[]): SlotMove[] {
  const slots = slotsOf(leaving.slots)
  if (slots.length === 0) return []
  if (receivers.length === 0) throw new UserError(`${leaving.address} owns ${slots.length} slots and no other master can take them: add a master first.`)
  const counts = receivers.map((node) => ({id: node.id, count: countSlots(node.slots), quota: 0}))
  // water-filling: hand out one slot at a time to the receiver with the fewest (ties: first listed)
  for (let i = 0; i < slots.length; i++) {
    let best = counts[0]
    for (const entry of counts) if (entry.count + entry.quota < best.count + best.quota) best = entry
    best.quota++
  }
  const moves: SlotMove[] = []
  let next = 0
  for (const entry of counts) {
    for (let i = 0; i < entry.quota; i++) moves.push({slot: slots[next++], from: leaving.id, to: entry.id})
  }
  return moves
}
