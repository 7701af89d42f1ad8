// Turns what a user asked for (NODE specs, --slots or --range, a journal to resume) into a list
// of slot moves against the live slot map, refusing with one sentence when the request or the
// cluster is not in a state to move slots.
import {countSlots} from '../targets/cluster-nodes.js'
import type {ClusterTarget} from '../targets/cluster.js'
import {UserError} from '../errors.js'
import {openJournalsFor, readReshardJournal, unfinishedMoves, type JournalState} from './journal.js'
import {rangePlan, reshardTable, type SlotMove} from './plan.js'

/** Refuses to plan on a cluster with failing masters, open or uncovered slots. */
export function assertReady(target: ClusterTarget): void {
  const failing = target.allNodes().filter((node) => node.role === 'master' && node.failing && node.slots.length > 0)
  if (failing.length > 0) {
    throw new UserError(`Master ${failing.map((node) => node.address).join(', ')} is failing: bring it back or let a replica take over, then run \`twlab cluster check\`.`)
  }
  const open = target.openSlots()
  if (open.length > 0) {
    throw new UserError(`${open.length} slot(s) are half-moved (first: ${open[0].slot}): finish them with \`twlab reshard --resume\` or close them with \`twlab cluster fix\` first.`)
  }
  const uncovered = target.uncoveredSlots()
  if (uncovered.length > 0) {
    throw new UserError(`${uncovered.length} slot(s) have no owner (first: ${uncovered[0]}): cover them with \`twlab cluster fix\` first.`)
  }
}

export interface ReshardRequest {
  /** NODE specs, or ["all"] */
  from?: string[]
  to: string
  slots?: number
  range?: [number, number]
}

export function planReshard(target: ClusterTarget, request: ReshardRequest): SlotMove[] {
  const to = target.resolveNode(request.to)
  if (to.role !== 'master') throw new UserError(`${to.address} is a replica: --to must name a master.`)
  const all = !request.from || request.from.length === 0 || (request.from.length === 1 && request.from[0] === 'all')
  const sources = all
    ? target.masters().filter((node) => node.id !== to.id && countSlots(node.slots) > 0)
    : request.from!.map((spec) => target.resolveNode(spec))
  for (const source of sources) {
    if (source.role !== 'master') throw new UserError(`${source.address} is a replica: --from must name masters.`)
    if (source.id === to.id) throw new UserError(`${source.address} is both --from and --to: name different nodes.`)
  }
  if (request.range) {
    return rangePlan((slot) => target.ownerOfSlot(slot)?.id, request.range, to.id, all ? undefined : sources.map((node) => node.id))
  }
  if (request.slots === undefined) throw new UserError('Say how many slots to move with --slots N, or which with --range A-B.')
  if (!request.from || request.from.length === 0) throw new UserError('Say where the slots come from with --from NODE[,NODE] (or --from all).')
  const available = sources.reduce((sum, node) => sum + countSlots(node.slots), 0)
  if (request.slots > available) {
    throw new UserError(`--slots ${request.slots} is more than the ${available} slots the --from nodes own: ask for at most ${available}.`)
  }
  return reshardTable(sources.map((node) => ({id: node.id, slots: node.slots})), to.id, request.slots)
}

/**
 * The moves left in an interrupted run: the plan's slots not yet done, each taken from whoever
 * owns it now (a failover may have promoted a replica), or only closed when the target owns it
 * already. Picks the given journal, or the newest unfinished one naming this cluster's nodes.
 */
export function planResume(target: ClusterTarget, journalPath?: string): {journal: JournalState; moves: SlotMove[]} {
  let journal: JournalState
  if (journalPath) {
    try {
      journal = readReshardJournal(journalPath)
    } catch (error) {
      throw new UserError(`Cannot read the journal ${journalPath}: ${(error as Error).message}.`, {cause: error})
    }
  } else {
    const found = openJournalsFor(new Set(target.allNodes().map((node) => node.id)))
    if (found.length === 0) throw new UserError('No unfinished reshard journal names this cluster: nothing to resume (`twlab cluster fix` closes open slots without one).')
    journal = found[0]
  }
  const open = new Set(target.openSlots().map((slot) => slot.slot))
  const moves: SlotMove[] = []
  for (const move of unfinishedMoves(journal)) {
    const owner = target.ownerOfSlot(move.slot)?.id
    if (owner === move.to && !open.has(move.slot)) continue
    if (!target.byId(move.to) || target.byId(move.to)!.role !== 'master' || target.byId(move.to)!.failing) {
      throw new UserError(`The planned target of slot ${move.slot} (${journal.plan.nodes[move.to] ?? move.to}) is no longer a working master: run \`twlab cluster fix\` to close the open slots instead.`)
    }
    moves.push({slot: move.slot, from: owner === undefined || owner === move.to ? move.from : owner, to: move.to})
  }
  return {journal, moves}
}
