// The cut-over: twproxy's pool moves from the ketama servers to the cluster while clients keep
// their endpoint, and no acknowledged write is left behind. In order:
//   1. CLIENT PAUSE <limit> WRITE on every source: from here on nothing changes there (clients'
//      writes wait, reads go on), and Redis itself lifts the pause after <limit> should we die.
//   2. A barrier on every change subscriber (PING: answered after every notification of a write
//      done before the pause), so the change feed now holds every key still to copy; copy them.
//   3. Keys that were still changing when verify ran, and the keys just copied, are compared
//      again, now exactly: the sources are frozen.
//   4. The pool's servers: become cluster: [masters] in twproxy's file (atomic, backup kept),
//      SIGUSR1, and twproxy's stats are polled until the pool lists the cluster's masters.
//      twproxy itself carries over the keys of requests in flight on the old servers.
//   5. CLIENT UNPAUSE. Writes were paused from 1 to 5; that time is reported.
// Any failure before 5 puts the file back, signals twproxy again, and unpauses: the sources stay
// the truth and nothing was lost. The pause is always lifted, on every path.
import {formatAddress} from '../../address.js'
import {UserError} from '../../errors.js'
import type {ChangeCapture} from '../changes/change-capture.js'
import {masterAddresses} from '../target/migration-target.js'
import type {CopyContext} from '../copy/context.js'
import {recopyKeys} from '../copy/copier.js'
import type {CutoverProxy} from './cutover-proxy.js'
import {foreignClients, type ForeignClients} from './foreign-clients.js'
import {keyId} from '../../key-text.js'
import {restorePool, rewritePoolToCluster, type PoolRewrite} from './pool-to-cluster.js'
import {readProxyStats, reloadTwproxy} from '../../targets/proxy-process.js'
import {poolServers, waitForPoolServers} from './proxy-stats.js'
import type {Source} from '../source/sources.js'
import {describeMismatch, verifyKeys, type Mismatch, type VerifyOptions} from '../verify/verify.js'

export interface CutoverOptions {
  proxy: CutoverProxy
  /** CLIENT PAUSE's own timeout: the longest writes can stay paused, even if twlab dies */
  pauseLimitMs: number
  /** how long twproxy gets to show the cluster in its stats after SIGUSR1 */
  switchTimeoutMs: number
  /** compare keys again inside the pause (undefined: --no-verify) */
  verify?: VerifyOptions
  /** keys verify saw still changing: compared again inside the pause */
  inFlux: Buffer[]
  note: (message: string) => void
}

export interface CutoverResult {
  /** how long writes were paused on the sources (ms) */
  pausedMs: number
  /** the masters twproxy's pool now uses */
  cluster: string[]
  configFile: string
  backup?: string
  /** keys copied inside the pause (changed between the catch-up and the pause) */
  copiedInPause: number
  /** keys compared again inside the pause */
  verifiedInPause: number
  /** clients of the sources other than twproxy and twlab: their writes do not reach the cluster */
  foreignClients: ForeignClients[]
}

/** Room the switch needs inside the pause besides its poll (file write, signal, unpause). */
const MARGIN_MS = 2000

/**
 * Sources must be Redis 7: CLIENT PAUSE WRITE lets the reads of the final catch-up through only
 * for scripts flagged no-writes, and older servers run the unflagged read scripts.
 */
export function checkCutoverSources(sources: Source[]): void {
  const old = sources.filter((s) => !s.hasExpireTime).map((s) => formatAddress(s.address))
  if (old.length > 0) {
    throw new UserError(`--cutover needs Redis 7 or later on every source (${old.join(', ')} ${old.length === 1 ? 'is' : 'are'} older): upgrade, or migrate without --cutover and switch clients yourself.`)
  }
}

/** Checks, before anything is copied, that the proxy's stats answer and list the pool. */
export async function checkCutoverProxy(proxy: CutoverProxy): Promise<string[]> {
  let servers: string[] | undefined
  try {
    servers = poolServers(await readProxyStats(proxy.stats), proxy.pool)
  } catch (error) {
    throw new UserError(`The stats of ${proxy.description} at ${formatAddress(proxy.stats)} cannot be read (${(error as Error).message}): give its stats address with --proxy-stats HOST:PORT.`, {cause: error})
  }
  if (!servers) throw new UserError(`The stats at ${formatAddress(proxy.stats)} list no pool "${proxy.pool}": is that the stats port of the twproxy running ${proxy.configFile}? Give it with --proxy-stats HOST:PORT.`)
  return servers
}

async function pauseWrites(source: Source, limitMs: number): Promise<void> {
  await source.client.call('CLIENT', 'PAUSE', String(limitMs), 'WRITE')
}

async function unpause(source: Source): Promise<boolean> {
  try {
    await source.client.call('CLIENT', 'UNPAUSE')
    return true
  } catch {
    return false
  }
}

