// One source followed as its replica, through every phase: the link opened (a partial resync from
// a saved position, or a new snapshot), the snapshot loaded, the stream parsed and applied, REPLCONF
// ACK every second, and a lost connection taken up again from the offset applied (PSYNC: +CONTINUE
// when the source's backlog still holds it; otherwise a new snapshot, said plainly). A Sentinel
// group's master that fails over is followed to the new master: it continues the stream when it
// holds the offset applied (PSYNC2 keeps the old replication id), else sends a new snapshot; so
// is a cluster source's master, to the master that took over its slots (source/cluster-failover.ts).
import {setTimeout as sleep} from 'node:timers/promises'
import {formatAddress} from '../../address.js'
import {UserError} from '../../errors.js'
import {CommandStreamReader} from '../../protocol/command-stream.js'
import type {ReplicationPosition} from '../checkpoint.js'
import type {CopyContext} from '../copy/context.js'
import type {Source} from '../source/sources.js'
import {newEpoch, SourceMarks} from './applied-marks.js'
import {EOF_MARK_BYTES, ReplicaLink, type PsyncAnswer} from './replica-link.js'
import {SnapshotLoader} from './snapshot-loader.js'
import {removeKeysNotInSnapshot} from './stale-keys.js'
import {StreamApplier, type ApplierHooks, type ResumedMarks} from './stream-applier.js'

const ACK_INTERVAL_MS = 1000
const RECONNECT_ATTEMPTS = 10
/** failovers a Sentinel source may go through while its snapshot loads */
const SNAPSHOT_FAILOVERS = 5

export interface FollowerOptions {
  note: (message: string) => void
  /** a position was applied (the checkpoint records it) */
  positioned: (position: ReplicationPosition) => void
  /** the snapshot is loaded: the checkpoint marks the source copied */
  snapshotLoaded: () => void
  /** the stream cannot go on (a command that cannot be applied, or the link lost for good) */
  failed: (error: Error) => void
  stopRequested: () => boolean
  eof: boolean
  /** a cluster source: slots whose snapshot keys replace what the target holds (slot-motion.ts) */
  replaceInSlot?: (slot: number) => boolean
}

export class SourceFollower {
  position: ReplicationPosition | undefined
  applier: StreamApplier | undefined
  /** the source's master_repl_offset, polled every second */
  masterOffset = 0
  /** partial resyncs (+CONTINUE) and new snapshots (+FULLRESYNC) taken by this run */
  partialResyncs = 0
  fullResyncs = 0
  private link: ReplicaLink | undefined
  private answer: PsyncAnswer | undefined
  private loader: SnapshotLoader | undefined
  private ticker: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private closed = false

  constructor(private readonly ctx: CopyContext, readonly source: Source, private readonly hooks: Omit<ApplierHooks, 'ack' | 'applied'>,
    private readonly options: FollowerOptions) {}

  /** the source as people know it (a Sentinel source's address changes with a failover) */
  get name(): string {
    const address = formatAddress(this.source.address)
    return this.source.name === address ? address : `${this.source.name} (${address})`
  }

