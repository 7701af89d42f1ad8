// Verification: every key compared both ways.
// - Source -> target: each source is scanned; keys another source wins (duplicates) are compared
//   only from their winner. A script on the source reads a whole page: each key's absolute expiry
//   and a digest of its value (SHA-1 of the DUMP payload; of the sorted members for hash-table
//   sets and hashes, whose payload order differs per server); a script on each target master compares a packed batch of
//   those against its own keys, server-side, and names only the keys that do not plainly match.
//   Those are then checked one by one: a missing key, a different type, a different value, or
//   expiries further apart than the tolerance is a mismatch. Equal payloads settle a key at once;
//   different payloads are settled by a type-aware digest (digest.ts), since equal values can be
//   encoded differently.
// - Target -> source: every target master is scanned; a key no source holds is "extra".
// Keys that differ are checked again after a short pause before being reported, so a key caught
// mid-change (a write in flight during an online migration) is not reported as lost.
import type {Redis} from 'ioredis'
import type {MigrationTarget} from '../target/migration-target.js'
import type {CopyContext} from '../copy/context.js'
import {keysOwnedHere, ownedPositions} from '../copy/copier.js'
import {valueDigest} from './digest.js'
import {keyText} from '../../key-text.js'
import {existsOn, readKeys, readPage, type ScannedPage} from '../source/reader.js'
import {keyOf, payloadLengthOf, VANISHED} from '../copy/record-pack.js'
import {retryTransient} from '../target/retry.js'
import type {Source, SourceSet} from '../source/sources.js'
import {emptyStats} from '../stats.js'
import {compareOnTarget, readOnTarget} from '../target/target-batch.js'
import {isAppliedMark} from '../changes/applied-marks.js'

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
  const [records, reads] = await Promise.all([readKeys(source, keys), readTarget(target, keys)])
  const mismatches: Mismatch[] = []
  for (let i = 0; i < keys.length; i++) {
    const want = records[i]
    const have = reads[i]
    if (!want.payload) continue // gone from the source since the scan: nothing to compare
    if (!have.payload) {
      mismatches.push({kind: 'missing', key: keys[i], detail: `on ${source.name}, not on the target`})
      continue
    }
    if (!want.payload.equals(have.payload)) {
      const [a, b] = await Promise.all([valueDigest(source.client, keys[i]), digestOnTarget(target, keys[i])])
      if (a.type !== b.type) {
        mismatches.push({kind: 'type', key: keys[i], detail: `${a.type} on ${source.name}, ${b.type} on the target`})
        continue
      }
      if (a.digest !== b.digest) {
        mismatches.push({kind: 'value', key: keys[i], detail: `${a.type} values differ (${source.name} vs target)`})
        continue
      }
    }
    const apart = Math.abs(want.expireAt - have.expireAt)
    const oneSided = (want.expireAt > 0) !== (have.expireAt > 0)
    if (oneSided || apart > options.ttlToleranceMs) {
      mismatches.push({kind: 'ttl', key: keys[i], detail: `${ttlText(want.expireAt)} on ${source.name}, ${ttlText(have.expireAt)} on the target`})
    }
  }
  return mismatches
}

function digestOnTarget(target: MigrationTarget, key: Buffer) {
  // The cluster client routes each single-key command of the digest to the key's current owner;
  // its command methods are the same as a single node's.
  return valueDigest(target.client as unknown as Redis, key)
}

/** Which of `keys` (found on the target) no source holds: each asked of its owner first, then of every source. */
export async function keysOnNoSource(sources: SourceSet, keys: Buffer[]): Promise<Buffer[]> {
  let remaining = keys
  const order = sources.ownerOf
    ? groupByOwnerFirst(sources, keys)
    : null
  if (order) {
    const next: Buffer[] = []
    for (const [owner, list] of order) {
      const present = await existsOn(sources.sources[owner], list)
      list.forEach((key, i) => { if (!present[i]) next.push(key) })
    }
    remaining = next
  }
  for (const source of sources.sources) {
    if (remaining.length === 0) break
    const present = await existsOn(source, remaining)
    remaining = remaining.filter((_, i) => !present[i])
  }
  return remaining
}

function groupByOwnerFirst(sources: SourceSet, keys: Buffer[]): Map<number, Buffer[]> {
  const groups = new Map<number, Buffer[]>()
  for (const key of keys) {
    const owner = (sources.ownerOf as (k: Buffer) => number)(key)
    let list = groups.get(owner)
    if (!list) groups.set(owner, (list = []))
    list.push(key)
  }
  return groups
}

/** Pages being checked at once per scanned server, while the next page is read. */
const WINDOW = 4

/**
 * Runs `check` on each page `next` yields, up to WINDOW at once, in order; the first failure
 * is thrown once every started check has settled.
 */
async function pagesInFlight<T>(next: () => Promise<{page: T; last: boolean}>, check: (page: T) => Promise<void>): Promise<void> {
  const inFlight: Array<Promise<void>> = []
  try {
    for (let round = 0; round < 1e9; round++) {
      const {page, last} = await next()
      const work = check(page)
      work.catch(() => {}) // awaited (and so reported) in order below
      inFlight.push(work)
      if (inFlight.length >= WINDOW) await inFlight.shift()
      if (last) break
    }
    while (inFlight.length > 0) await inFlight.shift()
  } finally {
    await Promise.allSettled(inFlight)
  }
}

export async function verifyMigration(sources: SourceSet, target: MigrationTarget, options: VerifyOptions): Promise<VerifyReport> {
  const ctx: CopyContext = {sources, target, stats: emptyStats(), write: {onConflict: 'fail', bigKeyBytes: Infinity, chunk: {elements: 1, bytes: 1}}}
  let checked = 0
  const suspects = new Map<Source, Buffer[]>()
  await Promise.all(sources.sources.map(async (source) => {
    let cursor = '0'
    await pagesInFlight(async () => {
      const page = await readPage(source, cursor, options.scanCount, true)
      cursor = page.cursor
      return {page, last: cursor === '0'}
    }, async (page: ScannedPage) => {
      const owned = await ownedPositions(ctx, source, page, false)
      // Keys gone from the source since the scan have nothing to compare.
      const present = owned.filter((i) => payloadLengthOf(page, i) !== VANISHED)
      const flagged = await compareOnTarget(target.client, page, present, options.ttlToleranceMs)
      const found = flagged.size > 0 ? await compareKeys(source, target, [...flagged.keys()].map((i) => keyOf(page, i)), options) : []
      checked += owned.length
      options.onProgress?.(checked)
      if (found.length > 0) {
        let list = suspects.get(source)
        if (!list) suspects.set(source, (list = []))
        list.push(...found.map((m) => m.key))
      }
    })
  }))
  let targetKeys = 0
  let extraSuspects: Buffer[] = []
  await Promise.all(target.masters().map(async (master) => {
    let cursor = '0'
    await pagesInFlight(async () => {
      const [next, keys] = await master.scanBuffer(cursor, 'COUNT', options.scanCount)
      cursor = next.toString()
      return {page: keys, last: cursor === '0'}
    }, async (keys: Buffer[]) => {
      // the marks a replication capture keeps of what it applied are twlab's own (changes/applied-marks.ts)
      const data = keys.filter((key) => !isAppliedMark(key))
      targetKeys += data.length
      if (data.length > 0) extraSuspects.push(...(await keysOnNoSource(sources, data)))
    })
  }))
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
