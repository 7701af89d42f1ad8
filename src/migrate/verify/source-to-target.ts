// Verify's source -> target pass: every source scanned, each page read with value digests by one
// script on the source and compared by one script per target master, a few pages in flight; the
// keys those flag are looked at closely beside the scan (key-compare.ts), so a big key does not
// hold up the pages behind it. The pass tells the caller, per target master, what it found there
// (keys present, keys with the expected expiry) for the count checks.
import type {Redis} from 'ioredis'
import type {CopyContext} from '../copy/context.js'
import {keysOwnedHere, ownedPositions} from '../copy/copier.js'
import {keyOf, payloadLengthOf, VANISHED} from '../copy/record-pack.js'
import {readPage, type ScannedPage} from '../source/reader.js'
import type {Source, SourceSet} from '../source/sources.js'
import type {MigrationTarget} from '../target/migration-target.js'
import {compareOnTarget, type CompareSeen} from '../target/target-batch.js'
import type {FoundKeys} from './found-keys.js'
import {compareFlaggedValues, compareKeys} from './key-compare.js'
import {pagesInFlight} from './pages-in-flight.js'

/**
 * Keys a bulk comparison flagged are looked at closely (compareKeys) apart from the page window,
 * at most this many batches at once: a big key read in chunks (a hash-table hash or set whose
 * payload order differs per server) no longer holds up the pages behind it.
 */
const FOLLOW_UPS = 4

/** Work started beside the scan, at most `limit` at once; the first failure is thrown by `drain`. */
class FollowUps {
  private readonly pending = new Set<Promise<void>>()
  private failure: {error: unknown} | undefined

  constructor(private readonly limit: number) {}

  async add(work: () => Promise<void>): Promise<void> {
    while (this.pending.size >= this.limit) await Promise.race(this.pending)
    const started: Promise<void> = work()
      .catch((error: unknown) => { this.failure ??= {error} })
      .finally(() => this.pending.delete(started))
    this.pending.add(started)
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.race(this.pending)
    if (this.failure) throw this.failure.error
  }
}

/**
 * The bulk comparison of one page on the target masters. A master that could not be asked (the
 * call failed as a whole: a failover, the slot map refreshed under it) is asked once more before
 * its keys go the slow way, one by one.
 */
async function flagOnTarget(target: MigrationTarget, page: ScannedPage, positions: number[], toleranceMs: number,
  pass: SourcePass): Promise<Map<number, string>> {
  const flagged: Map<number, string> = await compareOnTarget(target.client, page, positions, toleranceMs, pass.everyExpiry, pass.onSeen)
  const unanswered = [...flagged].filter(([, why]) => why === 'error').map(([i]) => i)
  if (unanswered.length === 0) return flagged
  const again = await compareOnTarget(target.client, page, unanswered, toleranceMs, pass.everyExpiry, pass.onSeen)
  for (const i of unanswered) {
    const why = again.get(i)
    if (why) flagged.set(i, why)
    else flagged.delete(i)
  }
  return flagged
}

/** The positions of `page` (or of `owned`, when given) whose key was still there to read. */
function presentPositions(page: ScannedPage, owned: number[] | undefined): number[] {
  const present: number[] = []
  const count = owned ? owned.length : page.count
  for (let j = 0; j < count; j++) {
    const i = owned ? owned[j] : j
    if (payloadLengthOf(page, i) !== VANISHED) present.push(i)
  }
  return present
}

/**
 * Bare --from servers (no pool hashing): every server's keys are compared as they are, without
 * asking the earlier servers first whether they hold them too; only keys that differ are asked
 * about (an earlier server's key is compared from there), and keys found twice are counted once
 * (found-keys.ts).
 */
export function comparesEveryKey(sources: SourceSet): boolean {
  return !sources.ownerOf && sources.sources.length > 1
}

export interface SourcePass {
  progress: (keys: number) => void
  /** each target master's answer: its keys found, and those with the expected expiry */
  onSeen: (master: Redis, seen: CompareSeen) => void
  /** read every target key's expiry, not only those the source gives one (expiry-count.ts) */
  everyExpiry: boolean
  /** bare servers: the keys found on the target, and flagged keys left to an earlier server */
  found?: FoundKeys
  leftToEarlier: (keys: number) => void
}

/** Source -> target: every key a source wins compared on the target; returns the keys that differed. */
export async function sourcesToTarget(ctx: CopyContext, options: {scanCount: number; ttlToleranceMs: number}, pass: SourcePass): Promise<Map<Source, Buffer[]>> {
  const {sources, target} = ctx
  const suspects = new Map<Source, Buffer[]>()
  const followUps = new FollowUps(FOLLOW_UPS)
  await Promise.all(sources.sources.map(async (source) => {
    let cursor = '0'
    await pagesInFlight(async () => {
      const page = await readPage(source, cursor, options.scanCount, true)
      cursor = page.cursor
      return {page, last: cursor === '0'}
    }, async (page: ScannedPage) => {
      const owned = pass.found ? undefined : await ownedPositions(ctx, source, page, false)
      // Keys gone from the source since the scan have nothing to compare.
      const present = presentPositions(page, owned)
      const flagged = await flagOnTarget(target, page, present, options.ttlToleranceMs, pass)
      pass.found?.add(page, present.filter((i) => flagged.get(i) !== 'missing' && flagged.get(i) !== 'error'))
      pass.progress(owned ? owned.length : page.count)
      if (flagged.size === 0) return
      const byValue = [...flagged].filter(([, why]) => why === 'value').map(([i]) => keyOf(page, i))
      const others = [...flagged].filter(([, why]) => why !== 'value').map(([i]) => keyOf(page, i))
      await followUps.add(async () => {
        const [valueKeys, otherKeys] = pass.found
          ? [await keysOwnedHere(ctx, source, byValue, false), await keysOwnedHere(ctx, source, others, false)]
          : [byValue, others]
        // a key missing here that an earlier server holds is counted from there (found twice otherwise)
        pass.leftToEarlier(others.length - otherKeys.length)
        const found = [...await compareFlaggedValues(source, target, valueKeys, options.ttlToleranceMs), ...await compareKeys(source, target, otherKeys, options.ttlToleranceMs)]
        if (found.length === 0) return
        let list = suspects.get(source)
        if (!list) suspects.set(source, (list = []))
        list.push(...found.map((m) => m.key))
      })
    })
  }))
  await followUps.drain()
  return suspects
}
