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

// Slicing by 8: table k gives the effect of a byte followed by k zero bytes, so eight bytes are
// folded in per step with eight independent lookups (several times faster than byte by byte).
const SLICE_HI = [TABLE_HI]
const SLICE_LO = [TABLE_LO]
for (let k = 1; k < 8; k++) {
  const hiTable = new Uint32Array(256)
  const loTable = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    const hi = SLICE_HI[k - 1][i]
    const lo = SLICE_LO[k - 1][i]
    const index = lo & 0xff
    loTable[i] = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]) >>> 0
    hiTable[i] = ((hi >>> 8) ^ TABLE_HI[index]) >>> 0
  }
  SLICE_HI.push(hiTable)
  SLICE_LO.push(loTable)
}
const [H0, H1, H2, H3, H4, H5, H6, H7] = SLICE_HI
const [L0, L1, L2, L3, L4, L5, L6, L7] = SLICE_LO

/** the state after a range: set by fold() (two numbers, no object per call) */
let foldedHi = 0
let foldedLo = 0

function fold(hiIn: number, loIn: number, buf: Uint8Array, start: number, end: number): void {
  let hi = hiIn
  let lo = loIn
  let i = start
  for (; i + 8 <= end; i += 8) {
    lo ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)
    hi ^= buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24)
    const a = lo & 0xff
    const b = (lo >>> 8) & 0xff
    const c = (lo >>> 16) & 0xff
    const d = lo >>> 24
    const e = hi & 0xff
    const f = (hi >>> 8) & 0xff
    const g = (hi >>> 16) & 0xff
    const h = hi >>> 24
    lo = L7[a] ^ L6[b] ^ L5[c] ^ L4[d] ^ L3[e] ^ L2[f] ^ L1[g] ^ L0[h]
    hi = H7[a] ^ H6[b] ^ H5[c] ^ H4[d] ^ H3[e] ^ H2[f] ^ H1[g] ^ H0[h]
  }
  for (; i < end; i++) {
    const index = (lo ^ buf[i]) & 0xff
    lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]
    hi = (hi >>> 8) ^ TABLE_HI[index]
  }
  foldedHi = hi >>> 0
  foldedLo = lo >>> 0
}

/** A running CRC-64; feed it ranges in order. */
export class Crc64 {
  private hi = 0
  private lo = 0

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    fold(this.hi, this.lo, buf, start, end)
    this.hi = foldedHi
    this.lo = foldedLo
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
  fold(0, 0, buf, start, end)
  let lo = foldedLo
  let hi = foldedHi
  for (let b = 0; b < 4; b++, lo >>>= 8) out[at + b] = lo & 0xff
  for (let b = 4; b < 8; b++, hi >>>= 8) out[at + b] = hi & 0xff
}

export function crc64(buf: Uint8Array, start = 0, end = buf.length): bigint {
  return new Crc64().update(buf, start, end).digest()
}
