// `cluster check`: what every node believes, compared. Reports failing or unreachable nodes,
// nodes whose slot map disagrees with the others, half-moved (open) slots and slots nobody
// serves, with a line per node (role, slots, keys, replicas). Read-only.
import {countSlots, formatRanges, rangesOf, type ClusterNodeInfo} from '../targets/cluster-nodes.js'
import {CLUSTER_SLOTS} from '../hashing/index.js'
import type {ClusterTarget, OpenSlot} from '../targets/cluster.js'
import {openJournalsFor} from './journal.js'

export type ProblemKind = 'failing' | 'unreachable' | 'disagreement' | 'open-slot' | 'uncovered'

export interface ClusterProblem {
  kind: ProblemKind
  message: string
}

export interface NodeLine {
  id: string
  address: string
  role: 'master' | 'replica'
  master?: string
  slots: number
  ranges: string
  keys?: number
  replicas: number
  flags: string
}

export interface ClusterReport {
  ok: boolean
  nodes: NodeLine[]
  openSlots: OpenSlot[]
  uncoveredSlots: number
  problems: ClusterProblem[]
  /** how many problems of each kind (kinds with none left out) */
  counts: Partial<Record<ProblemKind, number>>
  /** an unfinished reshard journal naming this cluster's nodes: `reshard --resume` finishes it */
  unfinishedJournal?: string
}

export async function checkCluster(target: ClusterTarget): Promise<ClusterReport> {
  await target.refresh()
  const problems: ClusterProblem[] = []
  const reference = ownerTable(target.allNodes())
  const keys = new Map<string, number>()

  await Promise.all(target.allNodes().map(async (node) => {
    if (node.failing) {
      problems.push({kind: 'failing', message: `${node.address} (${node.id.slice(0, 8)}) is flagged ${node.flags.filter((f) => f !== 'myself').join(',')}`})
      return
    }
    try {
      const view = await target.viewOf(node)
      const owners = ownerTable(view)
      let differing = 0
      for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (owners[slot] !== reference[slot]) differing++
      if (differing > 0) problems.push({kind: 'disagreement', message: `${node.address} sees a different owner for ${differing} slot(s) (its view has not converged)`})
      if (view.length !== target.allNodes().length) problems.push({kind: 'disagreement', message: `${node.address} knows ${view.length} nodes, not ${target.allNodes().length}`})
      if (node.role === 'master') keys.set(node.id, Number(await target.client(node).dbsize()))
    } catch {
      problems.push({kind: 'unreachable', message: `${node.address} does not answer`})
    }
  }))

  const openSlots = target.openSlots()
  for (const open of openSlots) {
    const name = (id: string) => target.byId(id)?.address ?? id.slice(0, 8)
    const parts = [
      ...open.migrating.map((m) => `${name(m.node)} migrating to ${name(m.to)}`),
      ...open.importing.map((i) => `${name(i.node)} importing from ${name(i.from)}`),
    ]
    problems.push({kind: 'open-slot', message: `slot ${open.slot} is open: ${parts.join(', ')}`})
  }
  const uncovered = target.uncoveredSlots()
  if (uncovered.length > 0) problems.push({kind: 'uncovered', message: `${uncovered.length} slot(s) have no owner (${formatRanges(rangesOf(uncovered)).slice(0, 80)})`})

  const nodes: NodeLine[] = target.allNodes().map((node) => ({
    id: node.id,
    address: node.address,
    role: node.role,
    master: node.masterId ? target.byId(node.masterId)?.address ?? node.masterId : undefined,
    slots: countSlots(node.slots),
    ranges: formatRanges(node.slots),
    keys: keys.get(node.id),
    replicas: target.replicasOf(node.id).length,
    flags: node.flags.filter((flag) => flag !== 'myself').join(','),
  }))
  nodes.sort((a, b) => (a.role === b.role ? a.address.localeCompare(b.address) : a.role === 'master' ? -1 : 1))
  problems.sort((a, b) => a.kind.localeCompare(b.kind) || a.message.localeCompare(b.message))
  const counts: Partial<Record<ProblemKind, number>> = {}
  for (const problem of problems) counts[problem.kind] = (counts[problem.kind] ?? 0) + 1
  const journal = openSlots.length > 0 ? openJournalsFor(new Set(target.allNodes().map((node) => node.id)))[0] : undefined
  return {ok: problems.length === 0, nodes, openSlots, uncoveredSlots: uncovered.length, problems, counts, ...(journal ? {unfinishedJournal: journal.path} : {})}
}

function ownerTable(view: ClusterNodeInfo[]): Array<string | undefined> {
  const owners: Array<string | undefined> = new Array(CLUSTER_SLOTS)
  for (const node of view) {
    if (node.role !== 'master') continue
    for (const [start, end] of node.slots) for (let slot = start; slot <= end; slot++) owners[slot] = node.id
  }
  return owners
}
