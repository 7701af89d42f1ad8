// CRC-64 as Redis computes it (Jones polynomial, reflected, initial value 0, no final xor): the
// checksum at the end of an RDB file and in every DUMP payload. The 64-bit state is kept in two
// 32-bit halves so the loop stays on small integers.

const REFLECTED_POLY_HI = 0x95ac9329
const REFLECTED_POLY_LO = 0xac4bc9b5

const TABLE_HI = new Uint32Array(256)
const TABLE_LO = new Uint32Array(256)
for (let i = 0; i < 256; i++) {
  let hi = 0
  let lo = i
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0
    hi = hi >>> 1
    if (carry) {
      hi = (hi ^ REFLECTED_POLY_HI) >>> 0
      lo = (lo ^ REFLECTED_POLY_LO) >>> 0
    }
  }
  TABLE_HI[i] = hi
  TABLE_LO[i] = lo
}

/** A running CRC-64; feed it ranges in order. */
export class Crc64 {
  private hi = 0
  private lo = 0

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let hi = this.hi
    let lo = this.lo
    for (let i = start; i < end; i++) {
      const index = (lo ^ buf[i]) & 0xff
      lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]
      hi = (hi >>> 8) ^ TABLE_HI[index]
    }
    this.hi = hi >>> 0
    this.lo = lo >>> 0
    return this
  }

  digest(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo)
  }

  /** the checksum as the 8 little-endian bytes Redis writes */
  digestBytes(): Buffer {
    const out = Buffer.allocUnsafe(8)
    out.writeUInt32LE(this.lo, 0)
    out.writeUInt32LE(this.hi, 4)
    return out
  }
}

/**
 * The CRC-64 of buf[start, end) written as its 8 little-endian bytes at out[at]: no object, no
 * allocation (a DUMP payload's footer, once per key of a snapshot).
 */
export function writeCrc64(buf: Uint8Array, start: number, end: number, out: Uint8Array, at: number): void {
  let hi = 0
  let lo = 0
  for (let i = start; i < end; i++) {
    const index = (lo ^ buf[i]) & 0xff
    lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]
    hi = (hi >>> 8) ^ TABLE_HI[index]
  }
  for (let b = 0; b < 4; b++, lo >>>= 8) out[at + b] = lo & 0xff
  for (let b = 4; b < 8; b++, hi >>>= 8) out[at + b] = hi & 0xff
}

export function crc64(buf: Uint8Array, start = 0, end = buf.length): bigint {
  return new Crc64().update(buf, start, end).digest()
}
