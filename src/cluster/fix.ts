// `cluster fix`: closes every half-moved slot and gives every ownerless slot an owner, keeping
// every key. An open slot rolls forward to where a reshard journal or the source's MIGRATING
// state says it was headed (if that node is a working master), otherwise back to its owner;
// keys found on other masters for that slot are gathered to the chosen node; stale
// MIGRATING/IMPORTING marks are cleared everywhere. An ownerless slot goes to the master holding
// most of its keys, or, when empty, to the master with the fewest slots (a master that still
// lists it among its own slots, unknown to the seed, keeps it).
//
// Ownership set by hand spreads by gossip, so the fix waits (bounded) until every master names the
// same owner for the slots it claimed before it gathers their keys, retries a slot whose MIGRATE
// meets CLUSTERDOWN/TRYAGAIN/a redirection while views still converge, and waits again at the end
// so that `cluster check` right after sees one map.
//
// An atomic run (the server's own slot migration) opens no slot; what it can leave behind is a
// server job still running after twlab was killed. The fix cancels such jobs first: the server
// keeps the slots of a cancelled job on the source.
import type {Redis} from 'ioredis'
import {countSlots, rangesOf, type ClusterNodeInfo} from '../targets/cluster-nodes.js'
import type {ClusterTarget, OpenSlot} from '../targets/cluster.js'
import {UserError} from '../errors.js'
import {Journal, openJournalsFor, type JournalState} from './journal.js'
import {waitForAgreement, type AgreementResult} from './slot-agreement.js'
import {SlotMover, messageOf, type MoverOptions} from './slot-mover.js'
import {gatherStrays} from './stray-keys.js'
import {nativeDriver} from './atomic/method.js'
import {jobMatches} from './atomic/native-migration.js'
import {openJobs, settleJournalJobs} from './atomic/interrupted-jobs.js'

/** How often one slot is tried when the cluster answers as if its views had not converged yet. */
const SLOT_ATTEMPTS = 6
const TRANSIENT = /CLUSTERDOWN|TRYAGAIN|MOVED|\bASK\b/

export interface FixStep {
  slot: number
  /** owner it ends with */
  to: string
  /** cancel-job: a server migration job left running; `slot` is its first slot, `to` its source */
  action: 'roll-forward' | 'roll-back' | 'assign' | 'cancel-job'
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
  /** false when some master still named another owner for a fixed slot when the wait ran out */
  settled: boolean
  /** what still differed then (empty when settled) */
  unsettled: string[]
}

export async function planFix(target: ClusterTarget): Promise<FixPlan> {
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
  const steps: FixStep[] = await runningJobSteps(target, journals)
  const handled = new Set<number>()
  for (const open of target.openSlots()) {
    handled.add(open.slot)
    steps.push(openSlotStep(open, planned.get(open.slot), working))
  }
  const masters = target.masters()
  const counts = new Map(masters.map((node) => [node.id, countSlots(node.slots)]))
  const uncovered = target.uncoveredSlots().filter((slot) => !handled.has(slot))
  // the seed's view may lag: a master that still claims the slot itself keeps it (taking it
  // elsewhere would make that master drop its keys when it sees the higher epoch)
  const claimedBy = await ownClaims(target, uncovered)
  const keysOn = await keysPerMaster(target, uncovered.filter((slot) => !claimedBy.has(slot)))
  for (const slot of uncovered) {
    const claimer = claimedBy.get(slot)
    const journalTo = working(planned.get(slot))
    const holder = mostKeys(keysOn.get(slot))
    let to: string | undefined
    let reason: string
    if (claimer) {
      to = claimer
      reason = 'its owner still claims it; the other masters are told'
    } else if (journalTo) {
      to = journalTo.id
      reason = 'a reshard journal planned it there'
    } else if (holder) {
      to = holder
      reason = 'no owner; the master holding most of its keys takes it'
    } else {
      // fewest slots first
      to = [...counts].sort((a, b) => a[1] - b[1])[0]?.[0]
      reason = 'no owner and no keys; the master with the fewest slots takes it'
    }
    if (!to) throw new UserError('No working master can take the ownerless slots: start or add a master first.')
    counts.set(to, (counts.get(to) ?? 0) + 1)
    steps.push({slot, to, action: 'assign', reason})
  }
  return {steps, journals}
}

/** A cancel-job step for each server migration job an open journal started that is still running. */
async function runningJobSteps(target: ClusterTarget, journals: JournalState[]): Promise<FixStep[]> {
  const steps: FixStep[] = []
  for (const journal of journals) {
    const native = nativeDriver(journal.plan.native)
    if (!native) continue
    for (const job of openJobs(journal)) {
      const reporter = native.reporter(target, job)
      if (!reporter || reporter.failing) continue
      const live = (await native.jobs(target, reporter).catch(() => [])).find((candidate) => jobMatches(candidate, job, job.startedAt))
      if (!live || live.finished) continue
      const to = target.byId(job.to)?.address ?? job.to.slice(0, 8)
      steps.push({slot: job.ranges[0][0], to: job.from, action: 'cancel-job', reason: `an atomic migration of ${job.ranges.length} range(s) to ${to} is still "${live.state}" after its run stopped: cancelled, the slots stay on the source`})
    }
  }
  return steps
}

/** slot -> id of the master that lists it among its own slots, for slots the seed sees unowned. */
async function ownClaims(target: ClusterTarget, slots: number[]): Promise<Map<number, string>> {
  const claims = new Map<number, string>()
  if (slots.length === 0) return claims
  const wanted = new Set(slots)
  await Promise.all(target.masters().map(async (master) => {
    const own = (await target.viewOf(master).catch(() => [])).find((node) => node.myself)
    if (!own || own.role !== 'master') return
    for (const [start, end] of own.slots) for (let slot = start; slot <= end; slot++) if (wanted.has(slot)) claims.set(slot, master.id)
  }))
  return claims
}

