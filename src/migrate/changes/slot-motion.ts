// A cluster source followed by replication while its slots move between masters (resharding:
// CLUSTER SETSLOT MIGRATING/IMPORTING, MIGRATE, SETSLOT NODE). Each master's stream is applied on
// its own, so the commands of a key whose slot moves from A to B come through two streams in no
// common order: A's DEL of the keys it MIGRATEd, B's RESTORE-ASKING of them and the writes B takes
// (ASKING, then as owner). Applying them as commands could apply them out of order. So:
// - the source's slot map is watched (polled every POLL_MS, and read again at once when a stream
//   carries a command on a key of a slot its master does not serve, or a RESTORE-ASKING);
// - a slot seen migrating, importing, or served by another master than at the start is marked
//   moved for the rest of the run (and in the checkpoint, for a resumed run);
// - from then on, a command of any stream on a key of a moved slot is not applied: the key is
//   copied again from wherever the source cluster holds it now, all such copies in one queue
//   (slot-recopy.ts), so the last copy reads the key after its last write, whichever stream;
// - once a moved slot is stable again (nobody migrating or importing it, served by a followed
//   master) and every round of the streams begun before it was last seen moving is done, the
//   whole slot is copied again once: that settles whatever commands of it were applied just
//   before it was marked.
// A master that lost its role (failed over) is handed to its follower to move the link to the
// master that took over (cluster-failover.ts); that is not a move of its slots.
import {formatAddress} from '../../address.js'
import {CLUSTER_SLOTS} from '../../hashing/index.js'
import {UserError} from '../../errors.js'
import type {ClusterSourceView} from '../source/cluster-view.js'
import type {Source} from '../source/sources.js'
import type {SlotRecopier} from './slot-recopy.js'

const POLL_MS = 500
/** polls a master may serve slots without being followed (the window of a failover being followed) */
const UNFOLLOWED_POLLS = 60

export interface MotionHooks {
  note(message: string): void
  failed(error: Error): void
  /** the master of source `index` is no longer a master: its follower moves its link */
  relink(index: number): void
  /** per source, the rounds its stream applier has begun and finished */
  rounds(): Array<{begun: number; done: number}>
  /** the slots marked moved so far (the checkpoint keeps them) */
  moved(slots: number[]): void
}

export class SlotMotion {
  private readonly marked = new Set<number>()
  /** marked slots not re-synced since they last moved -> per source, the rounds begun then */
  private readonly unsettled = new Map<number, number[]>()
  /** per slot, the index of the source serving it by the last poll (-1: none) */
  private readonly owners = new Int32Array(CLUSTER_SLOTS).fill(-1)
  private timer: NodeJS.Timeout | undefined
  private polling: Promise<void> | undefined
  private streaming = false
  private unfollowedPolls = 0
  private stableUnsettled = 0
  /** slots re-synced after they stopped moving, and the keys copied then */
  resynced = 0
  resyncedKeys = 0

  constructor(private readonly view: ClusterSourceView, private readonly sources: Source[],
    private readonly recopier: SlotRecopier, private readonly hooks: MotionHooks) {}

  /** Takes the slot map as it is now (the sources' owners), the slots a resumed run had marked, and starts polling. */
  async start(movedBefore: number[]): Promise<void> {
    await this.view.refresh()
    this.readOwners(false)
    for (const slot of movedBefore) this.mark(slot)
    for (const slot of this.view.openSlots()) this.mark(slot)
    this.timer = setInterval(() => void this.poll(), POLL_MS)
    this.timer.unref()
  }

  /** The snapshots are loaded and every stream runs: moved slots may be re-synced from now on. */
  streamsStarted(): void {
    this.streaming = true
  }

  /**
   * A master's snapshot was loaded again mid-run (its backlog lost the offset, a failover without
   * +CONTINUE): it may have written older values of moved slots, or removed keys that moved to
   * another master; every moved slot is re-synced once more.
   */
  snapshotReloaded(): void {
    for (const slot of this.marked) this.mark(slot)
  }

  /** the slots marked moved in this run (a resumed run: with those its checkpoint kept) */
  movedSlots(): number[] {
    return [...this.marked].sort((a, b) => a - b)
  }

  isMoved(slot: number): boolean {
    return this.marked.has(slot)
  }

