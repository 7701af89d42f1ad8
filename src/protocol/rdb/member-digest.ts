// An order-free digest of a hash-table set's or hash's DUMP payload (RDB types 2 and 4), from the
// bytes of its members (and values) as they stand in the payload. Such a payload lists them in
// the server's own hash order (seeded per process), so two servers holding the same value dump
// it differently; equal digests say they hold the same members, without decoding either payload
// or building a map of one (a 50,000-field hash costs a few milliseconds instead of a hundred).
// Members encoded differently (one server compressing, the other not) give different digests:
// the caller then decodes both (verify/value-equality.ts).
//
// Each member's (or field-value pair's) encoded bytes are hashed twice, MurmurHash3 and FNV-1a
// (32-bit each), and each kind of hash summed: the sums do not depend on the order, and two
// different values give the same pair of sums only by a chance of about one in 2^64.
import {RDB_TYPE} from './constants.js'
import {Cursor} from './cursor.js'
import {DUMP_FOOTER_BYTES} from './dump-payload.js'

const MURMUR_SEED = 0x9747b28c
const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/**
 * Two unrelated 32-bit hashes of bytes[start, end), left in `pair`: MurmurHash3 and FNV-1a. Two
 * algorithms rather than one with two seeds: MurmurHash3 has collisions that hold for every seed.
 */
const pair = new Uint32Array(2)
function hashTwice(bytes: Uint8Array, start: number, end: number): void {
  let h = MURMUR_SEED
  let f = FNV_OFFSET
  const whole = start + ((end - start) & ~3)
  for (let i = start; i < whole; i += 4) {
    const b0 = bytes[i]
    const b1 = bytes[i + 1]
    const b2 = bytes[i + 2]
    const b3 = bytes[i + 3]
    let k = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)
    k = Math.imul(k, 0xcc9e2d51)
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
    h ^= k
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
    f = Math.imul(f ^ b0, FNV_PRIME)
    f = Math.imul(f ^ b1, FNV_PRIME)
    f = Math.imul(f ^ b2, FNV_PRIME)
    f = Math.imul(f ^ b3, FNV_PRIME)
  }
  if (end > whole) {
    // the last one to three bytes, little-endian
    let k = 0
    for (let i = end - 1; i >= whole; i--) k = (k << 8) | bytes[i]
    k = Math.imul(k, 0xcc9e2d51)
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593)
    for (let i = whole; i < end; i++) f = Math.imul(f ^ bytes[i], FNV_PRIME)
  }
  h ^= end - start
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  pair[0] = h
  pair[1] = f
}

const cursor = new Cursor()
const sums = new Float64Array(3)

/** Fills `sums` with the payload's count and two sums; false for a payload that is not a hash-table set or hash, or does not parse. */
function digestInto(payload: Buffer): boolean {
  const type = payload[0]
  if (type !== RDB_TYPE.SET && type !== RDB_TYPE.HASH) return false
  cursor.reset(payload, 1, payload.length - DUMP_FOOTER_BYTES, 0, false)
  try {
    const count = cursor.count()
    const stringsPerMember = type === RDB_TYPE.HASH ? 2 : 1
    let sum1 = 0
    let sum2 = 0
    for (let n = 0; n < count; n++) {
      const start = cursor.pos
      for (let s = 0; s < stringsPerMember; s++) cursor.skipString()
      hashTwice(payload, start, cursor.pos)
      sum1 = (sum1 + pair[0]) >>> 0
      sum2 = (sum2 + pair[1]) >>> 0
    }
    if (cursor.pos !== cursor.limit) return false
    sums[0] = count
    sums[1] = sum1
    sums[2] = sum2
    return true
  } catch {
    return false
  }
}

/** Whether two DUMP payloads of hash-table sets or hashes hold the same members, encoded alike. */
export function sameMembers(a: Buffer, b: Buffer): boolean {
  if (a[0] !== b[0] || !digestInto(a)) return false
  const [count, sum1, sum2] = sums
  return digestInto(b) && sums[0] === count && sums[1] === sum1 && sums[2] === sum2
}
