// A cluster source's second pass: the slots that were being moved (MIGRATING on one master,
// IMPORTING on another) when the copy began, plus any slot whose owner changed while it ran.
// Keys only ever move from the migrating node to the importing one, so each slot is read on the
// node it moves from first, then on the node it moves to: a key moved between the two reads is
// found on the second, and one found on both is copied once (keys already read in this slot are
// passed over). Reads go through the cluster scripts, after ASKING (cluster-scripts.ts).
import type {Redis} from 'ioredis'
import {keyId} from '../../key-text.js'
import type {ClusterTarget, OpenSlot} from '../../targets/cluster.js'
import {CLUSTER_SLOTS} from '../../hashing/index.js'
import {closeClients} from '../../targets/client-factory.js'
import {digestWithAsking} from '../verify/digest.js'
import {sourceClient, type OpenSlotPass, type Source} from './sources.js'

export class ClusterOpenSlots implements OpenSlotPass {
  private readonly ownersAtStart: Array<string | undefined>

  constructor(private readonly cluster: ClusterTarget, private readonly sources: Source[],
    private readonly openAtStart: OpenSlot[], private readonly password?: string) {
    this.ownersAtStart = Array.from({length: CLUSTER_SLOTS}, (_, slot) => cluster.ownerOfSlot(slot)?.address)
  }

  async copy(write: (source: Source, keys: Buffer[]) => Promise<void>): Promise<number> {
    await this.cluster.refresh()
    const plan = this.readOrder()
    const extra = new Map<string, Source>()
    try {
      for (const [slot, addresses] of plan) {
        const seen = new Set<string>()
        for (const address of addresses) {
          const source = this.sourceAt(address, extra)
          const keys = await keysInSlot(source.client, slot)
          const fresh = keys.filter((key) => !seen.has(keyId(key)))
          for (const key of fresh) seen.add(keyId(key))
          if (fresh.length > 0) await write(source, fresh)
        }
      }
    } finally {
      await closeClients([...extra.values()].map((source) => source.client))
    }
    return plan.size
  }

  /** slot -> the masters to read it on, in the order its keys move. */
  private readOrder(): Map<number, string[]> {
    const order = new Map<number, string[]>()
    const add = (slot: number, address: string | undefined) => {
      if (!address) return
      const list = order.get(slot) ?? []
      if (!list.includes(address)) list.push(address)
      order.set(slot, list)
    }
    const addressOf = (id: string) => this.cluster.byId(id)?.address
    for (const open of [...this.openAtStart, ...this.cluster.openSlots()]) {
      for (const {node} of open.migrating) add(open.slot, addressOf(node))
      add(open.slot, this.ownersAtStart[open.slot])
      add(open.slot, this.cluster.ownerOfSlot(open.slot)?.address)
      for (const {node} of open.importing) add(open.slot, addressOf(node))
    }
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      const now = this.cluster.ownerOfSlot(slot)?.address
      if (now !== this.ownersAtStart[slot]) {
        add(slot, this.ownersAtStart[slot])
        add(slot, now)
      }
    }
    return order
  }

  /** The source reading `address`: one of the scanned masters, or a master that appeared since. */
  private sourceAt(address: string, extra: Map<string, Source>): Source {
    const known = this.sources.find((source) => source.name === address) ?? extra.get(address)
    if (known) return known
    const node = this.cluster.allNodes().find((candidate) => candidate.address === address)
    const at = {host: node?.host ?? '127.0.0.1', port: node?.port ?? 0}
    const client = sourceClient(at, {name: 'twlab-migrate', password: this.password})
    digestWithAsking(client)
    const source: Source = {index: -1, name: address, address: at, client, db: 0, hasExpireTime: true, cluster: {bulkSkipSlots: new Set()}}
    extra.set(address, source)
    return source
  }
}

/** Every key the node holds in `slot` (CLUSTER COUNTKEYSINSLOT, then GETKEYSINSLOT of that many). */
async function keysInSlot(client: Redis, slot: number): Promise<Buffer[]> {
  const count = Number(await client.call('CLUSTER', 'COUNTKEYSINSLOT', slot))
  if (count === 0) return []
  return (await client.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, count)) as Buffer[]
}
