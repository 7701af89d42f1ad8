// The copies of keys whose slot moved between the masters of a cluster source during the run
// (slot-motion.ts). A key of such a slot is read from the source cluster wherever it lives right
// now (the cluster client follows MOVED and ASK), written over the target's value, or deleted there
// when the source no longer has it. The copies of every master's stream go through one queue, a
// batch at a time: a value read later is never overwritten by one read earlier, whichever stream
// asked. The queue also re-syncs a whole slot once it stopped moving: every key the slot holds on
// its owner, and every key the target holds in it, copied again.
import type {Cluster, Redis} from 'ioredis'
import {formatAddress} from '../../address.js'
import {keySlot} from '../../hashing/index.js'
import {keyId} from '../../key-text.js'
import type {CopyContext} from '../copy/context.js'
import {keysInSlotOf, type ClusterSourceView} from '../source/cluster-view.js'
import type {KeyRecord} from '../source/reader.js'
import type {Source} from '../source/sources.js'
import {retryTransient} from '../target/retry.js'
import {deleteKeys, writeRecords} from '../target/writer.js'
import {isAppliedMark} from './applied-marks.js'

/** keys read from the source cluster at once */
const READ_BATCH = 200

export class SlotRecopier {
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly ctx: CopyContext, private readonly view: ClusterSourceView) {}

  /** Copies `keys` again, after every copy asked for before; resolves once they are on the target. */
  recopy(keys: Buffer[]): Promise<void> {
    const unique = [...new Map(keys.map((key) => [keyId(key), key])).values()]
    const run = this.queue.then(() => this.copyNow(unique))
    this.queue = run.catch(() => {})
    return run
  }

  /** Every key of `slot` on its source owner and on the target copied again; returns how many keys. */
  async resyncSlot(slot: number): Promise<number> {
    const [onSource, onTarget] = await Promise.all([
      this.view.keysInSlot(slot),
      targetKeysInSlot(this.ctx.target.client, slot),
    ])
    const skipped = this.ctx.write.skipped
    const keys = [...onSource, ...onTarget.filter((key) => !isAppliedMark(key) && !skipped?.has(keyId(key)))]
    await this.recopy(keys)
    return keys.length
  }

  private async copyNow(keys: Buffer[]): Promise<void> {
    for (let start = 0; start < keys.length; start += READ_BATCH) {
      const records = await Promise.all(keys.slice(start, start + READ_BATCH).map((key) => readKey(this.view.reader, key)))
      const found = records.filter((record) => record.payload)
      const gone = records.filter((record) => !record.payload).map((record) => record.key)
      for (const [holder, records] of this.byHolder(found)) {
        await writeRecords(holder, this.ctx.target.client, records, this.ctx.write, this.ctx.stats, true)
        this.ctx.stats.recopied += records.length
      }
      if (gone.length > 0) await deleteKeys(this.ctx.target.client, gone, this.ctx.stats)
    }
  }

  /** Records by the source whose master serves their slot now (a big key is read again from it, in chunks). */
  private byHolder(records: KeyRecord[]): Map<Source, KeyRecord[]> {
    const sources = this.ctx.sources.sources
    const groups = new Map<Source, KeyRecord[]>()
    for (const record of records) {
      const owner = this.view.ownerAddress(keySlot(record.key))
      const holder = sources.find((source) => formatAddress(source.address) === owner) ?? sources[0]
      groups.set(holder, [...(groups.get(holder) ?? []), record])
    }
    return groups
  }
}

/** DUMP and absolute expiry of one key, wherever the source cluster holds it now. */
async function readKey(reader: Cluster, key: Buffer): Promise<KeyRecord> {
  const payload = await reader.dumpBuffer(key)
  if (!payload) return {key, payload: null, expireAt: 0}
  const at = Number(await reader.call('PEXPIRETIME', key))
  return {key, payload, expireAt: at > 0 ? at : 0}
}

/** The keys the target holds in `slot` (asked of the target master serving it). */
async function targetKeysInSlot(target: Cluster, slot: number): Promise<Buffer[]> {
  return retryTransient(async () => {
    const owner = target.slots[slot]?.[0]
    const node: Redis | undefined = target.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner)
    if (!node) {
      target.refreshSlotsCache()
      throw new Error(`no target master serves slot ${slot} yet (TRYAGAIN)`)
    }
    return keysInSlotOf(node, slot)
  })
}
