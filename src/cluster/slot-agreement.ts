// Waiting until every master names the same owner for slots that were given an owner by hand
// (`cluster fix` claiming an ownerless slot, closing an open one). Masters learn a new owner by
// gossip, and a heartbeat sent before a DELSLOTS can re-bind a slot to its old owner on a node
// that already dropped it; until the views agree, a MIGRATE towards or away from such a node meets
// CLUSTERDOWN or a redirection. Laggards are told the owner directly (SETSLOT NODE) and the owner's
// config epoch is bumped so its claim outranks any stale one. Bounded in time and rounds.
import type {Redis} from 'ioredis'
import type {ClusterNodeInfo} from '../targets/cluster-nodes.js'
import type {ClusterTarget} from '../targets/cluster.js'

export interface AgreementOptions {
  /** give up after this long (ms) */
  timeoutMs?: number
  /** between two looks at every master (ms) */
  pollMs?: number
  /** nudge laggards every this many looks */
  nudgeEvery?: number
}

export interface Disagreement {
  /** address of the master that sees it differently */
  node: string
  slot: number
  /** the owner it names, if any */
  sees?: string
}

export interface AgreementResult {
  agreed: boolean
  /** what still differed on the last look (empty when agreed) */
  disagreements: Disagreement[]
  /** masters owning slots that share one config epoch on the last look (Redis resolves it by itself) */
  epochCollisions: string[]
}

/**
 * Waits until every reachable master names `expected.get(slot)` as the owner of each slot and
 * no two masters share a config epoch. Never throws for a node that does not answer: it is
 * skipped (nothing could be told to it anyway).
 */
export async function waitForAgreement(target: ClusterTarget, expected: Map<number, string>, options: AgreementOptions = {}): Promise<AgreementResult> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const pollMs = options.pollMs ?? 200
  const nudgeEvery = options.nudgeEvery ?? 5
  const deadline = Date.now() + timeoutMs
  let last: AgreementResult = {agreed: expected.size === 0, disagreements: [], epochCollisions: []}
  if (expected.size === 0) return last
  for (let look = 0; look < 10_000; look++) {
    last = await lookOnce(target, expected)
    if (last.agreed) return last
    if (Date.now() >= deadline) break
    if (look % nudgeEvery === nudgeEvery - 1) await nudge(target, expected, last.disagreements)
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
  return last
}

async function lookOnce(target: ClusterTarget, expected: Map<number, string>): Promise<AgreementResult> {
  const disagreements: Disagreement[] = []
  const epochs = new Map<number, string[]>()
  await Promise.all(target.masters().map(async (master) => {
    let view: ClusterNodeInfo[]
    try {
      view = await target.viewOf(master)
    } catch {
      return
    }
    const owners = ownersOf(view, expected)
    for (const [slot, owner] of expected) {
      if (owners.get(slot) !== owner) disagreements.push({node: master.address, slot, sees: owners.get(slot)})
    }
    const own = view.find((node) => node.myself)
    // only slot owners' epochs decide who owns what
    if (own && own.role === 'master' && own.slots.length > 0) {
      const list = epochs.get(own.configEpoch) ?? []
      list.push(master.address)
      epochs.set(own.configEpoch, list)
    }
  }))
  const epochCollisions = [...epochs.values()].filter((list) => list.length > 1).flat()
  return {agreed: disagreements.length === 0 && epochCollisions.length === 0, disagreements, epochCollisions}
}

/** slot -> owner id in one node's view, for the slots asked about. */
function ownersOf(view: ClusterNodeInfo[], slots: Map<number, string>): Map<number, string> {
  const owners = new Map<number, string>()
  for (const node of view) {
    if (node.role !== 'master') continue
    for (const [start, end] of node.slots) {
      for (const slot of slots.keys()) if (slot >= start && slot <= end) owners.set(slot, node.id)
    }
  }
  return owners
}

/** Tells each lagging master the owner, and bumps the epoch of owners still not recognised. */
async function nudge(target: ClusterTarget, expected: Map<number, string>, disagreements: Disagreement[]): Promise<void> {
  const byNode = new Map<string, number[]>()
  for (const {node, slot} of disagreements) byNode.set(node, [...(byNode.get(node) ?? []), slot])
  await Promise.all([...byNode].map(async ([address, slots]) => {
    const node = target.masters().find((master) => master.address === address)
    if (!node) return
    // a node that believes the slot is its own and still holds keys refuses: that is not gossip
    // lag, and the caller's next step (gathering keys) deals with it
    await pipelined(target.client(node), slots.map((slot) => ['CLUSTER', 'SETSLOT', slot, 'NODE', expected.get(slot)!]))
  }))
  const owners = new Set(disagreements.map(({slot}) => expected.get(slot)!))
  await Promise.all([...owners].map(async (id) => {
    const owner = target.byId(id)
    if (owner) await target.client(owner).call('CLUSTER', 'BUMPEPOCH').catch(() => undefined)
  }))
}

async function pipelined(client: Redis, commands: Array<Array<string | number>>): Promise<void> {
  const pipeline = client.pipeline()
  for (const [name, ...args] of commands) pipeline.call(String(name), ...args)
  await pipeline.exec().catch(() => undefined)
}
