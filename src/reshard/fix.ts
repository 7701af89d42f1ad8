// `cluster fix`: closes every half-moved slot and gives every ownerless slot an owner, keeping
// every key. An open slot rolls forward to where a reshard journal or the source's MIGRATING
// state says it was headed (if that node is a working master), otherwise back to its owner;
// keys found on other masters for that slot are gathered to the chosen node; stale
// MIGRATING/IMPORTING marks are cleared everywhere. An ownerless slot goes to the master holding
// most of its keys, or, when empty, to the master with the fewest slots.
import {countSlots, rangesOf, type ClusterNodeInfo} from '../targets/cluster-nodes.js'
import type {ClusterTarget, OpenSlot} from '../targets/cluster.js'
import {UserError} from '../ui/errors.js'
import {Journal, openJournalsFor, type JournalState} from './journal.js'
import {SlotMover, messageOf, type MoverOptions} from './slot-mover.js'

export interface FixStep {
  slot: number
  /** owner it ends with */
  to: string
  action: 'roll-forward' | 'roll-back' | 'assign'
  reason: string
}

export interface FixPlan {
  steps: FixStep[]
  journals: JournalState[]
}

export interface FixResult {
  fixed: Array<FixStep & {keys: number}>
  failed: Array<{slot: number; error: string}>
  /** journals with planned slots never started: `reshard --resume` continues them */
  pendingJournals: Array<{path: string; remaining: number}>
}

export function planFix(target: ClusterTarget): FixPlan {
  const failing = target.allNodes().filter((node) => node.role === 'master' && node.failing && node.slots.length > 0)
  if (failing.length > 0) {
    throw new UserError(`Master ${failing.map((node) => node.address).join(', ')} is failing and still owns slots: bring it back (or let a replica take over) before fixing.`)
  }
  const journals = openJournalsFor(new Set(target.allNodes().map((node) => node.id)))
  const planned = new Map<number, string>()
  // oldest first so the newest journal's destination wins
  for (const journal of [...journals].reverse()) for (const move of journal.plan.moves) planned.set(move.slot, move.to)
  const working = (id: string | undefined) => {
    const node = id ? target.byId(id) : undefined
    return node && node.role === 'master' && !node.failing ? node : undefined
  }
  const steps: FixStep[] = []
  const handled = new Set<number>()
  for (const open of target.openSlots()) {
    handled.add(open.slot)
    steps.push(openSlotStep(open, planned.get(open.slot), working))
  }
  const masters = target.masters()
  const counts = new Map(masters.map((node) => [node.id, countSlots(node.slots)]))
  for (const slot of target.uncoveredSlots()) {
    if (handled.has(slot)) continue
    const journalTo = working(planned.get(slot))
    let to = journalTo?.id
    if (!to) {
      // fewest slots first; keys found elsewhere are gathered when the step runs
      to = [...counts].sort((a, b) => a[1] - b[1])[0]?.[0]
    }
    if (!to) throw new UserError('No working master can take the ownerless slots: start or add a master first.')
    counts.set(to, (counts.get(to) ?? 0) + 1)
    steps.push({slot, to, action: 'assign', reason: journalTo ? 'a reshard journal planned it there' : 'no owner; the master with the fewest slots takes it'})
  }
  return {steps, journals}
}

function openSlotStep(open: OpenSlot, journalTo: string | undefined, working: (id: string | undefined) => ClusterNodeInfo | undefined): FixStep {
  const planned = working(journalTo)
  if (planned) return {slot: open.slot, to: planned.id, action: planned.id === open.owner ? 'roll-back' : 'roll-forward', reason: 'a reshard journal planned it there'}
  const migratingTo = working(open.migrating.find((m) => m.node === open.owner)?.to)
  if (migratingTo && open.owner) return {slot: open.slot, to: migratingTo.id, action: 'roll-forward', reason: 'its owner was migrating it there'}
  // An importer that is a working master: finishing the move there uses the full protocol, which
  // is safe under writes; rolling back would race with writes the owner sends on by ASK.
  const importer = open.importing.map((i) => working(i.node)).find((node) => node && node.id !== open.owner)
  if (importer && open.owner) return {slot: open.slot, to: importer.id, action: 'roll-forward', reason: 'a master was importing it'}
  if (open.owner && working(open.owner)) return {slot: open.slot, to: open.owner, action: 'roll-back', reason: 'no working destination; keys go back to the owner'}
  if (importer) return {slot: open.slot, to: importer.id, action: 'assign', reason: 'no owner; the importing master takes it'}
  throw new UserError(`Slot ${open.slot} is open and no working master can take it: bring its nodes back first.`)
}

