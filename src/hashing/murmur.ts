// MurmurHash2 (32-bit) as nutcracker uses it: the seed is 0xdeadbeef * length, 32-bit words are
// read little-endian, and the tail bytes are unsigned.

const M = 0x5bd1e995

export function murmur(key: Uint8Array, start: number, end: number): number {
  let length = end - start
  let hash = Math.imul(0xdeadbeef, length) ^ length
  let i = start
  while (length >= 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    hash = Math.imul(hash, M) ^ k
    i += 4
    length -= 4
  }
  // The C code falls through from 3 to 2 to 1.
  if (length >= 3) hash ^= key[i + 2]! << 16
  if (length >= 2) hash ^= key[i + 1]! << 8
  if (length >= 1) hash = Math.imul(hash ^ key[i]!, M)
  hash ^= hash >>> 13
  hash = Math.imul(hash, M)
  hash ^= hash >>> 15
  return hash >>> 0
}
