// A whole migration, in order: (online) start following changes -> bulk copy of every source in
// parallel, checkpointed -> (online) catch up on changed keys until the sources are quiet or the
// user says stop (with --cutover: until the lag is near zero) -> verify both ways, re-copy keys
// that changed under the copy, check them again -> (cutover) pause writes, copy the last
// changes, switch twproxy to the cluster, resume writes (cutover.ts).
import {bulkCopySource} from './copy/bulk-copy.js'
import {ChangeFeed} from './changes/keyspace-notifications.js'
import {freshCheckpoint, loadCheckpoint, removeCheckpoint, saveCheckpoint, type CheckpointData} from './checkpoint.js'
import type {ClusterTarget} from './target/cluster-target.js'
import {recopyKeys, type CopyContext} from './copy/copier.js'
import {cutOver, type CutoverOptions, type CutoverResult} from './cutover/cutover.js'
import {keyId} from './key-text.js'
import type {ProgressReporter} from '../cli/migrate-progress.js'
import type {SourceSet} from './source/sources.js'
import type {MigrationStats} from './stats.js'
import {describeMismatch, verifyKeys, verifyMigration, type Mismatch, type MismatchKind} from './verify/verify.js'
import type {WriteOptions} from './target/writer.js'
import {setTimeout as sleep} from 'node:timers/promises'

export interface MigrationOptions {
  write: WriteOptions
  scanCount: number
  /** SCAN pages in flight per source */
  window: number
  online: boolean
  /** online: stop following changes once none arrived for this long (ms) */
  quietMs: number
  checkpointPath: string
  resume: boolean
  verify: boolean
  ttlToleranceMs: number
  progress: ProgressReporter
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
  verify?: VerifySummary
  /** kept when the migration can be resumed */
  checkpoint?: string
  /** with --cutover: the switch, and how long writes were paused */
  cutover?: CutoverResult
}

const REPAIR_ROUNDS = 3
/** --cutover: the catch-up is over once this few keys wait, none for longer than CAUGHT_UP_LAG_MS */
const CAUGHT_UP_PENDING = 100
const CAUGHT_UP_LAG_MS = 500
const REPAIRABLE: MismatchKind[] = ['missing', 'type', 'value', 'ttl']

