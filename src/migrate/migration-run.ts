// One run of a migration: what it is asked (MigrationOptions), what it reports (MigrationResult),
// and what it holds while its phases (migration.ts) take turns: both ends and the counters (the
// copy context), the checkpoint and how often it is saved, the change feed (online), the
// progress shown, and the result being filled in. The run is opened once and closed once,
// whatever happened in between: that close is the migration's only cleanup path.
import {formatAddress} from '../address.js'
import {keyFromId, keyId} from '../key-text.js'
import type {CaptureMode, CaptureReport, ChangeCapture} from './changes/change-capture.js'
import {openChangeCapture} from './changes/open-capture.js'
import {freshCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointData} from './checkpoint.js'
import type {CopyContext} from './copy/context.js'
import type {CutoverOptions, CutoverResult} from './cutover/cutover.js'
import type {MigrationProgress, ProgressSample} from './progress.js'
import {sourceIdentities, type SourceSet} from './source/sources.js'
import type {MigrationStats} from './stats.js'
import type {MigrationTarget} from './target/migration-target.js'
import type {WriteOptions} from './target/writer.js'
import type {describeMismatch, MismatchKind} from './verify/verify.js'

export interface MigrationOptions {
  write: WriteOptions
  scanCount: number
  /** SCAN pages in flight per source */
  window: number
  online: boolean
  /** online: how changes are followed (undefined: replication where the sources allow it) */
  capture?: CaptureMode
  /** online: stop following changes once none arrived for this long (ms) */
  quietMs: number
  checkpointPath: string
  resume: boolean
  verify: boolean
  ttlToleranceMs: number
  progress: MigrationProgress
  /** true once the user asked to stop (Ctrl-C) */
  stopRequested: () => boolean
  /** switch twproxy's pool to the cluster at the end (needs online) */
  cutover?: Pick<CutoverOptions, 'proxy' | 'pauseLimitMs' | 'switchTimeoutMs'>
}

export interface VerifySummary {
  checked: number
  targetKeys: number
  counts: Record<MismatchKind, number>
  /** keys that differed after the copy (changed while it ran) and were copied again */
  repaired: number
  /**
   * online: keys that still differed after the repair rounds but had changed again since they
   * were read (the change feed says so): not mismatches, writes in progress. A cut-over copies
   * and compares them again with writes paused.
   */
  inFlux: number
  mismatches: Array<ReturnType<typeof describeMismatch>>
}

export interface MigrationResult {
  /** done: copied and verified clean; interrupted: stopped by the user, resumable; mismatches: verify found differences */
  status: 'done' | 'interrupted' | 'mismatches'
  resumed: boolean
  online: boolean
  stats: MigrationStats
  /** wall time of this run, and of its bulk copy */
  seconds: number
  copySeconds: number
  /** keys the bulk copy scanned in this run (less than the total when resumed) */
  scannedThisRun: number
  /** keys the bulk copy scanned per second in this run */
  keysPerSecond: number
  /** online: changes seen, and sources whose change feed dropped (a full check covered them) */
  changesSeen: number
  lostChangeFeeds: string[]
  /** online: how changes were followed, and what that capture reported (resyncs...) */
  capture?: CaptureReport
  verify?: VerifySummary
  /** kept when the migration can be resumed */
  checkpoint?: string
  /** a Sentinel source: the failovers followed during the copy (each source read again from the new master) */
  failovers?: Array<{source: string; from: string; to: string}>
  /** a cluster source: slots that were being moved during the copy, copied apart */
  movingSlots?: number
  /** with --cutover: the switch, and how long writes were paused */
  cutover?: CutoverResult
}

/**
 * The checkpoint is rewritten whole, so at most twice a second while pages commit: a crash then
 * costs at most half a second of copying, copied again on --resume.
 */
const CHECKPOINT_INTERVAL_MS = 500
/** How often the progress bar gets a fresh sample. */
const PROGRESS_INTERVAL_MS = 200

