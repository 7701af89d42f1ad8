// Verification: every key compared both ways.
// - Source -> target: each source is scanned; with pool hashing, keys another source wins
//   (duplicates) are compared only from their winner; bare servers compare every key they hold
//   and leave one that differs to an earlier server holding it (found twice, counted once:
//   found-keys.ts). A script on the source reads a whole page: each key's absolute expiry
//   and a digest of its value (copy/value-digest-script.ts: a small payload itself, else its
//   SHA-1; hash-table sets and hashes whole, since their payload order differs per server); a
//   script on each target master compares a packed batch of those against its own keys,
//   server-side, and names only the keys that do not plainly match, sending back its own payload
//   of a hash-table set or hash listed in another order, whose members are compared here
//   (target-batch.ts compareFlag).
//   Those flagged are then checked one by one, apart from the scan (a big key read in chunks does
//   not hold up the pages behind it): a missing key, a different type, a different value, or
//   expiries further apart than the tolerance is a mismatch. A key flagged for its value is
//   settled by both payloads decoded and compared (value-equality.ts), or for a value too big to
//   hold here a type-aware digest on each server (digest.ts), and the expiry on both sides, since
//   equal values can be encoded differently. Other flagged keys are read again: equal payloads
//   settle them at once. The pass counts the keys it found on each target master.
// - Target -> source: a key no source holds is "extra". When no server took a write meanwhile, a
//   master holding exactly the keys counted on it holds no other; every other master is scanned
//   key by key (target-to-sources.ts). Likewise a target key's expiry is read only when the
//   source gives the key one, and a master holding exactly as many keys with an expiry as were
//   found with the right one has no other; elsewhere its keys with an expiry are compared one by
//   one (expiry-count.ts; not during online runs, which read every expiry).
// Keys that differ are checked again after a short pause before being reported, so a key caught
// mid-change (a write in flight during an online migration) is not reported as lost.
import type {MigrationTarget} from '../target/migration-target.js'
import type {CopyContext} from '../copy/context.js'
import {keysOwnedHere} from '../copy/copier.js'
import {existsOn} from '../source/reader.js'
import {FoundKeys} from './found-keys.js'
import {compareKeys} from './key-compare.js'
import {keyId} from '../../key-text.js'
import {keysWithExpiry, mastersWithOtherExpiries, type VolatilePerMaster} from './expiry-count.js'
import {countMismatches, type Mismatch, type MismatchKind} from './mismatch.js'
import {comparesEveryKey, sourcesToTarget} from './source-to-target.js'
import {keysOnNoSource, masterName, mastersWithOtherKeys, targetToSources, type FoundPerMaster} from './target-to-sources.js'
import {allWriteMarks, noWriteBetween} from './write-marks.js'
import {retryTransient} from '../target/retry.js'
import type {SourceSet} from '../source/sources.js'
import {emptyStats} from '../stats.js'

export {describeMismatch, type Mismatch, type MismatchKind} from './mismatch.js'

/**
 * A key that differs is checked again after this pause before it is reported: long enough for
 * a write in flight (a client's pipeline, a MULTI) to land on both sides.
 */
export const RECHECK_DELAY_MS = 500

