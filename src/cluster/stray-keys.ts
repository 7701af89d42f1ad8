// Keys of a slot kept by a master that is not the slot's owner: what a half-done import, a node
// that dropped the slot with DELSLOTS, or a replica promoted in the middle of a move leave behind.
// MIGRATE on such a node is refused (CLUSTERDOWN when it sees the slot unowned, MOVED when it
// knows the owner) unless the slot is open there, so the holder is first told the owner, then
// marked IMPORTING (which makes it serve MIGRATE for the slot locally, the way `redis-cli --cluster
// fix` gathers keys), emptied, and made STABLE again.
import type {ClusterNodeInfo} from '../targets/cluster-nodes.js'
import type {ClusterTarget} from '../targets/cluster.js'
import {SlotMoveError, messageOf, type SlotMover} from './slot-mover.js'

/** Moves every key of `slot` that `holder` keeps to `owner` (which owns the slot). Returns the keys moved. */
export async function gatherStrays(target: ClusterTarget, mover: SlotMover, slot: number, holder: ClusterNodeInfo, owner: ClusterNodeInfo): Promise<number> {
  const client = target.client(holder)
  try {
    await client.call('CLUSTER', 'SETSLOT', slot, 'NODE', owner.id)
  } catch (error) {
    const message = messageOf(error)
    // the holder believes the slot is its own: the full protocol (MIGRATING on it) moves the keys
    if (/still hold keys/i.test(message)) return mover.move({slot, from: holder.id, to: owner.id})
    throw new SlotMoveError(slot, `${holder.address} refused to name ${owner.address} as the owner: ${message}`, {cause: error})
  }
  try {
    await client.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', owner.id)
  } catch (error) {
    throw new SlotMoveError(slot, `${holder.address} refused to open the slot for gathering its keys: ${messageOf(error)}`, {cause: error})
  }
  try {
    return await mover.drainKeys(slot, holder, owner)
  } finally {
    await client.call('CLUSTER', 'SETSLOT', slot, 'STABLE').catch(() => undefined)
  }
}
