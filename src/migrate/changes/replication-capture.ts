// Change capture by replication: twlab is a replica of every source (source-follower.ts). Their
// snapshots replace the SCAN copy, their streams are applied as they come, and the checkpoint
// keeps each source's replication id and applied offset so that --resume continues with a partial
// resync. The lag is measured in replication offset: the sources' master_repl_offset against the
// offset applied to the target; the cut-over's barrier waits until they meet. A cluster source:
// one follower per master, its slot map watched for slots moving between them (slot-motion.ts)
// and for masters failing over.
import {setTimeout as sleep} from 'node:timers/promises'
import {UserError} from '../../errors.js'
import {keyId} from '../../key-text.js'
import type {ReplicationPosition} from '../checkpoint.js'
import {existsOn} from '../source/reader.js'
import {removeAppliedMarks} from './applied-marks.js'
import type {CaptureContext, CaptureReport, ChangeCapture} from './change-capture.js'
import {keySlot} from '../../hashing/index.js'
import {SlotMotion} from './slot-motion.js'
import {SlotRecopier} from './slot-recopy.js'
import {SourceFollower} from './source-follower.js'

/** a key applied this recently still counts as changing (verify's in-flux test) */
const DIRTY_WINDOW_MS = 3000
/** the cut-over's barrier gives up after this long */
const BARRIER_TIMEOUT_MS = 30_000

export class ReplicationCapture implements ChangeCapture {
  readonly mode = 'replication' as const
  readonly copiesSnapshot = true
  readonly lost = new Set<string>()
  private followers: SourceFollower[] = []
  private failure: Error | undefined
  /** per source: key id -> the offset it was last read again at */
  private readonly readOffsets = new Map<number, Map<string, number>>()
  private readonly touchedAt = new Map<string, number>()
  private lastPrune = Date.now()
  /** quiet is counted from when the streams started (the end of the snapshots), not before */
  private streamsSince = Date.now()

  constructor(private readonly context: CaptureContext) {}

  private readonly notes: string[] = []
  /** a cluster source: its slots moving between masters (slot-motion.ts) */
  private motion: SlotMotion | undefined
  private recopier: SlotRecopier | undefined

  private note(message: string): void {
    this.notes.push(message)
    this.context.note(message)
  }

  async start(): Promise<void> {
    const {ctx, checkpoint} = this.context
    const note = (message: string) => this.note(message)
    await this.watchSlotMotion()
    const saved = checkpoint.replication ?? []
    checkpoint.replication = ctx.sources.sources.map((_, i) => saved[i] ?? null)
    this.followers = ctx.sources.sources.map((source, i) => new SourceFollower(ctx, source, {
      readAt: (index, key, offset) => this.readAt(index, key, offset),
      skipUntil: (index, key) => this.readOffsets.get(index)?.get(keyId(key)),
      touched: (key) => this.touchedAt.set(keyId(key), Date.now()),
      moving: (slot, command) => this.motion?.claims(slot, i, command) ?? false,
      recopyMoving: (keys) => (this.recopier as SlotRecopier).recopy(keys),
    }, {
      note,
      positioned: (position: ReplicationPosition) => ((checkpoint.replication as Array<ReplicationPosition | null>)[i] = {...position}),
      snapshotLoaded: () => {
        this.motion?.snapshotReloaded()
        checkpoint.sources[i].done = true
        checkpoint.sources[i].cursor = '0'
        this.context.save(true)
      },
      failed: (error) => this.fail(source.name, error),
      stopRequested: this.context.stopRequested,
      eof: false,
      replaceInSlot: (slot) => this.motion?.isMoved(slot) ?? false,
    }))
    await Promise.all(this.followers.map((follower, i) => follower.open(saved[i] ?? undefined)))
  }

  async copySnapshot(): Promise<void> {
    const loading = this.followers.filter((f) => f.needsSnapshot)
    if (loading.length > 0) {
      this.context.note(`Loading the snapshot${loading.length > 1 ? 's' : ''} of ${loading.map((f) => f.name).join(', ')} (replication: each source sends its RDB)...`)
    }
    await Promise.all(loading.map((follower) => follower.loadSnapshotFollowingFailovers()))
    this.motion?.streamsStarted()
    this.streamsSince = Date.now()
    this.throwIfFailed()
  }

  /**
   * A cluster source: its slot map watched, so that slots moving between its masters reach the
   * target as copies of their keys (slot-motion.ts), and a master that fails over is followed.
   */
  private async watchSlotMotion(): Promise<void> {
    const {ctx, checkpoint} = this.context
    const view = ctx.sources.clusterView
    if (!view) return
    this.recopier = new SlotRecopier(ctx, view)
    this.motion = new SlotMotion(view, ctx.sources.sources, this.recopier, {
      note: (message) => this.note(message),
      failed: (error) => this.fail('the source cluster', error),
      relink: (index) => this.followers[index]?.followMovedMaster(),
      rounds: () => ctx.sources.sources.map((_, i) => ({begun: this.followers[i]?.applier?.roundsBegun ?? 0, done: this.followers[i]?.applier?.roundsDone ?? 0})),
      moved: (slots) => {
        checkpoint.movedSlots = slots
        this.context.save(true) // before any key of them is copied: a resumed run treats them as moved too
      },
    })
    await this.motion.start(checkpoint.movedSlots ?? [])
  }

