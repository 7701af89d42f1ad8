// The share of keys hashing predicts for each node: the ketama continuum arcs (or weights) of
// a pool, or the slots a cluster master owns.
import {CLUSTER_SLOTS} from '../hashing/index.js'
import {PoolTarget} from '../targets/pool.js'
import type {Target} from '../targets/types.js'

export function predictedShares(target: Target): Map<string, number> {
  if (target instanceof PoolTarget) return target.predictedShares()
  const shares = new Map<string, number>()
  for (const node of target.nodes()) {
    const owned = (node.slots ?? []).reduce((sum, [first, last]) => sum + (last - first + 1), 0)
    shares.set(node.id, owned / CLUSTER_SLOTS)
  }
  return shares
}
