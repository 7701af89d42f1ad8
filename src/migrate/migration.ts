// A whole migration, in order: (online) start following changes -> bulk copy of every source in
// parallel, checkpointed -> (online) catch up on changed keys until the sources are quiet or the
// user says stop (with --cutover: until the lag is near zero) -> verify both ways, re-copy keys
// that changed under the copy, check them again -> (cutover) pause writes, copy the last
// changes, switch twproxy to the cluster, resume writes (cutover.ts).
import {setTimeout as sleep} from 'node:timers/promises'
import {keyId} from '../key-text.js'
import type {ChangeCapture} from './changes/change-capture.js'
import {removeCheckpoint} from './checkpoint.js'
import {bulkCopySource} from './copy/bulk-copy.js'
import {recopyKeys} from './copy/copier.js'
import {cutOver, type CutoverOptions} from './cutover/cutover.js'
import {MigrationRun, type MigrationOptions, type MigrationResult} from './migration-run.js'
import type {SourceCursor} from './checkpoint.js'
import {UserError} from '../errors.js'
import {readKeys} from './source/reader.js'
import type {OpenSlotPass, Source, SourceSet} from './source/sources.js'
import {writeRecords} from './target/writer.js'
import type {MigrationTarget} from './target/migration-target.js'
import {describeMismatch, verifyKeys, verifyMigration, type Mismatch, type MismatchKind, type VerifyOptions} from './verify/verify.js'

export type {MigrationOptions, MigrationResult, VerifySummary} from './migration-run.js'

/** Rounds of re-copying keys that verify found different, each followed by a re-check. */
const REPAIR_ROUNDS = 3
const REPAIRABLE: MismatchKind[] = ['missing', 'type', 'value', 'ttl']
/** --cutover: the catch-up is over once this few keys wait, none for longer than CAUGHT_UP_LAG_MS */
const CAUGHT_UP_PENDING = 100
const CAUGHT_UP_LAG_MS = 500
/** changed keys re-copied per round of the catch-up */
const CATCH_UP_BATCH = 1000
/** the catch-up's wait for new changes when none is pending */
const CATCH_UP_IDLE_MS = 20
/** how often the catch-up refreshes its phase line and saves the checkpoint */
const CATCH_UP_REPORT_MS = 1000
/**
 * Inside a run, a key that differs is checked again after this short pause only: the repair
 * rounds that follow re-copy and re-check whatever a write in flight left different.
 */
const IN_RUN_RECHECK_DELAY_MS = 200

export async function runMigration(sources: SourceSet, target: MigrationTarget, options: MigrationOptions): Promise<MigrationResult> {
  const run = new MigrationRun(sources, target, options)
  try {
    await run.showProgress()
    if (options.online) await followChanges(run, await run.openCapture())
    await bulkCopy(run)
    if (options.stopRequested()) return run.interrupted()
    if (run.feed) {
      await catchUp(run, run.feed)
      if (options.stopRequested()) return run.interrupted()
    }
    const verifyOptions: VerifyOptions = {ttlToleranceMs: options.ttlToleranceMs, scanCount: options.scanCount, recheckDelayMs: IN_RUN_RECHECK_DELAY_MS, everyExpiry: options.online}
    const inFlux = options.verify ? await verifyFollowingFailovers(run, verifyOptions) : []
    if (run.feed && options.cutover && run.result.status === 'done') {
      await switchProxy(run, run.feed, {...options.cutover, verify: options.verify ? verifyOptions : undefined, inFlux})
    }
    if (run.feed) {
      run.result.changesSeen = run.feed.events
      run.result.lostChangeFeeds = [...run.feed.lost]
    }
    removeCheckpoint(options.checkpointPath)
    run.finished = true
    return run.result
  } finally {
    await run.close()
  }
}

/** Online: subscribe before the first SCAN, so that no change made during the copy goes unseen. */
async function followChanges(run: MigrationRun, feed: ChangeCapture): Promise<void> {
  feed.add(run.checkpoint.dirty.map((k) => Buffer.from(k, 'base64')))
  if (run.options.resume && run.checkpoint.online && feed.mode === 'notifications') {
    run.options.progress.note('Resuming an online migration: changes made while it was stopped are found by the final check.')
  }
}

/**
 * Every source scanned and copied in parallel, the checkpoint saved as pages commit; then, for a
 * cluster source, the slots that were moving (cluster-slots.ts).
 */
