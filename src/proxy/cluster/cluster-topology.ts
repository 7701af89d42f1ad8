// Reads a Redis Cluster's slot map from the first node that answers CLUSTER SLOTS with a map
// that serves every slot. This is the control path (a few times per topology change, never per
// request), so it uses ioredis with one short-lived connection per node asked (control-client.ts);
// requests themselves travel over the proxy's own server connections.
import {type Address, formatAddress} from '../../address.js'
import {type ControlAccess, slotMapClient} from '../control-client.js'
import {parseClusterSlots, type SlotMap} from './cluster-slot-map.js'

export interface FetchOptions extends ControlAccess {
  /** per node asked, msec */
  timeoutMs: number
  /** msec since epoch after which no further node is asked */
  deadline: number
}

async function askNode(node: Address, options: FetchOptions): Promise<SlotMap | undefined> {
  const client = slotMapClient(node, options)
  try {
    await client.connect()
    return parseClusterSlots(await client.call('CLUSTER', 'SLOTS'), node)
  } catch {
    return undefined
  } finally {
    client.disconnect()
  }
}

/**
 * The slot map from the first of `nodes` (tried in order until the deadline, each bounded by
 * timeoutMs) whose map serves every slot; failing that, the most complete map any of them gave;
 * undefined when none answered.
 */
export async function fetchSlotMap(nodes: readonly Address[], options: FetchOptions): Promise<SlotMap | undefined> {
  let best: SlotMap | undefined
  const asked = new Set<string>()
  for (const node of nodes) {
    if (Date.now() >= options.deadline) break
    const name = formatAddress(node)
    if (asked.has(name)) continue
    asked.add(name)
    const map = await askNode(node, options)
    if (map === undefined) continue
    if (map.uncovered === 0) return map
    if (best === undefined || map.uncovered < best.uncovered) best = map
  }
  return best
}
