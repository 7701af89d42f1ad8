// Bob Jenkins' lookup3 `hashlittle` with initval 13, as nutcracker calls it. On a little-endian
// machine its word-at-a-time and byte-at-a-time paths agree, so this reads bytes (unsigned).
// An empty key returns the initial value of c.

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

export function jenkins(key: Uint8Array, start: number, end: number): number {
  let length = end - start
  let a = (0xdeadbeef + length + 13) | 0
  let b = a
  let c = a
  let i = start
  while (length > 12) {
    a = (a + (key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24))) | 0
    b = (b + (key[i + 4]! | (key[i + 5]! << 8) | (key[i + 6]! << 16) | (key[i + 7]! << 24))) | 0
    c = (c + (key[i + 8]! | (key[i + 9]! << 8) | (key[i + 10]! << 16) | (key[i + 11]! << 24))) | 0
    // mix(a, b, c)
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0
    length -= 12
    i += 12
  }
  if (length === 0) return c >>> 0
  // The last 1..12 bytes, added the way the C switch falls through from case 12 down to case 1.
  if (length >= 12) c = (c + (key[i + 11]! << 24)) | 0
  if (length >= 11) c = (c + (key[i + 10]! << 16)) | 0
  if (length >= 10) c = (c + (key[i + 9]! << 8)) | 0
  if (length >= 9) c = (c + key[i + 8]!) | 0
  if (length >= 8) b = (b + (key[i + 7]! << 24)) | 0
  if (length >= 7) b = (b + (key[i + 6]! << 16)) | 0
  if (length >= 6) b = (b + (key[i + 5]! << 8)) | 0
  if (length >= 5) b = (b + key[i + 4]!) | 0
  if (length >= 4) a = (a + (key[i + 3]! << 24)) | 0
  if (length >= 3) a = (a + (key[i + 2]! << 16)) | 0
  if (length >= 2) a = (a + (key[i + 1]! << 8)) | 0
  a = (a + key[i]!) | 0
  // final(a, b, c)
  c ^= b; c = (c - rot(b, 14)) | 0
  a ^= c; a = (a - rot(c, 11)) | 0
  b ^= a; b = (b - rot(a, 25)) | 0
  c ^= b; c = (c - rot(b, 16)) | 0
  a ^= c; a = (a - rot(c, 4)) | 0
  b ^= a; b = (b - rot(a, 14)) | 0
  c ^= b; c = (c - rot(b, 24)) | 0
  return c >>> 0
}