export interface VerifyOptions {
  /** expiries this far apart (ms) still match */
  ttlToleranceMs: number
  scanCount: number
  /** read every target key's expiry: an online run, whose writes void the expiry count (expiry-count.ts) */
  everyExpiry?: boolean
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
  const volatile: VolatilePerMaster = new Map()
  const foundKeys = comparesEveryKey(sources) ? new FoundKeys() : undefined
  const everyExpiry = options.everyExpiry === true
  const suspects = await sourcesToTarget(ctx, options, {
    progress: (keys) => {
      checked += keys
      options.onProgress?.(checked)
    },
    onSeen: (master, seen) => {
      const name = masterName(master)
      found.set(name, (found.get(name) ?? 0) + seen.present)
      volatile.set(name, (volatile.get(name) ?? 0) + seen.volatile)
    },
    everyExpiry,
    found: foundKeys,
    leftToEarlier: (keys) => (leftToEarlier += keys),
  })
  const repeated = foundKeys ? foundKeys.takeRepeatsOff(found, target.client) : {repeats: 0, masters: new Set<string>()}
  checked -= (repeated?.repeats ?? 0) + leftToEarlier
  const quiet = repeated !== undefined && noWriteBetween(marksBefore, await allWriteMarks(servers))
  const {differing, matchingKeys} = quiet ? await mastersWithOtherKeys(target, found) : {differing: target.masters(), matchingKeys: 0}
  const {targetKeys: scannedKeys, extra} = await targetToSources(sources, differing, options.scanCount)
  const targetKeys = matchingKeys + scannedKeys
  const expiryMasters = everyExpiry ? [] : quiet ? await mastersWithOtherExpiries(target, volatile, repeated?.masters) : target.masters()
  const expirySuspects = (await Promise.all(expiryMasters.map((master) => keysWithExpiry(master, options.scanCount)))).flat()
  let extraSuspects = extra
  const mismatches: Mismatch[] = []
  if (suspects.size > 0 || extraSuspects.length > 0 || expirySuspects.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, options.recheckDelayMs ?? RECHECK_DELAY_MS))
    for (const [source, keys] of suspects) {
      const owned = await keysOwnedHere(ctx, source, keys, false)
      for (let i = 0; i < owned.length; i += options.scanCount) {
        mismatches.push(...(await compareKeys(source, target, owned.slice(i, i + options.scanCount), options.ttlToleranceMs)))
      }
    }
    // keys with an expiry the count did not account for; one no source holds is an extra key,
    // which the key count or the target -> sources scan names
    mismatches.push(...(await compareWhereHeld(ctx, expirySuspects, options)).mismatches)
    extraSuspects = await keysOnNoSource(sources, extraSuspects)
    if (extraSuspects.length > 0) {
      const stillThere = await Promise.all(extraSuspects.map((key) => retryTransient(() => target.client.exists(key))))
      extraSuspects.forEach((key, i) => {
        if (stillThere[i] > 0) mismatches.push({kind: 'extra', key, detail: 'on the target, on no source'})
      })
    }
  }
  const reported = withoutRepeats(mismatches)
  return {checked, targetKeys, mismatches: reported, counts: countMismatches(reported)}
}

/** The same key found differing in the same way twice (a source's pass and the expiry count) is reported once. */
function withoutRepeats(mismatches: Mismatch[]): Mismatch[] {
  const seen = new Set<string>()
  return mismatches.filter((m) => {
    const id = `${m.kind} ${keyId(m.key)}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/** `keys` compared from the source that wins each; `orphans`: the keys no source holds. */
async function compareWhereHeld(ctx: CopyContext, keys: Buffer[], options: VerifyOptions): Promise<{mismatches: Mismatch[]; orphans: Buffer[]}> {
  const mismatches: Mismatch[] = []
  const onSomeSource = new Set<Buffer>()
  for (const source of ctx.sources.sources) {
    const present = await existsOn(source, keys)
    const here = keys.filter((_, i) => present[i])
    here.forEach((k) => onSomeSource.add(k))
    const owned = await keysOwnedHere(ctx, source, here, false)
    for (let i = 0; i < owned.length; i += options.scanCount) {
      mismatches.push(...(await compareKeys(source, ctx.target, owned.slice(i, i + options.scanCount), options.ttlToleranceMs)))
    }
  }
  return {mismatches, orphans: keys.filter((k) => !onSomeSource.has(k))}
}

/** Re-compares specific keys (after a repair): the mismatches that remain. */
export async function verifyKeys(sources: SourceSet, target: MigrationTarget, keys: Buffer[], options: VerifyOptions): Promise<Mismatch[]> {
  const ctx: CopyContext = {sources, target, stats: emptyStats(), write: {onConflict: 'fail', bigKeyBytes: Infinity, chunk: {elements: 1, bytes: 1}}}
  const {mismatches, orphans} = await compareWhereHeld(ctx, keys, options)
  const stillThere = await Promise.all(orphans.map((key) => retryTransient(() => target.client.exists(key))))
  orphans.forEach((key, i) => {
    if (stillThere[i] > 0) mismatches.push({kind: 'extra', key, detail: 'on the target, on no source'})
  })
  return mismatches
}
