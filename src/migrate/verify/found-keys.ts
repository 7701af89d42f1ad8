// Verify's count check with bare --from servers, where no pool hashing says which server owns a
// key (the first listed server holding it wins). The source -> target pass counts, per target
// master, the keys it found there, and a key held by two servers is found twice. Asking the
// earlier servers about every key first (one EXISTS per key and earlier server) costs the first
// server more than its own scan, and the copy does not pay it either (source/duplicates.ts).
// Instead each key found on the target is remembered as a fingerprint (its slot and a 37-bit hash
// of its name, 8 bytes), and once every pass is done the fingerprints seen more than once (found
// through a hash table: sorting a million of them cost more than the whole table) are taken off
// the count of the slot's master. A key found twice always repeats its fingerprint, so
// every real repeat is taken off; two different keys sharing one only lower the count, and a
// master whose count then falls short of its DBSIZE is checked key by key: a collision can cost
// time, never a wrong "no other keys here".
import type {Cluster} from 'ioredis'
import {keyLengthOf, keySlotOf, keyStartOf, type RecordPage} from '../copy/record-pack.js'
import type {FoundPerMaster} from './target-to-sources.js'

/** Past this many keys the fingerprints (8 bytes each) are not kept: the count check is not used. */
const MOST_FINGERPRINTS = 16 * 1024 * 1024
const HASH_SPAN = 2 ** 37

/** FNV-1a over a key's name (bytes start..end of a page), widened to 37 bits with its length. */
function nameHash(bytes: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5
  for (let at = start; at < end; at++) hash = Math.imul(hash ^ bytes[at], 0x01000193)
  return ((end - start) & 31) * 2 ** 32 + (hash >>> 0)
}

export class FoundKeys {
  private fingerprints = new Float64Array(1 << 16)
  private size = 0
  /** false once more keys were found than MOST_FINGERPRINTS */
  complete = true

  /** Remembers the keys at `positions` of `page` as found on the target. */
  add(page: RecordPage, positions: readonly number[]): void {
    if (!this.complete) return
    if (this.size + positions.length > MOST_FINGERPRINTS) {
      this.complete = false
      this.fingerprints = new Float64Array(0)
      return
    }
    while (this.size + positions.length > this.fingerprints.length) {
      const wider = new Float64Array(this.fingerprints.length * 2)
      wider.set(this.fingerprints.subarray(0, this.size))
      this.fingerprints = wider
    }
    const bytes = page.blob
    for (const i of positions) {
      const start = keyStartOf(page, i)
      const end = start + keyLengthOf(page, i)
      this.fingerprints[this.size++] = keySlotOf(page, i) * HASH_SPAN + nameHash(bytes, start, end)
    }
  }

  /**
   * Takes the repeats off `found` (per master, by the cluster's slot map now). Returns how many
   * there were in all and the masters they were on (a key found twice may have been counted twice
   * with its expiry too: those masters' expiries are not settled by count, expiry-count.ts), or
   * undefined when not every key was remembered.
   */
  takeRepeatsOff(found: FoundPerMaster, cluster: Cluster): {repeats: number; masters: Set<string>} | undefined {
    if (!this.complete) return undefined
    const masters = new Set<string>()
    let repeats = 0
    for (const fingerprint of repeatsOf(this.fingerprints.subarray(0, this.size))) {
      repeats++
      const slot = Math.floor(fingerprint / HASH_SPAN)
      const master = cluster.slots[slot]?.[0]
      if (master === undefined) return undefined // a slot no master serves: the count check cannot hold
      found.set(master, (found.get(master) ?? 0) - 1)
      masters.add(master)
    }
    this.fingerprints = new Float64Array(0)
    return {repeats, masters}
  }
}

/**
 * Every fingerprint that comes again after its first time (one per repeat), through an
 * open-addressing table of twice as many places as fingerprints. Fingerprints are stored plus one,
 * so that 0 marks a free place; the name hash's low bits pick the place.
 */
function* repeatsOf(fingerprints: Float64Array): Generator<number> {
  let places = 1 << 16
  while (places < fingerprints.length * 2) places *= 2
  const table = new Float64Array(places)
  const mask = places - 1
  for (let i = 0; i < fingerprints.length; i++) {
    const fingerprint = fingerprints[i]
    const stored = fingerprint + 1
    let at = (fingerprint % 2 ** 32) & mask
    while (table[at] !== 0 && table[at] !== stored) at = (at + 1) & mask
    if (table[at] === stored) yield fingerprint
    else table[at] = stored
  }
}