export async function cutOver(ctx: CopyContext, feed: ChangeCapture, options: CutoverOptions): Promise<CutoverResult> {
  const {proxy} = options
  const {target} = ctx
  const sources = ctx.sources.sources
  const cluster = masterAddresses(target)
  const oldServers = await checkCutoverProxy(proxy)
  if (feed.lost.size > 0) {
    throw new UserError(`The change feed of ${[...feed.lost].join(', ')} dropped during the migration, so changes may be missing: run the same command again with --resume to check every key, then cut over.`)
  }
  const foreign = await foreignClients(sources, proxy.pid)
  for (const f of foreign) {
    options.note(`Warning: ${f.source} has ${f.count} client(s) besides twproxy and twlab (${f.clients.join('; ')}): their writes will not reach the cluster; move them to twproxy or the cluster.`)
  }
  const paused: Source[] = []
  let rewrite: PoolRewrite | undefined
  let signalled = false
  let copiedInPause = 0
  let verifiedInPause = 0
  const pausedAt = Date.now()
  const deadline = pausedAt + options.pauseLimitMs
  const needTime = (step: string, ms: number) => {
    if (Date.now() + ms + MARGIN_MS > deadline) {
      throw new Error(`the write pause limit of ${options.pauseLimitMs} ms would run out before ${step}; raise --pause-limit`)
    }
  }
  let pausedMs = 0
  try {
    try {
      for (const source of sources) {
        await pauseWrites(source, options.pauseLimitMs)
        paused.push(source)
      }
      options.note(`Writes paused on ${sources.length} source(s); copying the last changes...`)
      await feed.barrier()
      if (feed.mode === 'replication') options.note('Every source\'s replication stream is applied up to its offset at the pause.')
      const copied: Buffer[] = []
      for (let round = 0; round < 100_000 && feed.pending > 0; round++) {
        needTime('the last changes were copied', options.switchTimeoutMs)
        const keys = feed.take(1000)
        await recopyKeys(ctx, keys)
        copied.push(...keys)
      }
      copiedInPause = copied.length
      if (feed.lost.size > 0) throw new Error(`the change feed of ${[...feed.lost].join(', ')} dropped`)
      await feed.stop()
      if (options.verify) {
        const seen = new Set<string>()
        const keys = [...options.inFlux, ...copied].filter((key) => !seen.has(keyId(key)) && seen.add(keyId(key)))
        needTime('the last changes were verified', options.switchTimeoutMs)
        const mismatches: Mismatch[] = await verifyKeys(ctx.sources, target, keys, options.verify)
        verifiedInPause = keys.length
        if (mismatches.length > 0) {
          const shown = mismatches.slice(0, 3).map(describeMismatch).map((m) => `${m.key} (${m.kind})`).join(', ')
          throw new Error(`${mismatches.length} key(s) still differ on the cluster with writes paused: ${shown}`)
        }
      }
      needTime('twproxy switched', options.switchTimeoutMs)
      rewrite = await rewritePoolToCluster(proxy.configFile, proxy.pool, cluster)
      reloadTwproxy(proxy.pid)
      signalled = true
      const waitMs = Math.min(options.switchTimeoutMs, deadline - Date.now() - MARGIN_MS)
      const {switched, seen} = await waitForPoolServers(proxy.stats, proxy.pool, cluster, waitMs)
      if (!switched) {
        throw new Error(`twproxy did not list the cluster's masters for pool ${proxy.pool} within ${(waitMs / 1000).toFixed(1)} s of SIGUSR1 (its stats show ${seen ? seen.join(', ') : 'nothing'}); see its log`)
      }
    } catch (error) {
      await rollBack(proxy, rewrite, signalled, oldServers, options.note)
      const reason = error instanceof UserError ? error.message.replace(/\.$/, '') : (error as Error).message
      throw new UserError(`The cut-over was undone: ${reason}. twproxy still serves pool ${proxy.pool} from its servers, and writes were resumed.`, {
        hint: 'The copy is kept: fix the cause, then run the same command with --resume --cutover.',
        cause: error,
      })
    }
  } finally {
    const results = await Promise.all(paused.map(unpause))
    pausedMs = Date.now() - pausedAt
    const stuck = paused.filter((_, i) => !results[i]).map((s) => formatAddress(s.address))
    if (stuck.length > 0) options.note(`Warning: CLIENT UNPAUSE failed on ${stuck.join(', ')}; writes resume there by themselves within ${options.pauseLimitMs} ms of the pause.`)
  }
  return {pausedMs, cluster, configFile: proxy.configFile, backup: rewrite?.backup, copiedInPause, verifiedInPause, foreignClients: foreign}
}

async function rollBack(proxy: CutoverProxy, rewrite: PoolRewrite | undefined, signalled: boolean, oldServers: string[], note: (message: string) => void): Promise<void> {
  if (!rewrite) return
  try {
    await restorePool(rewrite)
  } catch (error) {
    note(`Warning: ${proxy.configFile} could not be put back (${(error as Error).message}); its backup is ${rewrite.backup}.`)
    return
  }
  if (!signalled) return
  try {
    reloadTwproxy(proxy.pid)
    const {switched} = await waitForPoolServers(proxy.stats, proxy.pool, oldServers, 5000)
    if (!switched) note(`Warning: twproxy has not shown pool ${proxy.pool}'s old servers again yet; check its log.`)
  } catch (error) {
    note(`Warning: twproxy could not be told to reload the restored file: ${(error as Error).message}`)
  }
}
