// Exactly-once application of a replication stream across a kill. The checkpoint's offset is saved
// every second or so, the target is written every round: after a SIGKILL, the commands applied
// since the last save would be applied twice on resume (partial resync from the saved offset),
// and INCR, APPEND, LPUSH... are not idempotent. So the target itself records how far each slot
// got, in the same atomic step as the writes: one hidden hash per slot (its name carries a hash
// tag of that slot, so it lives, moves and fails over with the slot's keys), one field per source
// holding "<epoch> <offset of the last command applied to this slot>". The epoch names one
// snapshot of that source: marks of an older snapshot never match. A resumed run reads the marks
// back and skips, slot by slot, the commands the target already has. Keys copied again while the
// stream runs (stream-recopy.ts) are marked pending before they are read; a resumed run copies
// them again, since the commands their value already held cannot be told apart after a kill.
// The marks are removed when the migration is done; verify leaves them out.
import {randomBytes} from 'node:crypto'
import type {Cluster, Redis} from 'ioredis'
import {CLUSTER_SLOTS, keySlot} from '../../hashing/index.js'

const PREFIX = '__twlab_applied__{'
const PREFIX_BYTES = Buffer.from(PREFIX, 'latin1')

let markKeys: Buffer[] | undefined

/** The hidden hash of each slot: a tag found for every slot once (a few hundred thousand CRC16s). */
function allMarkKeys(): Buffer[] {
  if (markKeys) return markKeys
  const keys: Buffer[] = new Array(CLUSTER_SLOTS)
  let found = 0
  for (let i = 0; found < CLUSTER_SLOTS && i < 10_000_000; i++) {
    const tag = i.toString(36)
    const slot = keySlot(tag)
    if (keys[slot]) continue
    keys[slot] = Buffer.from(`${PREFIX}${tag}}`, 'latin1')
    found++
  }
  markKeys = keys
  return keys
}

export function markKeyOfSlot(slot: number): Buffer {
  return allMarkKeys()[slot]
}

/** whether `key` is one of the hidden marks (verify leaves them out) */
export function isAppliedMark(key: Buffer): boolean {
  return key.length > PREFIX_BYTES.length && key.subarray(0, PREFIX_BYTES.length).equals(PREFIX_BYTES)
}

/** a new epoch: one per snapshot taken of a source */
export function newEpoch(): string {
  return randomBytes(6).toString('hex')
}

/** The hash fields of one source: its applied offset, and its keys to copy again on resume. */
export class SourceMarks {
  readonly offsetField: Buffer
  private readonly pendingPrefix: Buffer

  constructor(sourceName: string, readonly epoch: string) {
    this.offsetField = Buffer.from(`o:${sourceName}`)
    this.pendingPrefix = Buffer.from(`r:${sourceName}:`)
  }

  offsetValue(offset: number): Buffer {
    return Buffer.from(`${this.epoch} ${offset}`)
  }

  /** Marks keys as being copied again (before they are read): a resumed run copies them again. */
  async markPending(cluster: Cluster, keys: Buffer[]): Promise<void> {
    const epoch = Buffer.from(this.epoch)
    await Promise.all(keys.map((key) => cluster.hset(markKeyOfSlot(keySlot(key)), Buffer.concat([this.pendingPrefix, key]), epoch)))
  }

  /** What the target holds for this source and epoch: the offset applied per slot, and the keys pending a copy. */
  async read(cluster: Cluster): Promise<{offsets: Map<number, number>; pending: Buffer[]}> {
    const offsets = new Map<number, number>()
    const pending: Buffer[] = []
    await forEachMaster(cluster, async (node, slots) => {
      const pipeline = node.pipeline()
      for (const slot of slots) pipeline.callBuffer('HGETALL', markKeyOfSlot(slot))
      const replies = (await pipeline.exec()) ?? []
      replies.forEach(([error, reply], i) => {
        if (error) throw error
        const fields = reply as Buffer[]
        for (let f = 0; f + 1 < fields.length; f += 2) this.readField(slots[i], fields[f], fields[f + 1], offsets, pending)
      })
    })
    return {offsets, pending}
  }

  private readField(slot: number, field: Buffer, value: Buffer, offsets: Map<number, number>, pending: Buffer[]): void {
    const text = value.toString('latin1')
    if (field.equals(this.offsetField)) {
      const [epoch, offset] = text.split(' ')
      if (epoch === this.epoch) offsets.set(slot, Number(offset))
    } else if (text === this.epoch && field.length > this.pendingPrefix.length && field.subarray(0, this.pendingPrefix.length).equals(this.pendingPrefix)) {
      pending.push(Buffer.from(field.subarray(this.pendingPrefix.length)))
    }
  }
}

/** Removes every mark (the migration is done: nothing will resume from them). */
export async function removeAppliedMarks(cluster: Cluster): Promise<void> {
  await forEachMaster(cluster, async (node, slots) => {
    // one key per command: a multi-key UNLINK would span slots
    const pipeline = node.pipeline()
    for (const slot of slots) pipeline.unlink(markKeyOfSlot(slot))
    await pipeline.exec()
  })
}

/** Runs `work` on every master with the slots it owns (by the cluster client's slot map). */
async function forEachMaster(cluster: Cluster, work: (node: Redis, slots: number[]) => Promise<void>): Promise<void> {
  const bySlotOwner = new Map<string, number[]>()
  cluster.slots.forEach((owners, slot) => {
    if (!owners || owners.length === 0) return
    let list = bySlotOwner.get(owners[0])
    if (!list) bySlotOwner.set(owners[0], (list = []))
    list.push(slot)
  })
  const masters = cluster.nodes('master')
  await Promise.all([...bySlotOwner].map(([address, slots]) => {
    const node = masters.find((n) => `${n.options.host}:${n.options.port}` === address)
    return node ? work(node, slots) : Promise.resolve()
  }))
}
