// `twlab migrate --from-cluster HOST:PORT --to-pool (-c FILE | --lab NAME)` from the command's
// side: both ends opened (the cluster's masters as sources, the pool's servers as the target),
// then the plan, the run (copy, online changes, verify) and close, as session.ts does for the
// way in. No checkpoint: a rerun finds the keys already copied identical and passes over them.
import {formatAddress} from '../../address.js'
import {ChangeFeed} from '../changes/keyspace-notifications.js'
import type {MigrationResult} from '../migration-run.js'
import type {MigrationPlan} from '../plan.js'
import type {MigrationProgress} from '../progress.js'
import {openClusterSource} from '../source/cluster-source.js'
import type {SourceSet} from '../source/sources.js'
import {emptyStats} from '../stats.js'
import type {ExistingKeyPolicy} from '../target/writer.js'
import {describeMismatch} from '../verify/verify.js'
import {openPoolTarget, type PoolTargetOptions, type WritablePool} from './pool-target.js'
import {copyClusterToPool, followClusterChanges} from './reverse-copy.js'
import {verifyClusterInPool} from './reverse-verify.js'

export interface ReverseRequest {
  cluster: string
  pool: PoolTargetOptions
  onConflict: ExistingKeyPolicy
  verify: boolean
  ttlToleranceMs: number
  scanCount: number
  online: boolean
  quietForMs: number
}

const PROGRESS_INTERVAL_MS = 200

export class ReverseSession {
  private constructor(private readonly request: ReverseRequest, private readonly sources: SourceSet, private readonly pool: WritablePool) {}

  static async open(request: ReverseRequest): Promise<ReverseSession> {
    const pool = await openPoolTarget(request.pool)
    try {
      return new ReverseSession(request, await openClusterSource({seed: request.cluster, password: request.pool.password}), pool)
    } catch (error) {
      await pool.close()
      throw error
    }
  }

  get sourcesDescription(): string {
    return this.sources.description
  }

  get targetAddress(): string {
    return this.pool.servers.map((server) => formatAddress(server.address)).join(',')
  }

  get targetDescription(): string {
    return this.pool.description
  }

  async plan(): Promise<MigrationPlan> {
    const sources = await Promise.all(this.sources.sources.map(async (source) => ({
      name: source.name, address: formatAddress(source.address), keys: Number(await source.client.dbsize()), sampled: 0, bytes: 0, exact: false, bigKeys: [],
    })))
    const target = this.pool.servers.map((server) => ({
      address: `${server.name} (${formatAddress(server.address)})`, slots: 0, usedMemory: 0, maxMemory: 0, incomingBytes: 0, headroomBytes: null,
    }))
    return {
      sources, totalKeys: sources.reduce((sum, s) => sum + s.keys, 0), totalBytes: 0, target,
      crossSlot: {split: 0, splitExamples: [], joined: 0, joinedExamples: []}, warnings: [],
    }
  }

  async run(watch: {progress: MigrationProgress; stopRequested: () => boolean}): Promise<MigrationResult> {
    const {request, sources, pool} = this
    const started = Date.now()
    const stats = emptyStats()
    const result: MigrationResult = {
      status: 'done', resumed: false, online: request.online, stats, seconds: 0, copySeconds: 0, scannedThisRun: 0,
      keysPerSecond: 0, changesSeen: 0, lostChangeFeeds: [],
    }
    let phase = 'copy'
    let verified: number | undefined
    const total = (await this.plan()).totalKeys
    watch.progress.start(total)
    const ticker = setInterval(() => watch.progress.update({done: verified ?? stats.scanned, bytes: stats.bytes, phase}), PROGRESS_INTERVAL_MS)
    ticker.unref()
    const feed = request.online ? new ChangeFeed(sources.sources) : undefined
    try {
      await feed?.start()
      const copyStarted = Date.now()
      const outcome = await copyClusterToPool(sources, pool, stats, {onConflict: request.onConflict, scanCount: request.scanCount, stopRequested: watch.stopRequested})
      result.copySeconds = (Date.now() - copyStarted) / 1000
      result.scannedThisRun = stats.scanned
      result.keysPerSecond = Math.round(stats.scanned / Math.max(result.copySeconds, 0.001))
      if (outcome === 'interrupted') {
        result.status = 'interrupted'
        return result
      }
      if (feed) {
        phase = 'catch-up'
        await followClusterChanges(sources, pool, feed, stats, {quietMs: request.quietForMs, stopRequested: watch.stopRequested})
        result.changesSeen = feed.events
        result.lostChangeFeeds = [...feed.lost]
      }
      if (request.verify) {
        phase = 'verify'
        verified = 0
        const report = await verifyClusterInPool(sources, pool, {ttlToleranceMs: request.ttlToleranceMs, scanCount: request.scanCount, onProgress: (n) => (verified = n)})
        result.verify = {checked: report.checked, targetKeys: report.targetKeys, counts: report.counts, repaired: 0, inFlux: 0, mismatches: report.mismatches.map(describeMismatch)}
        if (report.mismatches.length > 0) result.status = 'mismatches'
      }
      return result
    } finally {
      clearInterval(ticker)
      watch.progress.update({done: verified ?? stats.scanned, bytes: stats.bytes, phase})
      watch.progress.stop()
      await feed?.stop()
      result.seconds = (Date.now() - started) / 1000
    }
  }

  close(): Promise<void> {
    return Promise.allSettled([this.sources.close(), this.pool.close()]).then(() => undefined)
  }
}
