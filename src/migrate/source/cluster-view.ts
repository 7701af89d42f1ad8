// A cluster source's live slot map, for following it by replication while it changes: which
// master serves each slot now, which slots some master is migrating or importing, a cluster client
// that reads a key wherever it lives right now (MOVED and ASK followed by the client), the keys a
// slot holds on its owner, and which master took over from one that is no longer a master (a
// failover). The replication capture polls it (changes/slot-motion.ts); refreshes asked for at the
// same time share one CLUSTER NODES round.
import type {Cluster, Redis} from 'ioredis'
import {CLUSTER_SLOTS} from '../../hashing/index.js'
import {createClusterClient} from '../../targets/client-factory.js'
import type {ClusterTarget} from '../../targets/cluster.js'
import type {ClusterNodeInfo} from '../../targets/cluster-nodes.js'

/** keys asked of a node per CLUSTER GETKEYSINSLOT */
const KEYS_PER_CALL = 1000

export class ClusterSourceView {
  /** reads keys wherever they are (ioredis follows MOVED and ASK) */
  readonly reader: Cluster
  private refreshing: Promise<void> | undefined

  constructor(private readonly cluster: ClusterTarget, seed: {host: string; port: number}, password?: string) {
    this.reader = createClusterClient([seed], {policy: 'patient', password})
  }

  /** Reads the map again (one round for every caller waiting meanwhile). */
  refresh(): Promise<void> {
    this.refreshing ??= this.cluster.refresh().finally(() => (this.refreshing = undefined))
    return this.refreshing
  }

  /** "host:port" of the master serving `slot`, by the last refresh. */
  ownerAddress(slot: number): string | undefined {
    return this.cluster.ownerOfSlot(slot)?.address
  }

  /** Every slot's owner address (undefined: none), by the last refresh. */
  ownerAddresses(): Array<string | undefined> {
    return Array.from({length: CLUSTER_SLOTS}, (_, slot) => this.ownerAddress(slot))
  }

  /** Slots some master is migrating or importing, by the last refresh. */
  openSlots(): Set<number> {
    return new Set(this.cluster.openSlots().map((open) => open.slot))
  }

  /** whether `address` is a master serving slots and not failing */
  isServingMaster(address: string): boolean {
    return this.cluster.masters().some((node) => node.address === address && node.slots.length > 0)
  }

  /** whether the node at `address` is no longer a master serving slots (a replica now, or a master left without slots) */
  lostMasterRole(address: string): boolean {
    const node = this.cluster.allNodes().find((candidate) => candidate.address === address)
    return node !== undefined && (node.role === 'replica' || node.slots.length === 0)
  }

  /**
   * The master that took over from `address` (no longer a serving master): the master it now
   * replicates, else the serving master holding most of `slots` (the slots it served).
   */
  successorOf(address: string, slots: number[]): ClusterNodeInfo | undefined {
    const old = this.cluster.allNodes().find((node) => node.address === address)
    const promoted = old?.role === 'replica' && old.masterId ? this.cluster.byId(old.masterId) : undefined
    if (promoted && this.isServingMaster(promoted.address)) return promoted
    const votes = new Map<string, number>()
    for (const slot of slots) {
      const owner = this.ownerAddress(slot)
      if (owner && owner !== address) votes.set(owner, (votes.get(owner) ?? 0) + 1)
    }
    const best = [...votes].sort((a, b) => b[1] - a[1])[0]
    return best ? this.cluster.masters().find((node) => node.address === best[0]) : undefined
  }

  /** Every key `slot` holds on its owner now. */
  async keysInSlot(slot: number): Promise<Buffer[]> {
    const owner = this.cluster.ownerOfSlot(slot)
    if (!owner) return []
    return keysInSlotOf(await this.cluster.clientAt(owner.host, owner.port), slot)
  }

  async close(): Promise<void> {
    this.reader.disconnect()
  }
}

/** The keys `node` holds in `slot`, in calls of KEYS_PER_CALL (the count may grow meanwhile: asked until fewer come). */
export async function keysInSlotOf(node: Redis | Cluster, slot: number): Promise<Buffer[]> {
  const count = Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', slot))
  if (count === 0) return []
  return (await node.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, count + KEYS_PER_CALL)) as Buffer[]
}
