// Paul Hsieh's SuperFastHash as nutcracker builds it on x86-64. It differs from the published one:
// the hash starts at 0 rather than at the length, the third byte of a 3-byte tail is a C `char`
// (sign-extended before the shift) while a 1-byte tail is unsigned. 16-bit reads are little-endian.
// An empty key is 0.

export function hsieh(key: Uint8Array, start: number, end: number): number {
  const length = end - start
  if (length <= 0) return 0
  let hash = 0
  let i = start
  for (let blocks = length >>> 2; blocks > 0; blocks--) {
    hash = (hash + (key[i]! | (key[i + 1]! << 8))) | 0
    const tmp = ((key[i + 2]! | (key[i + 3]! << 8)) << 11) ^ hash
    hash = (hash << 16) ^ tmp
    i += 4
    hash = (hash + (hash >>> 11)) | 0
  }
  switch (length & 3) {
    case 3:
      hash = (hash + (key[i]! | (key[i + 1]! << 8))) | 0
      hash ^= hash << 16
      hash ^= ((key[i + 2]! << 24) >> 24) << 18
      hash = (hash + (hash >>> 11)) | 0
      break
    case 2:
      hash = (hash + (key[i]! | (key[i + 1]! << 8))) | 0
      hash ^= hash << 11
      hash = (hash + (hash >>> 17)) | 0
      break
    case 1:
      hash = (hash + key[i]!) | 0
      hash ^= hash << 10
      hash = (hash + (hash >>> 1)) | 0
      break
  }
  hash ^= hash << 3
  hash = (hash + (hash >>> 5)) | 0
  hash ^= hash << 4
  hash = (hash + (hash >>> 17)) | 0
  hash ^= hash << 25
  hash = (hash + (hash >>> 6)) | 0
  return hash >>> 0
}
