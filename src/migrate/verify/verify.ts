// Verification: every key compared both ways.
// - Source -> target: each source is scanned; with pool hashing, keys another source wins
//   (duplicates) are compared only from their winner; bare servers compare every key they hold
//   and leave one that differs to an earlier server holding it (found twice, counted once:
//   found-keys.ts). A script on the source reads a whole page: each key's absolute expiry
//   and a digest of its value (scripts.ts VALUE_DIGEST: a small payload itself, else its SHA-1; the
//   sorted members of hash-table sets and hashes, whose payload order differs per server); a
//   script on each target master compares a packed batch of those against its own keys,
//   server-side, and names only the keys that do not plainly match.
//   Those are then checked one by one, apart from the scan (a big key read in chunks does not hold
//   up the pages behind it): a missing key, a different type, a different value, or expiries
//   further apart than the tolerance is a mismatch. A key flagged for its value is settled by a
//   type-aware digest (digest.ts) and the expiry on both sides, since equal values can be encoded
//   differently (a big hash-table hash or set is flagged so at once: its order is each server's
//   own). Other flagged keys are read again: equal payloads settle them at once. The pass counts
//   the keys it found on each target master.
// - Target -> source: a key no source holds is "extra". When no server took a write meanwhile, a
//   master holding exactly the keys counted on it holds no other; every other master is scanned
//   key by key (target-to-sources.ts).
// Keys that differ are checked again after a short pause before being reported, so a key caught
// mid-change (a write in flight during an online migration) is not reported as lost.
import type {Redis} from 'ioredis'
import type {MigrationTarget} from '../target/migration-target.js'
import type {CopyContext} from '../copy/context.js'
import {keysOwnedHere, ownedPositions} from '../copy/copier.js'
import {comparePayloads} from './canonical-value.js'
import {estimatedBytes, valueDigest, type ValueDigest} from './digest.js'
import {keyText} from '../../key-text.js'
import {existsOn, readKeys, readPage, type KeyRecord, type ScannedPage} from '../source/reader.js'
import {FoundKeys} from './found-keys.js'
import {pagesInFlight} from './pages-in-flight.js'
import {keysOnNoSource, masterName, mastersWithOtherKeys, targetToSources, type FoundPerMaster} from './target-to-sources.js'
import {allWriteMarks, noWriteBetween} from './write-marks.js'
import {keyOf, payloadLengthOf, VANISHED} from '../copy/record-pack.js'
import {retryTransient} from '../target/retry.js'
import type {Source, SourceSet} from '../source/sources.js'
import {emptyStats} from '../stats.js'
import {compareOnTarget, readOnTarget} from '../target/target-batch.js'

export type MismatchKind = 'missing' | 'extra' | 'type' | 'value' | 'ttl'

export interface Mismatch {
  kind: MismatchKind
  key: Buffer
  detail: string
}

/**
 * A key that differs is checked again after this pause before it is reported: long enough for
 * a write in flight (a client's pipeline, a MULTI) to land on both sides.
 */
export const RECHECK_DELAY_MS = 500

/** decodedDifference's answer when a value cannot be decoded here: the servers digest it instead */
const UNDECIDED = Symbol('undecided')

export interface VerifyOptions {
  /** expiries this far apart (ms) still match */
  ttlToleranceMs: number
  scanCount: number
  /** pause before re-checking keys that differed (ms; default RECHECK_DELAY_MS) */
  recheckDelayMs?: number
  onProgress?: (checked: number) => void
}

export interface VerifyReport {
  /** keys compared source -> target */
  checked: number
  /** keys scanned on the target */
  targetKeys: number
  mismatches: Mismatch[]
  counts: Record<MismatchKind, number>
}

interface TargetRead {
  payload: Buffer | null
  expireAt: number
}

function readTarget(target: MigrationTarget, keys: Buffer[]): Promise<TargetRead[]> {
  return readOnTarget(target.client, keys)
}

function ttlText(expireAt: number): string {
  return expireAt > 0 ? `expires ${new Date(expireAt).toISOString()}` : 'no expiry'
}

