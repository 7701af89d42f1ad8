// CRC-32 with the reflected polynomial 0xEDB88320. `crc32` is libmemcached's variant, which keeps
// only 15 bits of the result; `crc32a` is the standard CRC-32.

const TABLE = buildTable()

function buildTable(): Uint32Array {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let crc = n
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
    table[n] = crc >>> 0
  }
  return table
}

function register(key: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ key[i]!) & 0xff]!
  return crc
}

export function crc32(key: Uint8Array, start: number, end: number): number {
  return (~register(key, start, end) >>> 16) & 0x7fff
}

export function crc32a(key: Uint8Array, start: number, end: number): number {
  return ~register(key, start, end) >>> 0
}