  private fail(source: string, error: Error): void {
    this.failure ??= error
    this.lost.add(source)
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure
  }

  private readAt(index: number, key: Buffer, offset: number): void {
    let offsets = this.readOffsets.get(index)
    if (!offsets) this.readOffsets.set(index, (offsets = new Map()))
    offsets.set(keyId(key), offset)
  }

  get events(): number {
    return this.followers.reduce((sum, f) => sum + (f.applier?.events ?? 0), 0)
  }

  /** now while changes wait to be applied: the sources are not quiet until the target has them */
  get lastChangeAt(): number {
    if (this.pending > 0) return Date.now()
    return Math.max(this.streamsSince, ...this.followers.map((f) => f.applier?.lastChangeAt ?? 0))
  }

  /** commands received and not applied, and a cluster source's settled slots not yet re-synced */
  get pending(): number {
    return this.followers.reduce((sum, f) => sum + (f.applier?.pending ?? 0), this.motion?.settling ?? 0)
  }

  lagMs(): number {
    return Math.max(0, ...this.followers.map((f) => f.applier?.lagMs() ?? 0))
  }

  /** bytes of stream the target is behind the sources (master_repl_offset - applied), all sources */
  lagBytes(): number {
    return this.followers.reduce((sum, f) => sum + Math.max(0, f.masterOffset - (f.applier?.appliedOffset ?? f.masterOffset)), 0)
  }

  lagText(): string {
    return `${this.lagBytes()} bytes of replication stream behind, ${this.pending} commands queued`
  }

  add(): void {
    // a resumed checkpoint's changed keys: the stream (or a new snapshot) brings them again
  }

  isDirty(key: Buffer): boolean {
    const at = this.touchedAt.get(keyId(key))
    return at !== undefined && Date.now() - at < DIRTY_WINDOW_MS
  }

  take(): Buffer[] {
    this.throwIfFailed()
    if (Date.now() - this.lastPrune > DIRTY_WINDOW_MS) {
      this.lastPrune = Date.now()
      for (const [id, at] of this.touchedAt) if (this.lastPrune - at >= DIRTY_WINDOW_MS) this.touchedAt.delete(id)
    }
    return []
  }

  /** Each key copied again by the applier of the source that holds it (the owner, else the first listed). */
  async recopy(keys: Buffer[]): Promise<void> {
    this.throwIfFailed()
    const {sources, ownerOf} = this.context.ctx.sources
    const byFollower = new Map<SourceFollower, Buffer[]>()
    const moved = keys.filter((key) => this.motion?.isMoved(keySlot(key)))
    if (moved.length > 0) await (this.recopier as SlotRecopier).recopy(moved)
    let unplaced = moved.length > 0 ? keys.filter((key) => !this.motion?.isMoved(keySlot(key))) : keys
    if (ownerOf) {
      for (const key of keys) this.queueFor(byFollower, this.followers[ownerOf(key)], key)
      unplaced = []
    }
    for (const source of sources) {
      if (unplaced.length === 0) break
      const present = await existsOn(source, unplaced)
      for (const [i, key] of unplaced.entries()) if (present[i]) this.queueFor(byFollower, this.followers[source.index], key)
      unplaced = unplaced.filter((_, i) => !present[i])
    }
    for (const key of unplaced) this.queueFor(byFollower, this.followers[0], key) // gone everywhere: deleted
    await Promise.all([...byFollower].map(([follower, list]) => (follower.applier ? follower.applier.recopy(list) : Promise.resolve())))
  }

  private queueFor(map: Map<SourceFollower, Buffer[]>, follower: SourceFollower, key: Buffer): void {
    let list = map.get(follower)
    if (!list) map.set(follower, (list = []))
    list.push(key)
  }

  /** Waits until every source's stream is applied up to its master_repl_offset as of now. */
  async barrier(): Promise<void> {
    this.throwIfFailed()
    await Promise.all(this.followers.map(async (follower) => {
      const info = await follower.source.client.info('replication')
      const target = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? 0)
      const deadline = Date.now() + BARRIER_TIMEOUT_MS
      for (let round = 0; round < 1e6; round++) {
        this.throwIfFailed()
        const applied = follower.applier?.appliedOffset ?? 0
        if (applied >= target) return
        if (Date.now() > deadline) {
          throw new UserError(`The stream of ${follower.name} was not applied up to offset ${target} within ${BARRIER_TIMEOUT_MS / 1000} s (applied: ${applied}).`)
        }
        await sleep(5)
      }
    }))
  }

  snapshot(): Buffer[] {
    return []
  }

  report(): CaptureReport {
    return {
      mode: this.mode,
      notes: this.notes,
      partialResyncs: this.followers.reduce((sum, f) => sum + f.partialResyncs, 0),
      fullResyncs: this.followers.reduce((sum, f) => sum + f.fullResyncs, 0),
      refusedCommands: this.followers.reduce((sum, f) => sum + (f.applier?.refused ?? 0), 0),
      ...(this.motion ? {movedSlots: this.motion.movedSlots(), resyncedSlots: this.motion.resynced} : {}),
    }
  }

  /** Stops every follower; `finished`: the migration is done, the target's applied marks go too. */
  async stop(finished = false): Promise<void> {
    await this.motion?.stop()
    await Promise.all(this.followers.map((follower) => follower.close()))
    if (finished && !this.failure) await removeAppliedMarks(this.context.ctx.target.client)
  }
}