async function bulkCopy(run: MigrationRun): Promise<void> {
  const {ctx, options, result} = run
  run.save(true)
  const copyStarted = Date.now()
  try {
    if (run.feed?.copiesSnapshot) await run.feed.copySnapshot()
    else {
      await Promise.all(ctx.sources.sources.map((source, i) => copyFollowingFailovers(run, source, run.checkpoint.sources[i])))
      if (ctx.sources.openSlots && !options.stopRequested()) await copyOpenSlots(run, ctx.sources.openSlots)
    }
  } finally {
    run.save(true)
  }
  result.copySeconds = (Date.now() - copyStarted) / 1000
  result.scannedThisRun = ctx.stats.scanned - run.scannedBefore
  result.keysPerSecond = Math.round(result.scannedThisRun / Math.max(result.copySeconds, 0.001))
}

/** Failovers a Sentinel source may go through during one copy. */
const MAX_FAILOVERS = 5

/**
 * One source's bulk copy. A Sentinel source whose master fails over mid-copy is read again from
 * the start on the new master: a SCAN cursor means nothing on another server, and the old master
 * may have acknowledged writes it never passed on. Keys already copied are recognised as
 * identical (RESTORE without REPLACE meets the same value), so reading again costs reads only.
 */
async function copyFollowingFailovers(run: MigrationRun, source: Source, position: SourceCursor): Promise<void> {
  const {ctx, options} = run
  const failover = ctx.sources.failover
  for (let attempt = 0; attempt <= MAX_FAILOVERS; attempt++) {
    let failure: unknown
    try {
      await bulkCopySource(ctx, source, position, {
        scanCount: options.scanCount,
        window: options.window,
        stopRequested: () => options.stopRequested() || (failover?.pending ?? false),
        onCommit: () => run.save(),
      })
    } catch (error) {
      failure = error
    }
    if (!failover || options.stopRequested()) {
      if (failure) throw failure
      return
    }
    if (!failure && !failover.pending) return
    const moved = await failover.follow()
    if (!moved) {
      if (failure) throw failure
      continue
    }
    restartAfterFailover(run, source, moved, 'the copy')
  }
  throw new UserError(`Master ${source.name} failed over more than ${MAX_FAILOVERS} times during the copy: run again with --resume once the group is stable.`)
}

/** Records a followed failover, says so, and makes every source's copy start again from the beginning. */
function restartAfterFailover(run: MigrationRun, source: Source, moved: {from: string; to: string}, during: string): void {
  run.result.failovers = [...(run.result.failovers ?? []), {source: source.name, ...moved}]
  run.options.progress.note(`Master ${source.name} failed over from ${moved.from} to ${moved.to} during ${during}: reading it again from the start on ${moved.to} (keys already copied are recognised as identical; writes ${moved.from} acknowledged but had not replicated are lost on the source itself, and verify reports them).`)
  for (const position of run.checkpoint.sources) {
    position.cursor = '0'
    position.done = false
  }
  run.save(true)
}

/**
 * Verify (and repair); a Sentinel source that fails over meanwhile is copied again from its new
 * master (what the old one held and the new one lacks shows as extra keys), then verified again.
 */
async function verifyFollowingFailovers(run: MigrationRun, verifyOptions: VerifyOptions): Promise<Buffer[]> {
  const failover = run.ctx.sources.failover
  for (let attempt = 0; attempt < MAX_FAILOVERS; attempt++) {
    try {
      return await verifyAndRepair(run, verifyOptions)
    } catch (error) {
      const moved = failover && !run.options.stopRequested() ? await failover.follow() : undefined
      if (!moved) throw error
      restartAfterFailover(run, run.ctx.sources.sources[0], moved, 'the verification')
      await bulkCopy(run)
    }
  }
  return verifyAndRepair(run, verifyOptions)
}

/** A cluster source: every key of the slots that were moving, read where they move from, then to. */
async function copyOpenSlots(run: MigrationRun, pass: OpenSlotPass): Promise<void> {
  const {ctx} = run
  run.phase = 'moving slots'
  const slots = await pass.copy(async (source, keys) => {
    ctx.stats.scanned += keys.length
    const records = await readKeys(source, keys)
    await writeRecords(source, ctx.target.client, records.filter((r) => r.payload), ctx.write, ctx.stats)
  })
  run.result.movingSlots = slots
  if (slots > 0) run.options.progress.note(`${slots} slot(s) of the source cluster were moving during the copy: their keys were copied from where they moved from, then to.`)
}

