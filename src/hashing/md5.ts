// MD5 (RFC 1321) over a byte range, without allocating per call: nutcracker hashes keys with it
// (`md5` keeps the first four digest bytes, little-endian) and builds every ketama point from it.
// node:crypto would allocate a Hash object and a digest Buffer for each key.

const SHIFTS = Uint8Array.from([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
])
const SINES = Int32Array.from({length: 64}, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0)
const WORD_INDEX = Uint8Array.from({length: 64}, (_, i) =>
  i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16)

const words = new Int32Array(16)
const tail = new Uint8Array(128)
const state = new Int32Array(4)

function loadBlock(bytes: Uint8Array, offset: number): void {
  for (let w = 0; w < 16; w++, offset += 4) {
    words[w] = bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)
  }
}

function compress(): void {
  let a = state[0]!
  let b = state[1]!
  let c = state[2]!
  let d = state[3]!
  let f = 0
  let i = 0
  // The four rounds differ only in their mixing function: one loop each keeps the steps branch-free.
  for (; i < 16; i++) {
    f = (((b & c) | (~b & d)) + a + SINES[i]! + words[i]!) | 0
    a = d; d = c; c = b
    b = (b + ((f << SHIFTS[i]!) | (f >>> (32 - SHIFTS[i]!)))) | 0
  }
  for (; i < 32; i++) {
    f = (((d & b) | (~d & c)) + a + SINES[i]! + words[WORD_INDEX[i]!]!) | 0
    a = d; d = c; c = b
    b = (b + ((f << SHIFTS[i]!) | (f >>> (32 - SHIFTS[i]!)))) | 0
  }
  for (; i < 48; i++) {
    f = ((b ^ c ^ d) + a + SINES[i]! + words[WORD_INDEX[i]!]!) | 0
    a = d; d = c; c = b
    b = (b + ((f << SHIFTS[i]!) | (f >>> (32 - SHIFTS[i]!)))) | 0
  }
  for (; i < 64; i++) {
    f = ((c ^ (b | ~d)) + a + SINES[i]! + words[WORD_INDEX[i]!]!) | 0
    a = d; d = c; c = b
    b = (b + ((f << SHIFTS[i]!) | (f >>> (32 - SHIFTS[i]!)))) | 0
  }
  state[0] = (state[0]! + a) | 0
  state[1] = (state[1]! + b) | 0
  state[2] = (state[2]! + c) | 0
  state[3] = (state[3]! + d) | 0
}

/** The digest of key[start, end) as four little-endian words, written into `out`. */
export function md5Words(key: Uint8Array, start: number, end: number, out: Uint32Array): Uint32Array {
  state[0] = 0x67452301
  state[1] = 0xefcdab89 | 0
  state[2] = 0x98badcfe | 0
  state[3] = 0x10325476
  const length = end - start
  let offset = start
  for (; end - offset >= 64; offset += 64) {
    loadBlock(key, offset)
    compress()
  }
  const rest = end - offset
  const tailLength = rest < 56 ? 64 : 128
  for (let i = 0; i < rest; i++) tail[i] = key[offset + i]!
  tail[rest] = 0x80
  tail.fill(0, rest + 1, tailLength - 8)
  const bitsLow = (length << 3) >>> 0
  const bitsHigh = Math.floor(length / 2 ** 29)
  for (let i = 0; i < 4; i++) {
    tail[tailLength - 8 + i] = (bitsLow >>> (8 * i)) & 0xff
    tail[tailLength - 4 + i] = (bitsHigh >>> (8 * i)) & 0xff
  }
  for (let block = 0; block < tailLength; block += 64) {
    loadBlock(tail, block)
    compress()
  }
  for (let i = 0; i < 4; i++) out[i] = state[i]!
  return out
}

const digest = new Uint32Array(4)

/** nutcracker's `md5` hash: the first four digest bytes as a little-endian uint32. */
export function md5(key: Uint8Array, start: number, end: number): number {
  return md5Words(key, start, end, digest)[0]!
}