export async function applyFix(target: ClusterTarget, plan: FixPlan, options: MoverOptions, onStep: (done: number) => void = () => {}): Promise<FixResult> {
  const mover = new SlotMover(target, options)
  const result: FixResult = {fixed: [], failed: [], pendingJournals: []}
  const journalsBySlot = new Map<number, Journal>()
  for (const state of plan.journals) {
    const journal = Journal.reopen(state.path)
    for (const move of state.plan.moves) journalsBySlot.set(move.slot, journal)
  }
  // ownerless slots are claimed in ranges per master first, then each one's strays gathered
  const assigned = plan.steps.filter((step) => step.action === 'assign' && target.ownerOfSlot(step.slot) === undefined)
  await claimSlots(target, assigned)
  let done = 0
  for (const step of plan.steps) {
    try {
      const keys = await fixSlot(target, mover, step)
      result.fixed.push({...step, keys})
      const journal = journalsBySlot.get(step.slot)
      if (journal && target.byId(step.to) && plan.journals.some((j) => j.plan.moves.some((m) => m.slot === step.slot && m.to === step.to))) journal.slot(step.slot, 'done', {keys})
    } catch (error) {
      result.failed.push({slot: step.slot, error: messageOf(error)})
    }
    onStep(++done)
  }
  for (const state of plan.journals) {
    const fixedHere = new Set(result.fixed.filter((f) => f.action === 'roll-forward').map((f) => f.slot))
    const remaining = state.plan.moves.filter((move) => state.slots.get(move.slot)?.state !== 'done' && !fixedHere.has(move.slot) && target.ownerOfSlot(move.slot)?.id !== move.to).length
    if (remaining > 0) result.pendingJournals.push({path: state.path, remaining})
    else Journal.reopen(state.path).end('complete', {closedBy: 'cluster fix'})
  }
  return result
}

async function claimSlots(target: ClusterTarget, steps: FixStep[]): Promise<void> {
  const byOwner = new Map<string, number[]>()
  for (const step of steps) {
    const list = byOwner.get(step.to)
    if (list) list.push(step.slot)
    else byOwner.set(step.to, [step.slot])
  }
  for (const [id, slots] of byOwner) {
    const client = target.client(target.byId(id)!)
    for (const [start, end] of rangesOf(slots)) await client.call('CLUSTER', 'ADDSLOTSRANGE', start, end)
    // a higher epoch makes this claim win over any stale view
    await client.call('CLUSTER', 'BUMPEPOCH')
  }
}

/** Brings one slot to `step.to`: moves from the owner if needed, gathers strays, clears open marks. */
async function fixSlot(target: ClusterTarget, mover: SlotMover, step: FixStep): Promise<number> {
  const to = target.byId(step.to)!
  const owner = target.ownerOfSlot(step.slot)
  let keys = 0
  if (step.action === 'roll-forward' && owner && owner.id !== to.id) {
    keys += await mover.move({slot: step.slot, from: owner.id, to: to.id})
  }
  // keys of this slot on any other master (a half-done import, a stale owner) join the new owner
  for (const node of target.masters()) {
    if (node.id === to.id) continue
    const count = Number(await target.client(node).call('CLUSTER', 'COUNTKEYSINSLOT', step.slot))
    if (count > 0) keys += await mover.drainKeys(step.slot, node, to)
  }
  // clear every open mark, then state the owner everywhere (target first)
  for (const node of [to, ...target.masters().filter((n) => n.id !== to.id)]) {
    const client = target.client(node)
    await client.call('CLUSTER', 'SETSLOT', step.slot, 'STABLE').catch(() => undefined)
    await client.call('CLUSTER', 'SETSLOT', step.slot, 'NODE', to.id).catch((error) => {
      if (node.id === to.id) throw error
    })
  }
  return keys
}