  /** Opens the link: from `saved` (partial resync) when given, else for a new snapshot. */
  async open(saved: ReplicationPosition | undefined): Promise<void> {
    const from = saved?.snapshotLoaded ? {replid: saved.replid, offset: saved.offset} : undefined
    if (saved && !saved.snapshotLoaded && this.fullResyncs + this.partialResyncs === 0) this.options.note(`The snapshot of ${this.name} was not finished when the migration stopped: taking a new one.`)
    const {link, answer} = await ReplicaLink.open(this.source.address, {password: this.source.password}, from, {eof: this.options.eof})
    this.link = link
    this.answer = answer
    if (answer.kind === 'continue') {
      this.partialResyncs++
      // a checkpoint written before the applied marks has no epoch: no marks to read then
      const position = {...(saved as ReplicationPosition), replid: answer.replid, epoch: saved?.epoch ?? newEpoch()}
      this.options.note(`Continuing ${this.name} from replication offset ${position.offset} (partial resync: its backlog still held the changes since).`)
      // the first open of this run: what the target already holds past the checkpoint's offset
      const resumed = this.applier ? undefined : await new SourceMarks(this.source.name, position.epoch).read(this.ctx.target.client)
      this.startStream(position, resumed)
    } else {
      this.fullResyncs++
      this.position = {replid: answer.replid, offset: answer.offset, db: -1, snapshotLoaded: false, epoch: newEpoch()}
      this.options.positioned(this.position)
      if (from) this.options.note(`${this.name} no longer holds replication offset ${from.offset} in its backlog (repl-backlog-size too small for the time stopped, or it restarted): taking a new snapshot of it. The keys it deleted since are removed from the cluster once the snapshot is loaded.`)
      // a snapshot over keys of an earlier one: what it lacks was deleted on the source meanwhile
      const again = saved !== undefined
      this.loader = new SnapshotLoader(this.ctx, this.source, link, {replace: again || this.ctx.stats.copied > 0, collectKeys: again, stopRequested: this.options.stopRequested, replaceInSlot: this.options.replaceInSlot})
      const loader = this.loader
      link.start({
        snapshot: (chunk) => loader.append(chunk),
        stream: (chunk) => this.streamBytes(chunk),
        closed: (error) => (this.loader ? this.loader.fail(error ?? new Error('closed')) : this.linkLost(error)),
      }, true)
    }
    this.ticker ??= setInterval(() => this.tick(), ACK_INTERVAL_MS)
    this.ticker.unref()
  }

  /** whether open() asked for a snapshot that loadSnapshot() has not loaded yet */
  get needsSnapshot(): boolean {
    return this.loader !== undefined
  }

