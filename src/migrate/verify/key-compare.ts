// One key compared closely, after the bulk comparison flagged it (or for a re-check): its payload
// read on both sides (equal bytes settle it; otherwise both are decoded and compared by what they
// hold, value-equality.ts), a value too big to hold here or one the RDB reader cannot decode by
// the type-aware digest on each server (digest.ts), and the expiries within the tolerance.
import type {Redis} from 'ioredis'
import type {MigrationTarget} from '../target/migration-target.js'
import {comparePayloads} from './value-equality.js'
import {estimatedBytes, valueDigest, type ValueDigest} from './digest.js'
import {ttlText, type Mismatch} from './mismatch.js'
import {readKeys, type KeyRecord} from '../source/reader.js'
import {retryTransient} from '../target/retry.js'
import type {Source} from '../source/sources.js'
import {readOnTarget} from '../target/target-batch.js'

/** decodedDifference's answer when a value cannot be decoded here: the servers digest it instead */
const UNDECIDED = Symbol('undecided')

export interface TargetRead {
  payload: Buffer | null
  expireAt: number
}

export function readTarget(target: MigrationTarget, keys: Buffer[]): Promise<TargetRead[]> {
  return readOnTarget(target.client, keys)
}

/** Compares keys of one source with the target; returns the ones that differ. */
export async function compareKeys(source: Source, target: MigrationTarget, keys: Buffer[], toleranceMs: number): Promise<Mismatch[]> {
  if (keys.length === 0) return []
  const [records, reads] = await Promise.all([readKeys(source, keys), readTarget(target, keys)])
  const mismatches: Mismatch[] = []
  for (let i = 0; i < keys.length; i++) {
    let found = decodedDifference(source, keys[i], records[i], reads[i], toleranceMs)
    if (found === UNDECIDED) found = await digestDifference(source, target, keys[i], toleranceMs)
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
 * decoded here (value-equality.ts): two DUMPs and two passes over a big hash-table set or hash
 * cost far less than digesting it member by member on both servers; bigger ones are digested
 * there (digest.ts) rather than held here.
 */
const DECODED_COMPARE_BYTES = 32 * 1024 * 1024

/**
 * Compares keys whose payloads are known to differ (the bulk comparison flagged their value:
 * encoded differently, or a big hash-table set or hash whose order is each server's own): both
 * payloads decoded and compared by what they hold, with the expiry on both sides; a value too big
 * to hold here, or one the RDB reader cannot decode, by the type-aware digest on each server.
 */
export async function compareFlaggedValues(source: Source, target: MigrationTarget, keys: Buffer[], toleranceMs: number): Promise<Mismatch[]> {
  const mismatches: Mismatch[] = []
  for (let start = 0; start < keys.length; start += DIGESTS_AT_ONCE) {
    const found = await Promise.all(keys.slice(start, start + DIGESTS_AT_ONCE).map(async (key) => {
      if (await estimatedBytes(source.client, key) <= DECODED_COMPARE_BYTES) {
        const [[mine], [theirs]] = await Promise.all([readKeys(source, [key]), retryTransient(() => readTarget(target, [key]))])
        const decided = decodedDifference(source, key, mine, theirs, toleranceMs)
        if (decided !== UNDECIDED) return decided
      }
      return digestDifference(source, target, key, toleranceMs)
    }))
    for (const mismatch of found) if (mismatch) mismatches.push(mismatch)
  }
  return mismatches
}

/** What differs between a key on a source and on the target, by the type-aware digest on each server (digest.ts). */
async function digestDifference(source: Source, target: MigrationTarget, key: Buffer, toleranceMs: number): Promise<Mismatch | undefined> {
  const [a, b] = await Promise.all([
    valueDigest(source.client, key, source.hasExpireTime ? 'PEXPIRETIME' : 'PTTL'),
    retryTransient(() => digestOnTarget(target, key, true)),
  ])
  return differenceOf(source, key, a, b, toleranceMs)
}

/** What differs between a key's payloads on a source and the target, decoded; UNDECIDED when one cannot be decoded. */
function decodedDifference(source: Source, key: Buffer, want: KeyRecord, have: TargetRead, toleranceMs: number): Mismatch | undefined | typeof UNDECIDED {
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
  if ((want.expireAt > 0) !== (have.expireAt > 0) || Math.abs(want.expireAt - have.expireAt) > toleranceMs) {
    return {kind: 'ttl', key, detail: `${ttlText(want.expireAt)} on ${source.name}, ${ttlText(have.expireAt)} on the target`}
  }
  return undefined
}

/** What differs between a key's digests on a source (a) and the target (b), if anything. */
function differenceOf(source: Source, key: Buffer, a: ValueDigest, b: ValueDigest, toleranceMs: number): Mismatch | undefined {
  if (a.type === 'none') return undefined // gone from the source since the scan: nothing to compare
  if (b.type === 'none') return {kind: 'missing', key, detail: `on ${source.name}, not on the target`}
  if (a.type !== b.type) return {kind: 'type', key, detail: `${a.type} on ${source.name}, ${b.type} on the target`}
  if (a.digest !== b.digest) return {kind: 'value', key, detail: `${a.type} values differ (${source.name} vs target)`}
  const [want, have] = [a.expireAt ?? 0, b.expireAt ?? 0]
  if ((want > 0) !== (have > 0) || Math.abs(want - have) > toleranceMs) {
    return {kind: 'ttl', key, detail: `${ttlText(want)} on ${source.name}, ${ttlText(have)} on the target`}
  }
  return undefined
}
