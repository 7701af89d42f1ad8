// CRC-16/XMODEM (polynomial 0x1021, not reflected) in two flavours: nutcracker's `crc16` hash,
// which never masks its register to 16 bits (so the bits shifted out stay and the value uses all
// 32 bits), and the real 16-bit CRC that Redis Cluster uses for key slots.

const TABLE = buildTable()

function buildTable(): Uint16Array {
  const table = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let crc = n << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[n] = crc
  }
  return table
}

/** nutcracker's `crc16` hash: the register is a uint32 that is never masked. */
export function crc16(key: Uint8Array, start: number, end: number): number {
  let crc = 0
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ key[i]!) & 0xff]!) >>> 0
  return crc
}

/** The standard 16-bit CRC-16/XMODEM ("123456789" gives 0x31c3). */
export function crc16Xmodem(key: Uint8Array, start: number, end: number): number {
  let crc = 0
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ key[i]!) & 0xff]!
  return crc
}