  /**
   * loadSnapshot(); a Sentinel source that fails over meanwhile is followed to its new master,
   * whose snapshot is loaded instead (over the keys already written: what it lacks is removed).
   */
  async loadSnapshotFollowingFailovers(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.loadSnapshot()
      } catch (error) {
        if (this.closed || attempt >= SNAPSHOT_FAILOVERS || !(await this.followFailover())) throw error
        this.link?.close()
        await this.open({...(this.position as ReplicationPosition), snapshotLoaded: false})
      }
    }
  }

  /** A Sentinel source (or a cluster source's master): re-pointed at the master now; whether it moved. */
  private async followFailover(): Promise<boolean> {
    const failover = this.source.failover ?? this.ctx.sources.failover
    if (!failover) return false
    const moved = await failover.follow()
    if (!moved) return false
    this.options.note(`Master ${this.source.name} failed over from ${moved.from} to ${moved.to}: following ${moved.to} as its replica (it continues the stream when it holds the offset applied, else it sends a new snapshot).`)
    return true
  }

  /** Loads the snapshot (after +FULLRESYNC), then starts the stream. False when stopped (Ctrl-C). */
  async loadSnapshot(): Promise<boolean> {
    const loader = this.loader as SnapshotLoader
    const answer = this.answer as Extract<PsyncAnswer, {kind: 'full'}>
    let loaded
    try {
      loaded = await loader.load()
    } catch (error) {
      if (error instanceof UserError) throw error
      throw new UserError(`The snapshot of ${this.name} could not be loaded (${(error as Error).message}): run the same command with --resume.`, {cause: error})
    }
    if (!loaded) return false
    for (const code of loaded.functions) {
      for (const node of this.ctx.target.client.nodes('master')) await node.call('FUNCTION', 'LOAD', 'REPLACE', code)
    }
    if (loader.keys) {
      // before the stream is applied: nothing written since the snapshot can be taken for stale
      const removed = await removeKeysNotInSnapshot(this.ctx, this.source, loader.keys)
      if (removed > 0) this.options.note(`Removed ${removed} key(s) from the cluster that ${this.name} no longer holds (deleted on it while twlab was not following it; its new snapshot lacks them).`)
    }
    // from here to snapshotEnded, no await: every byte received after the RDB is in streamStart
    let streamStart = loader.takeTrailing()
    const mark = this.link?.eofMark
    if (mark) {
      if (!streamStart.subarray(0, EOF_MARK_BYTES).equals(mark)) throw new UserError(`The snapshot of ${this.name} did not end with the mark it announced: run again with --resume.`)
      streamStart = streamStart.subarray(EOF_MARK_BYTES)
    }
    this.loader = undefined
    this.startStream({replid: answer.replid, offset: answer.offset, db: -1, snapshotLoaded: true, epoch: this.position?.epoch ?? newEpoch()})
    // A master starts the stream on the first ACK after it has seen the snapshot out, which may be
    // a moment after its last byte arrived here: ack now and again shortly, not only every second.
    this.link?.ack(answer.offset)
    setTimeout(() => this.link?.ack(this.applier?.appliedOffset ?? answer.offset), 50).unref()
    this.link?.snapshotEnded(streamStart)
    this.options.snapshotLoaded()
    return true
  }

  private reader: CommandStreamReader | undefined

  private startStream(position: ReplicationPosition, resumed?: ResumedMarks): void {
    this.position = position
    this.options.positioned(position)
    this.reader = new CommandStreamReader(position.offset)
    const state = {db: position.db}
    const marks = new SourceMarks(this.source.name, position.epoch as string)
    if (!this.applier) {
      this.applier = new StreamApplier(this.ctx, this.source, state, position.offset, marks, {
        ...this.hooks,
        ack: (offset) => this.link?.ack(offset),
        applied: (offset) => this.applied(offset),
      }, resumed)
      this.running = this.applier.run().catch((error: Error) => this.options.failed(error))
    } else {
      this.applier.state.db = position.db
      this.applier.appliedOffset = position.offset
      this.applier.marks = marks
    }
    if (this.answer?.kind === 'continue') {
      this.link?.start({
        snapshot: () => {},
        stream: (chunk) => this.streamBytes(chunk),
        closed: (error) => this.linkLost(error),
      }, false)
    }
  }

  private applied(offset: number): void {
    if (!this.position) return
    this.position.offset = offset
    this.position.db = (this.applier as StreamApplier).state.db
    this.options.positioned(this.position)
  }

  private streamBytes(chunk: Buffer): void {
    const reader = this.reader as CommandStreamReader
    const applier = this.applier as StreamApplier
    reader.append(chunk)
    for (let command = reader.next(); command; command = reader.next()) applier.push(command)
  }

  private tick(): void {
    if (this.applier && this.position) this.link?.ack(this.applier.appliedOffset)
    this.source.client.info('replication').then((info) => {
      const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1])
      if (Number.isFinite(offset)) this.masterOffset = offset
    }, () => {})
  }

  /** The link dropped during the stream: continue from the applied offset, a few times at most. */
  private linkLost(error: Error | undefined): void {
    if (this.closed || !error) return
    void this.reconnect(error)
  }

  private async reconnect(cause: Error): Promise<void> {
    const applier = this.applier as StreamApplier
    this.options.note(`The replication link to ${this.name} dropped (${cause.message}); reconnecting from offset ${applier.appliedOffset}...`)
    for (let attempt = 0; attempt < RECONNECT_ATTEMPTS && !this.closed; attempt++) {
      // the round in flight finishes first; what was received after it is asked for again
      for (let wait = 0; wait < 600 && applier.pending > 0 && applier.inRound; wait++) await sleep(50)
      applier.discardPending()
      const position = {...(this.position as ReplicationPosition), offset: applier.appliedOffset, db: applier.state.db}
      try {
        await this.followFailover()
        await this.open(position)
        if (this.needsSnapshot) await this.loadSnapshot()
        return
      } catch (error) {
        if (error instanceof UserError) return this.options.failed(error)
        await sleep(Math.min(500 * 2 ** attempt, 5000))
      }
    }
    this.options.failed(new UserError(`The replication link to ${this.name} dropped and could not be opened again: run the same command with --resume.`, {cause}))
  }

  /**
   * A cluster source's master that is no longer one (the slot map says so): the link is ended as
   * if it dropped, and taken up again on the master that took over (followFailover).
   */
  followMovedMaster(): void {
    if (!this.closed) this.link?.drop(new Error('it is no longer a master of the cluster'))
  }

  /** Stops reading and applying; resolves once the round in flight is done. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.ticker)
    this.applier?.close()
    this.link?.close()
    await this.running
  }
}
