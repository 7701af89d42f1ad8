// Ziplist decoding: the blob of small lists, hashes and zsets in files from before Redis 7 (and in
// quicklist nodes of the older list type). Same element model as listpack.ts.
import {CorruptValue} from '../errors.js'
import type {PackedElement} from './listpack.js'

const HEADER_BYTES = 10
const END_BYTE = 0xff

export function ziplistElements(blob: Buffer): PackedElement[] {
  const end = blob.length
  if (end < HEADER_BYTES + 1) throw new CorruptValue(0, 'a ziplist header (11 bytes at least)')
  const declared = blob.readUInt32LE(0)
  if (declared !== end) throw new CorruptValue(0, `a ziplist of ${end} bytes, its header says ${declared}`)
  const out: PackedElement[] = []
  let pos = HEADER_BYTES
  for (;;) {
    if (pos >= end) throw new CorruptValue(pos, 'the ziplist end byte 0xff')
    if (blob[pos] === END_BYTE) break
    // the previous entry's length: 1 byte, or 0xfe and 4 bytes
    pos += blob[pos] === 0xfe ? 5 : 1
    if (pos >= end) throw new CorruptValue(pos, 'a ziplist entry encoding')
    pos = ziplistEntry(blob, pos, end, out)
  }
  const count = blob.readUInt16LE(8)
  if (count !== 65535 && count !== out.length) throw new CorruptValue(8, `${count} ziplist elements, found ${out.length}`)
  return out
}

/** Decodes one entry's encoding and data at pos; returns the position after it. */
function ziplistEntry(blob: Buffer, pos: number, end: number, out: PackedElement[]): number {
  const first = blob[pos]
  const kind = first >>> 6
  let start: number
  let len: number
  if (kind === 0) {
    start = pos + 1
    len = first & 0x3f
  } else if (kind === 1) {
    if (pos + 2 > end) throw new CorruptValue(pos, 'a 14-bit ziplist string length')
    start = pos + 2
    len = ((first & 0x3f) << 8) | blob[pos + 1]
  } else if (first === 0x80) {
    if (pos + 5 > end) throw new CorruptValue(pos, 'a 32-bit ziplist string length')
    start = pos + 5
    len = blob.readUInt32BE(pos + 1)
  } else {
    return ziplistInteger(blob, pos, end, first, out)
  }
  if (start + len > end) throw new CorruptValue(pos, 'a ziplist string inside the blob')
  out.push(blob.subarray(start, start + len))
  return start + len
}

function ziplistInteger(blob: Buffer, pos: number, end: number, first: number, out: PackedElement[]): number {
  const sizes: Record<number, number> = {0xc0: 2, 0xd0: 4, 0xe0: 8, 0xf0: 3, 0xfe: 1}
  const size = sizes[first]
  if (size === undefined) {
    if (first >= 0xf1 && first <= 0xfd) {
      out.push((first & 0x0f) - 1)
      return pos + 1
    }
    throw new CorruptValue(pos, `a ziplist entry encoding, not 0x${first.toString(16)}`)
  }
  if (pos + 1 + size > end) throw new CorruptValue(pos, 'a ziplist integer inside the blob')
  if (size === 8) {
    const value = blob.readBigInt64LE(pos + 1)
    out.push(value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value)
  } else {
    out.push(blob.readIntLE(pos + 1, size))
  }
  return pos + 1 + size
}