  /**
   * Whether a command of source `index` on a key of `slot` must become a copy of the key (slot
   * moved, or moving now: not served by that source's master, or a RESTORE-ASKING).
   */
  claims(slot: number, index: number, command: Buffer): boolean {
    if (this.marked.has(slot)) return true
    if (this.owners[slot] === index && !isRestoreAsking(command)) return false
    this.mark(slot)
    void this.poll()
    return true
  }

  /** moved slots that stopped moving and wait for their re-sync (the capture counts them pending) */
  get settling(): number {
    return this.streaming ? this.stableUnsettled : 0
  }

  /** Stops polling; resolves once a re-sync in flight is done. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.polling
  }

  private mark(slot: number): void {
    const fresh = !this.marked.has(slot)
    this.marked.add(slot)
    this.unsettled.set(slot, this.hooks.rounds().map((r) => r.begun))
    if (fresh) this.hooks.moved(this.movedSlots())
  }

  private poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined))
    return this.polling
  }

  private async pollOnce(): Promise<void> {
    try {
      await this.view.refresh()
    } catch {
      return // a node answering late: the next poll reads the map again
    }
    for (const slot of this.view.openSlots()) this.mark(slot)
    this.readOwners(true)
    this.checkFollowed()
    if (this.streaming) {
      try {
        await this.settle()
      } catch (error) {
        this.hooks.failed(error as Error)
      }
    }
  }

  /** The source serving each slot; with `markChanges`, a slot whose source changed is marked. */
  private readOwners(markChanges: boolean): void {
    const addresses = this.sources.map((source) => formatAddress(source.address))
    const owners = this.view.ownerAddresses()
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      const index = owners[slot] === undefined ? -1 : addresses.indexOf(owners[slot] as string)
      // a master not followed (yet): a failover being followed, or a master that joined (checkFollowed)
      if (index < 0 || index === this.owners[slot]) continue
      if (markChanges) this.mark(slot)
      this.owners[slot] = index
    }
  }

  /** A followed master that lost its role is relinked; a serving master nobody follows for long stops the run. */
  private checkFollowed(): void {
    const addresses = this.sources.map((source) => formatAddress(source.address))
    addresses.forEach((address, index) => {
      if (this.view.lostMasterRole(address)) this.hooks.relink(index)
    })
    const unfollowed = [...new Set(this.view.ownerAddresses())].filter((address) => address !== undefined && !addresses.includes(address))
    this.unfollowedPolls = unfollowed.length > 0 ? this.unfollowedPolls + 1 : 0
    if (this.unfollowedPolls === UNFOLLOWED_POLLS) {
      this.hooks.failed(new UserError(`Master ${unfollowed[0]} of the source cluster serves slots but is not one twlab follows (it was not a master when the migration began, nor took over from one): the changes it takes would be missed.`, {
        hint: 'Migrate again from the start (--restart), or with --capture notifications.',
      }))
    }
  }

  /** Re-syncs each moved slot that is stable now and whose earlier rounds are all done. */
  private async settle(): Promise<void> {
    const open = this.view.openSlots()
    const rounds = this.hooks.rounds()
    const settled: number[] = []
    let keys = 0
    for (const [slot, begun] of [...this.unsettled]) {
      if (open.has(slot) || this.owners[slot] < 0) continue
      if (begun.some((count, index) => (rounds[index]?.done ?? count) < count)) continue
      this.unsettled.delete(slot)
      keys += await this.recopier.resyncSlot(slot)
      settled.push(slot)
    }
    this.stableUnsettled = [...this.unsettled.keys()].filter((slot) => !open.has(slot)).length
    if (settled.length === 0) return
    this.resynced += settled.length
    this.resyncedKeys += keys
    const which = settled.length === 1 ? `Slot ${settled[0]}` : `${settled.length} slots (${settled.slice(0, 5).join(', ')}${settled.length > 5 ? ', ...' : ''})`
    this.hooks.note(`${which} of the source cluster moved between masters and settled: ${keys} key(s) copied again from the new owner; commands on them are applied as copies of their keys for the rest of the run.`)
  }
}

function isRestoreAsking(command: Buffer): boolean {
  return command.length === 14 && command.toString('latin1').toLowerCase() === 'restore-asking'
}