/**
 * Online: re-copies changed keys until the sources are quiet for --quiet-for (or the user says
 * stop); with a cut-over ahead, until the lag is near zero, since the pause catches the rest.
 */
async function catchUp(run: MigrationRun, feed: ChangeCapture): Promise<void> {
  const {ctx, options} = run
  run.phase = 'catch-up'
  let lastReport = 0
  for (let round = 0; round < 1e9; round++) {
    const keys = feed.take(CATCH_UP_BATCH)
    if (keys.length > 0) await recopyKeys(ctx, keys)
    if (Date.now() - lastReport > CATCH_UP_REPORT_MS) {
      lastReport = Date.now()
      run.phase = `catch-up: ${feed.lagText()}`
      run.save(true)
    }
    if (options.cutover && feed.pending <= CAUGHT_UP_PENDING && feed.lagMs() <= CAUGHT_UP_LAG_MS) break
    if (keys.length === 0) {
      if (options.stopRequested() || Date.now() - feed.lastChangeAt >= options.quietMs) break
      await sleep(CATCH_UP_IDLE_MS)
    }
  }
  options.progress.note(options.cutover
    ? `Caught up: ${feed.events} changes applied, ${ctx.stats.recopied} keys re-copied, ${ctx.stats.deleted} deleted; ${feed.lagText()}.`
    : `Caught up: ${feed.events} changes applied, ${ctx.stats.recopied} keys re-copied, ${ctx.stats.deleted} deleted; sources quiet for ${Math.round((Date.now() - feed.lastChangeAt) / 1000)} s.`)
}

/**
 * Every key compared both ways; keys that differ (changed under the copy) are copied again and
 * re-checked, up to REPAIR_ROUNDS times. Fills in result.verify; returns the keys that still
 * differ because they are being written right now (online), for a cut-over to compare again.
 */
async function verifyAndRepair(run: MigrationRun, verifyOptions: VerifyOptions): Promise<Buffer[]> {
  const {ctx, feed, skipped, result} = run
  run.phase = 'verify'
  run.verified = 0
  const report = await verifyMigration(ctx.sources, ctx.target, {...verifyOptions, onProgress: (n) => (run.verified = n)})
  let remaining: Mismatch[] = report.mismatches
  let repaired = 0
  for (let round = 0; round < REPAIR_ROUNDS; round++) {
    const drift = feed ? feed.take(Number.MAX_SAFE_INTEGER) : []
    const repairable = remaining.filter((m) => REPAIRABLE.includes(m.kind) && !skipped.has(keyId(m.key))).map((m) => m.key)
    const keys = [...repairable, ...drift]
    if (keys.length === 0) break
    await (feed?.recopy ? feed.recopy(keys) : recopyKeys(ctx, keys))
    repaired += repairable.length
    const unrepaired = remaining.filter((m) => !repairable.includes(m.key))
    const recheck = await verifyKeys(ctx.sources, ctx.target, repairable, verifyOptions)
    remaining = [...unrepaired, ...recheck]
  }
  let inFlux: Buffer[] = []
  if (feed) {
    // A key that still differs but changed again after it was read is a write in progress, not
    // a lost one: it stays in the feed, to be copied (and, with a cut-over, compared again with
    // writes paused).
    inFlux = remaining.filter((m) => feed.isDirty(m.key)).map((m) => m.key)
    remaining = remaining.filter((m) => !feed.isDirty(m.key))
  }
  const counts: Record<MismatchKind, number> = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}
  for (const m of remaining) counts[m.kind]++
  result.verify = {checked: report.checked, targetKeys: report.targetKeys, counts, repaired, inFlux: inFlux.length, mismatches: remaining.map(describeMismatch)}
  if (remaining.length > 0) result.status = 'mismatches'
  return inFlux
}

/** --cutover: twproxy's pool switched to the cluster behind a short write pause (cutover.ts). */
async function switchProxy(run: MigrationRun, feed: ChangeCapture, cutover: Omit<CutoverOptions, 'note'>): Promise<void> {
  run.phase = 'cut-over'
  run.save(true)
  try {
    run.result.cutover = await cutOver(run.ctx, feed, {...cutover, note: (message) => run.options.progress.note(message)})
  } catch (error) {
    // The copy stays valid: keep the checkpoint so --resume --cutover need not copy again.
    run.result.checkpoint = run.options.checkpointPath
    throw error
  }
}