/** slot -> (master id -> keys it holds in that slot), only masters holding some. */
async function keysPerMaster(target: ClusterTarget, slots: number[]): Promise<Map<number, Map<string, number>>> {
  const found = new Map<number, Map<string, number>>()
  if (slots.length === 0) return found
  await Promise.all(target.masters().map(async (master) => {
    const counts = await countKeys(target.client(master), slots)
    counts.forEach((count, i) => {
      if (count <= 0) return
      const perMaster = found.get(slots[i]) ?? new Map<string, number>()
      perMaster.set(master.id, count)
      found.set(slots[i], perMaster)
    })
  }))
  return found
}

async function countKeys(client: Redis, slots: number[]): Promise<number[]> {
  const pipeline = client.pipeline()
  for (const slot of slots) pipeline.call('CLUSTER', 'COUNTKEYSINSLOT', slot)
  const replies = (await pipeline.exec()) ?? []
  return replies.map(([error, count]) => (error ? 0 : Number(count)))
}

function mostKeys(perMaster: Map<string, number> | undefined): string | undefined {
  if (!perMaster) return undefined
  return [...perMaster].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0]
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
  const result: FixResult = {fixed: [], failed: [], pendingJournals: [], settled: true, unsettled: []}
  const journalsBySlot = new Map<number, Journal>()
  for (const state of plan.journals) {
    const journal = Journal.reopen(state.path)
    for (const move of state.plan.moves) journalsBySlot.set(move.slot, journal)
  }
  // ownerless slots are claimed in ranges per master first, then each one's strays gathered
  const assigned = plan.steps.filter((step) => step.action === 'assign' && target.ownerOfSlot(step.slot) === undefined)
  await claimSlots(target, assigned)
  // gathering keys into a claimed slot needs every master to agree on its owner first
  await waitForAgreement(target, new Map(assigned.map((step) => [step.slot, step.to])))
  let done = 0
  const cancels = plan.steps.filter((step) => step.action === 'cancel-job')
  if (cancels.length > 0) {
    const stillRunning: string[] = []
    for (const journal of plan.journals) {
      const settled = await settleJournalJobs(target, journal, 'cancel', 60_000)
      stillRunning.push(...settled.notes.filter((note) => /still "/.test(note)))
    }
    for (const step of cancels) {
      if (stillRunning.length > 0) result.failed.push({slot: step.slot, error: stillRunning.join(' ')})
      else result.fixed.push({...step, keys: 0})
      onStep(++done)
    }
    await target.refresh()
  }
  for (const step of plan.steps) {
    if (step.action === 'cancel-job') continue
    try {
      const keys = await fixSlotWithRetries(target, mover, step)
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
  const settled = await waitForAgreement(target, new Map(result.fixed.map((step) => [step.slot, step.to])))
  result.settled = settled.agreed
  result.unsettled = describeUnsettled(target, settled)
  return result
}

function describeUnsettled(target: ClusterTarget, agreement: AgreementResult): string[] {
  const name = (id: string | undefined) => (id ? target.byId(id)?.address ?? id.slice(0, 8) : 'nobody')
  return [
    ...agreement.disagreements.slice(0, 10).map((d) => `${d.node} names ${name(d.sees)} as the owner of slot ${d.slot}`),
    ...(agreement.epochCollisions.length > 0 ? [`${agreement.epochCollisions.join(', ')} share a config epoch`] : []),
  ]
}

/**
 * fixSlot, tried again while the cluster answers as views that have not converged do
 * (CLUSTERDOWN for a slot a node sees unowned, TRYAGAIN, MOVED/ASK): each retry waits a little
 * longer, re-reads the map and, for a claimed slot, waits for the masters to agree on its owner.
 * Bounded in attempts.
 */
async function fixSlotWithRetries(target: ClusterTarget, mover: SlotMover, step: FixStep): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fixSlot(target, mover, step)
    } catch (error) {
      if (attempt >= SLOT_ATTEMPTS || !TRANSIENT.test(messageOf(error))) throw error
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 250 * 2 ** (attempt - 1))))
      await target.refresh().catch(() => undefined)
      // a slot claimed here: make the laggards name its new owner. An open slot is left alone:
      // telling nodes its current owner could undo a move the target already took over.
      if (step.action === 'assign') await waitForAgreement(target, new Map([[step.slot, step.to]]), {timeoutMs: 5000})
    }
  }
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
    for (const [start, end] of rangesOf(slots)) {
      try {
        await client.call('CLUSTER', 'ADDSLOTSRANGE', start, end)
      } catch (error) {
        if (!/busy/i.test(messageOf(error))) throw error
        // this master still sees (part of) the range bound, to a node that dropped it or to
        // itself: stating the owner slot by slot works whatever it believed
        const pipeline = client.pipeline()
        for (let slot = start; slot <= end; slot++) pipeline.call('CLUSTER', 'SETSLOT', slot, 'NODE', id)
        for (const [failure] of (await pipeline.exec()) ?? []) if (failure) throw failure
      }
    }
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
  // keys of this slot on any other master (a half-done import, a stale owner, a node that
  // dropped the slot) join the new owner
  for (const node of target.masters()) {
    if (node.id === to.id) continue
    const count = Number(await target.client(node).call('CLUSTER', 'COUNTKEYSINSLOT', step.slot))
    if (count > 0) keys += await gatherStrays(target, mover, step.slot, node, to)
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