/** Compares keys of one source with the target; returns the ones that differ. */
async function compareKeys(source: Source, target: MigrationTarget, keys: Buffer[], options: VerifyOptions): Promise<Mismatch[]> {
  if (keys.length === 0) return []
  const [records, reads] = await Promise.all([readKeys(source, keys), readTarget(target, keys)])
  const mismatches: Mismatch[] = []
  for (let i = 0; i < keys.length; i++) {
    let found = decodedDifference(source, keys[i], records[i], reads[i], options)
    if (found === UNDECIDED) found = await digestDifference(source, target, keys[i], options)
    if (found) mismatches.push(found)
  }
  return mismatches
}

function digestOnTarget(target: MigrationTarget, key: Buffer, withExpiry = false) {
  // The cluster client routes each single-key command of the digest to the key's current owner;
  // its command methods are the same as a single node's.
  return valueDigest(target.client as unknown as Redis, key, withExpiry ? 'PEXPIRETIME' : undefined)
}

/**
 * Keys compared at once by compareByDigest: many small keys flagged together (sets encoded
 * differently by two server versions) do not wait on each other's round trips.
 */
const DIGESTS_AT_ONCE = 16

/**
 * Values up to this size on the source (MEMORY USAGE) are read whole from both sides and compared
 * decoded here (canonical-value.ts); bigger ones (a big hash-table set or hash) member by member
 * on the servers (digest.ts): decoding and sorting a big value here costs about what digesting it
 * there does, without holding it in memory.
 */
const DECODED_COMPARE_BYTES = 1024 * 1024

/**
 * Compares keys whose payloads are known to differ (the bulk comparison flagged their value:
 * encoded differently, or a big hash-table set or hash whose order is each server's own): both
 * payloads decoded and compared by what they hold, with the expiry on both sides; a value too big
 * to hold here, or one the RDB reader cannot decode, by the type-aware digest on each server.
 */
async function compareByDigest(source: Source, target: MigrationTarget, keys: Buffer[], options: VerifyOptions): Promise<Mismatch[]> {
  const mismatches: Mismatch[] = []
  for (let start = 0; start < keys.length; start += DIGESTS_AT_ONCE) {
    const found = await Promise.all(keys.slice(start, start + DIGESTS_AT_ONCE).map(async (key) => {
      if (await estimatedBytes(source.client, key) <= DECODED_COMPARE_BYTES) {
        const [[mine], [theirs]] = await Promise.all([readKeys(source, [key]), retryTransient(() => readTarget(target, [key]))])
        const decided = decodedDifference(source, key, mine, theirs, options)
        if (decided !== UNDECIDED) return decided
      }
      return digestDifference(source, target, key, options)
    }))
    for (const mismatch of found) if (mismatch) mismatches.push(mismatch)
  }
  return mismatches
}

/** What differs between a key on a source and on the target, by the type-aware digest on each server (digest.ts). */
async function digestDifference(source: Source, target: MigrationTarget, key: Buffer, options: VerifyOptions): Promise<Mismatch | undefined> {
  const [a, b] = await Promise.all([
    valueDigest(source.client, key, source.hasExpireTime ? 'PEXPIRETIME' : 'PTTL'),
    retryTransient(() => digestOnTarget(target, key, true)),
  ])
  return differenceOf(source, key, a, b, options)
}

/** What differs between a key's payloads on a source and the target, decoded; UNDECIDED when one cannot be decoded. */
function decodedDifference(source: Source, key: Buffer, want: KeyRecord, have: TargetRead, options: VerifyOptions): Mismatch | undefined | typeof UNDECIDED {
  if (!want.payload) return undefined // gone from the source since the scan: nothing to compare
  if (!have.payload) return {kind: 'missing', key, detail: `on ${source.name}, not on the target`}
  const compared = comparePayloads(want.payload, have.payload)
  if (compared.same === undefined) return UNDECIDED
  if (compared.same === false) {
    const [mine, theirs] = compared.types
    return compared.kind === 'type'
      ? {kind: 'type', key, detail: `${mine} on ${source.name}, ${theirs} on the target`}
      : {kind: 'value', key, detail: `${mine} values differ (${source.name} vs target)`}
  }
  if ((want.expireAt > 0) !== (have.expireAt > 0) || Math.abs(want.expireAt - have.expireAt) > options.ttlToleranceMs) {
    return {kind: 'ttl', key, detail: `${ttlText(want.expireAt)} on ${source.name}, ${ttlText(have.expireAt)} on the target`}
  }
  return undefined
}