export async function runMigration(sources: SourceSet, target: ClusterTarget, options: MigrationOptions): Promise<MigrationResult> {
  const addresses = sources.sources.map((s) => s.address.text)
  const started = Date.now()
  const checkpoint: CheckpointData = options.resume
    ? loadCheckpoint(options.checkpointPath, addresses, target.address.text)
    : freshCheckpoint(addresses, target.address.text, options.online)
  const scannedBefore = checkpoint.stats.scanned
  const skipped = new Set<string>((checkpoint.skipped ?? []).map((k) => keyId(Buffer.from(k, 'base64'))))
  const ctx: CopyContext = {sources, target, write: {...options.write, skipped}, stats: checkpoint.stats}
  const progress = options.progress
  const feed = options.online ? new ChangeFeed(sources.sources) : undefined
  let lastSave = 0
  const save = (force = false) => {
    if (!force && Date.now() - lastSave < 500) return
    lastSave = Date.now()
    checkpoint.online = options.online
    checkpoint.skipped = [...skipped].map((id) => Buffer.from(id, 'latin1').toString('base64'))
    checkpoint.dirty = feed ? feed.snapshot().map((k) => k.toString('base64')) : checkpoint.dirty
    saveCheckpoint(options.checkpointPath, checkpoint)
  }

  let total = 0
  for (const source of sources.sources) total += Number(await source.client.dbsize())
  let phase = options.resume ? 'copy (resumed)' : 'copy'
  progress.start(Math.max(total, checkpoint.stats.scanned))
  let verified = -1
  const ticker = setInterval(() => {
    progress.update({done: verified >= 0 ? verified : ctx.stats.scanned, bytes: ctx.stats.bytes, phase})
  }, 200)
  ticker.unref()

  const result: MigrationResult = {
    status: 'done', resumed: options.resume, online: options.online, stats: ctx.stats, seconds: 0, copySeconds: 0,
    keysPerSecond: 0, scannedThisRun: 0, changesSeen: 0, lostChangeFeeds: [],
  }
  try {
    if (feed) {
      // Before the first SCAN, so that no change made during the copy goes unseen.
      await feed.start()
      feed.add(checkpoint.dirty.map((k) => Buffer.from(k, 'base64')))
      if (options.resume && checkpoint.online) {
        progress.note('Resuming an online migration: changes made while it was stopped are found by the final check.')
      }
    }
    save(true)
    const copyStarted = Date.now()
    try {
      await Promise.all(sources.sources.map((source, i) => bulkCopySource(ctx, source, checkpoint.sources[i], {
        scanCount: options.scanCount,
        window: options.window,
        stopRequested: options.stopRequested,
        onCommit: () => save(),
      })))
    } finally {
      save(true)
    }
    result.copySeconds = (Date.now() - copyStarted) / 1000
    result.scannedThisRun = ctx.stats.scanned - scannedBefore
    result.keysPerSecond = Math.round(result.scannedThisRun / Math.max(result.copySeconds, 0.001))
    if (options.stopRequested()) {
      result.status = 'interrupted'
      result.checkpoint = options.checkpointPath
      return result
    }

    if (feed) {
      phase = 'catch-up'
      let lastReport = 0
      for (let round = 0; round < 1e9; round++) {
        const keys = feed.take(1000)
        if (keys.length > 0) await recopyKeys(ctx, keys)
        if (Date.now() - lastReport > 1000) {
          lastReport = Date.now()
          phase = `catch-up: ${feed.pending} pending, lag ${feed.lagMs()} ms`
          save(true)
        }
        // With a cut-over ahead, writes need not stop: a lag near zero is enough, the pause
        // catches the rest.
        if (options.cutover && feed.pending <= CAUGHT_UP_PENDING && feed.lagMs() <= CAUGHT_UP_LAG_MS) break
        if (keys.length === 0) {
          if (options.stopRequested() || Date.now() - feed.lastChangeAt >= options.quietMs) break
          await sleep(20)
        }
      }
      progress.note(options.cutover
        ? `Caught up: ${ctx.stats.recopied} changed keys re-copied, ${ctx.stats.deleted} deleted; ${feed.pending} pending, lag ${feed.lagMs()} ms.`
        : `Caught up: ${ctx.stats.recopied} changed keys re-copied, ${ctx.stats.deleted} deleted; sources quiet for ${Math.round((Date.now() - feed.lastChangeAt) / 1000)} s.`)
      if (options.stopRequested()) {
        result.status = 'interrupted'
        result.checkpoint = options.checkpointPath
        return result
      }
    }

    const verifyOptions = {ttlToleranceMs: options.ttlToleranceMs, scanCount: options.scanCount, recheckDelayMs: 200}
    let inFlux: Buffer[] = []
    if (options.verify) {
      phase = 'verify'
      verified = 0
      const report = await verifyMigration(sources, target, {...verifyOptions, onProgress: (n) => (verified = n)})
      let remaining: Mismatch[] = report.mismatches
      let repaired = 0
      for (let round = 0; round < REPAIR_ROUNDS; round++) {
        const drift = feed ? feed.take(Number.MAX_SAFE_INTEGER) : []
        const repairable = remaining.filter((m) => REPAIRABLE.includes(m.kind) && !skipped.has(keyId(m.key))).map((m) => m.key)
        const keys = [...repairable, ...drift]
        if (keys.length === 0) break
        await recopyKeys(ctx, keys)
        repaired += repairable.length
        const unrepaired = remaining.filter((m) => !repairable.includes(m.key))
        const recheck = await verifyKeys(sources, target, repairable, verifyOptions)
        remaining = [...unrepaired, ...recheck]
      }
      if (feed) {
        // A key that still differs but changed again after it was read is a write in progress,
        // not a lost one: it stays in the feed, to be copied (and, with a cut-over, compared
        // again with writes paused).
        inFlux = remaining.filter((m) => feed.isDirty(m.key)).map((m) => m.key)
        remaining = remaining.filter((m) => !feed.isDirty(m.key))
      }
      const counts: Record<MismatchKind, number> = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}
      for (const m of remaining) counts[m.kind]++
      result.verify = {checked: report.checked, targetKeys: report.targetKeys, counts, repaired, inFlux: inFlux.length, mismatches: remaining.map(describeMismatch)}
      if (remaining.length > 0) result.status = 'mismatches'
    }
    if (feed && options.cutover && result.status === 'done') {
      phase = 'cut-over'
      save(true)
      try {
        result.cutover = await cutOver(ctx, feed, {
          ...options.cutover,
          verify: options.verify ? verifyOptions : undefined,
          inFlux,
          note: (message) => progress.note(message),
        })
      } catch (error) {
        // The copy stays valid: keep the checkpoint so --resume --cutover need not copy again.
        result.checkpoint = options.checkpointPath
        throw error
      }
    }
    if (feed) {
      result.changesSeen = feed.events
      result.lostChangeFeeds = [...feed.lost]
    }
    removeCheckpoint(options.checkpointPath)
    return result
  } finally {
    clearInterval(ticker)
    progress.update({done: verified >= 0 ? verified : ctx.stats.scanned, bytes: ctx.stats.bytes, phase})
    progress.stop()
    if (feed) await feed.stop()
    result.seconds = (Date.now() - started) / 1000
  }
}