export class MigrationRun {
  readonly ctx: CopyContext
  readonly checkpoint: CheckpointData
  /** online: the changes on the sources since the copy began (openCapture) */
  feed?: ChangeCapture
  /** keys left alone under --on-conflict skip (key ids): repairs leave them alone too */
  readonly skipped: Set<string>
  readonly result: MigrationResult
  /** keys the bulk copy had scanned before this run (a resumed migration) */
  readonly scannedBefore: number
  /** shown next to the bar: "copy", "catch-up: ...", "verify", "cut-over" */
  phase: string
  /** keys verified so far, once verify has begun (the bar counts those instead of scanned keys) */
  verified: number | undefined
  /** the run is over and its checkpoint removed: nothing will resume it */
  finished = false
  private readonly startedAt = Date.now()
  private lastSave = 0
  private ticker?: NodeJS.Timeout
  private showing = false

  constructor(sources: SourceSet, target: MigrationTarget, readonly options: MigrationOptions) {
    const addresses = sourceIdentities(sources)
    const targetAddress = formatAddress(target.address)
    this.checkpoint = options.resume
      ? loadCheckpoint(options.checkpointPath, addresses, targetAddress)
      : freshCheckpoint(addresses, targetAddress, options.online)
    if (options.resume && sources.kind === 'sentinel') {
      // A cursor is only good on the server that gave it; the group's master may have changed.
      for (const position of this.checkpoint.sources) if (!position.done) position.cursor = '0'
    }
    this.scannedBefore = this.checkpoint.stats.scanned
    this.skipped = new Set((this.checkpoint.skipped ?? []).map((k) => keyId(Buffer.from(k, 'base64'))))
    this.ctx = {sources, target, write: {...options.write, skipped: this.skipped}, stats: this.checkpoint.stats}
    this.phase = options.resume ? 'copy (resumed)' : 'copy'
    this.result = {
      status: 'done', resumed: options.resume, online: options.online, stats: this.ctx.stats, seconds: 0, copySeconds: 0,
      keysPerSecond: 0, scannedThisRun: 0, changesSeen: 0, lostChangeFeeds: [],
    }
  }

  /** Online: starts following changes (replication, or notifications as the fallback). */
  async openCapture(): Promise<ChangeCapture> {
    this.feed = await openChangeCapture(this.options.capture, {
      ctx: this.ctx, checkpoint: this.checkpoint, stopRequested: this.options.stopRequested,
      note: (message) => this.options.progress.note(message), save: (force) => this.save(force),
    })
    return this.feed
  }

  /** Starts the progress display, sized by the keys the sources hold now. */
  async showProgress(): Promise<void> {
    let total = 0
    for (const source of this.ctx.sources.sources) total += Number(await source.client.dbsize())
    this.options.progress.start(Math.max(total, this.checkpoint.stats.scanned))
    this.showing = true
    this.ticker = setInterval(() => this.options.progress.update(this.sample()), PROGRESS_INTERVAL_MS)
    this.ticker.unref()
  }

  /** Saves the checkpoint; unless `force`, only when the last save is CHECKPOINT_INTERVAL_MS old. */
  save(force = false): void {
    if (!force && Date.now() - this.lastSave < CHECKPOINT_INTERVAL_MS) return
    this.lastSave = Date.now()
    const checkpoint = this.checkpoint
    checkpoint.online = this.options.online
    if (this.feed) checkpoint.capture = this.feed.mode
    checkpoint.skipped = [...this.skipped].map((id) => keyFromId(id).toString('base64'))
    checkpoint.dirty = this.feed ? this.feed.snapshot().map((k) => k.toString('base64')) : checkpoint.dirty
    saveCheckpoint(this.options.checkpointPath, checkpoint)
  }

  /** The user asked to stop: the result says so, with the checkpoint to resume from. */
  interrupted(): MigrationResult {
    this.result.status = 'interrupted'
    this.result.checkpoint = this.options.checkpointPath
    return this.result
  }

  /** The one cleanup path: the last progress sample, the feed unsubscribed, the run's wall time. */
  async close(): Promise<void> {
    clearInterval(this.ticker)
    if (this.showing) {
      this.options.progress.update(this.sample())
      this.options.progress.stop()
    }
    if (this.feed) {
      await this.feed.stop(this.finished)
      this.result.capture = this.feed.report()
    }
    // a stopped replication capture has just recorded the offset it applied up to
    if (this.result.status === 'interrupted') this.save(true)
    this.result.seconds = (Date.now() - this.startedAt) / 1000
  }

  private sample(): ProgressSample {
    return {done: this.verified ?? this.ctx.stats.scanned, bytes: this.ctx.stats.bytes, phase: this.phase}
  }
}