/** What differs between a key's digests on a source (a) and the target (b), if anything. */
function differenceOf(source: Source, key: Buffer, a: ValueDigest, b: ValueDigest, options: VerifyOptions): Mismatch | undefined {
  if (a.type === 'none') return undefined // gone from the source since the scan: nothing to compare
  if (b.type === 'none') return {kind: 'missing', key, detail: `on ${source.name}, not on the target`}
  if (a.type !== b.type) return {kind: 'type', key, detail: `${a.type} on ${source.name}, ${b.type} on the target`}
  if (a.digest !== b.digest) return {kind: 'value', key, detail: `${a.type} values differ (${source.name} vs target)`}
  const [want, have] = [a.expireAt ?? 0, b.expireAt ?? 0]
  if ((want > 0) !== (have > 0) || Math.abs(want - have) > options.ttlToleranceMs) {
    return {kind: 'ttl', key, detail: `${ttlText(want)} on ${source.name}, ${ttlText(have)} on the target`}
  }
  return undefined
}

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
  onPresent: (master: Redis, present: number) => void): Promise<Map<number, string>> {
  const flagged: Map<number, string> = await compareOnTarget(target.client, page, positions, toleranceMs, onPresent)
  const unanswered = [...flagged].filter(([, why]) => why === 'error').map(([i]) => i)
  if (unanswered.length === 0) return flagged
  const again = await compareOnTarget(target.client, page, unanswered, toleranceMs, onPresent)
  for (const i of unanswered) {
    const why = again.get(i)
    if (why) flagged.set(i, why)
    else flagged.delete(i)
  }
  return flagged
}

/**
 * Bare --from servers (no pool hashing): every server's keys are compared as they are, without
 * asking the earlier servers first whether they hold them too; only keys that differ are asked
 * about (an earlier server's key is compared from there), and keys found twice are counted once
 * (found-keys.ts).
 */
function comparesEveryKey(sources: SourceSet): boolean {
  return !sources.ownerOf && sources.sources.length > 1
}

interface SourcePass {
  progress: (keys: number) => void
  onPresent: (master: Redis, present: number) => void
  /** bare servers: the keys found on the target, and flagged keys left to an earlier server */
  found?: FoundKeys
  leftToEarlier: (keys: number) => void
}

/** Source -> target: every key a source wins compared on the target; returns the keys that differed. */
async function sourcesToTarget(ctx: CopyContext, options: VerifyOptions, pass: SourcePass): Promise<Map<Source, Buffer[]>> {
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
      const owned = pass.found ? Array.from({length: page.count}, (_, i) => i) : await ownedPositions(ctx, source, page, false)
      // Keys gone from the source since the scan have nothing to compare.
      const present = owned.filter((i) => payloadLengthOf(page, i) !== VANISHED)
      const flagged = await flagOnTarget(target, page, present, options.ttlToleranceMs, pass.onPresent)
      pass.found?.add(page, present.filter((i) => flagged.get(i) !== 'missing' && flagged.get(i) !== 'error'))
      pass.progress(owned.length)
      if (flagged.size === 0) return
      const byValue = [...flagged].filter(([, why]) => why === 'value').map(([i]) => keyOf(page, i))
      const others = [...flagged].filter(([, why]) => why !== 'value').map(([i]) => keyOf(page, i))
      await followUps.add(async () => {
        const [valueKeys, otherKeys] = pass.found
          ? [await keysOwnedHere(ctx, source, byValue, false), await keysOwnedHere(ctx, source, others, false)]
          : [byValue, others]
        // a key missing here that an earlier server holds is counted from there (found twice otherwise)
        pass.leftToEarlier(others.length - otherKeys.length)
        const found = [...await compareByDigest(source, target, valueKeys, options), ...await compareKeys(source, target, otherKeys, options)]
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

/**
 * Source -> target first, counting the keys found on each target master; then target -> sources:
 * by those counts when no server took a write meanwhile (target-to-sources.ts), key by key on the
 * masters where that does not settle it, or on all of them after a write. Whatever differed is
 * checked again after a pause before it is reported.
 */
export async function verifyMigration(sources: SourceSet, target: MigrationTarget, options: VerifyOptions): Promise<VerifyReport> {
  const ctx: CopyContext = {sources, target, stats: emptyStats(), write: {onConflict: 'fail', bigKeyBytes: Infinity, chunk: {elements: 1, bytes: 1}}}
  const servers = [...sources.sources.map((source) => source.client), ...target.masters()]
  const marksBefore = await allWriteMarks(servers)
  let checked = 0
  let leftToEarlier = 0
  const found: FoundPerMaster = new Map()
  const foundKeys = comparesEveryKey(sources) ? new FoundKeys() : undefined
  const suspects = await sourcesToTarget(ctx, options, {
    progress: (keys) => {
      checked += keys
      options.onProgress?.(checked)
    },
    onPresent: (master, present) => found.set(masterName(master), (found.get(masterName(master)) ?? 0) + present),
    found: foundKeys,
    leftToEarlier: (keys) => (leftToEarlier += keys),
  })
  const repeats = foundKeys ? foundKeys.takeRepeatsOff(found, target.client) : 0
  checked -= (repeats ?? 0) + leftToEarlier
  const quiet = repeats !== undefined && noWriteBetween(marksBefore, await allWriteMarks(servers))
  const {differing, matchingKeys} = quiet ? await mastersWithOtherKeys(target, found) : {differing: target.masters(), matchingKeys: 0}
  const {targetKeys: scannedKeys, extra} = await targetToSources(sources, differing, options.scanCount)
  const targetKeys = matchingKeys + scannedKeys
  let extraSuspects = extra
  const mismatches: Mismatch[] = []
  if (suspects.size > 0 || extraSuspects.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, options.recheckDelayMs ?? RECHECK_DELAY_MS))
    for (const [source, keys] of suspects) {
      const owned = await keysOwnedHere(ctx, source, keys, false)
      for (let i = 0; i < owned.length; i += options.scanCount) {
        mismatches.push(...(await compareKeys(source, target, owned.slice(i, i + options.scanCount), options)))
      }
    }
    extraSuspects = await keysOnNoSource(sources, extraSuspects)
    if (extraSuspects.length > 0) {
      const stillThere = await Promise.all(extraSuspects.map((key) => retryTransient(() => target.client.exists(key))))
      extraSuspects.forEach((key, i) => {
        if (stillThere[i] > 0) mismatches.push({kind: 'extra', key, detail: 'on the target, on no source'})
      })
    }
  }
  const counts: Record<MismatchKind, number> = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}
  for (const m of mismatches) counts[m.kind]++
  return {checked, targetKeys, mismatches, counts}
}

/** Re-compares specific keys (after a repair): the mismatches that remain. */
export async function verifyKeys(sources: SourceSet, target: MigrationTarget, keys: Buffer[], options: VerifyOptions): Promise<Mismatch[]> {
  const ctx: CopyContext = {sources, target, stats: emptyStats(), write: {onConflict: 'fail', bigKeyBytes: Infinity, chunk: {elements: 1, bytes: 1}}}
  const out: Mismatch[] = []
  const onSomeSource = new Set<Buffer>()
  for (const source of sources.sources) {
    const present = await existsOn(source, keys)
    const here = keys.filter((_, i) => present[i])
    here.forEach((k) => onSomeSource.add(k))
    const owned = await keysOwnedHere(ctx, source, here, false)
    for (let i = 0; i < owned.length; i += options.scanCount) {
      out.push(...(await compareKeys(source, target, owned.slice(i, i + options.scanCount), options)))
    }
  }
  const orphans = keys.filter((k) => !onSomeSource.has(k))
  const stillThere = await Promise.all(orphans.map((key) => retryTransient(() => target.client.exists(key))))
  orphans.forEach((key, i) => {
    if (stillThere[i] > 0) out.push({kind: 'extra', key, detail: 'on the target, on no source'})
  })
  return out
}

export function describeMismatch(m: Mismatch): {kind: MismatchKind; key: string; detail: string} {
  return {kind: m.kind, key: keyText(m.key), detail: m.detail}
}
