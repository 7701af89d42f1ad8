// Listpack decoding: the blob that holds small lists, sets, hashes, zsets and stream nodes since
// Redis 7. Elements come out as bytes (views into the blob) or integers (numbers, or bigints
// beyond 2^53). Every length is checked against the blob, so a corrupted one ends in CorruptValue.
import {CorruptValue} from '../errors.js'

export type PackedElement = Buffer | number | bigint

const HEADER_BYTES = 6
const EOF_BYTE = 0xff

/** The number of bytes a listpack entry's back-length takes, for an entry of `size` bytes. */
function backlenBytes(size: number): number {
  if (size <= 127) return 1
  if (size < 16383) return 2
  if (size < 2097151) return 3
  if (size < 268435455) return 4
  return 5
}

/** Every element of the listpack in blob[0, blob.length), in order. */
export function listpackElements(blob: Buffer): PackedElement[] {
  const end = blob.length
  if (end < HEADER_BYTES + 1) throw new CorruptValue(0, 'a listpack header (7 bytes at least)')
  const declared = blob.readUInt32LE(0)
  if (declared !== end) throw new CorruptValue(0, `a listpack of ${end} bytes, its header says ${declared}`)
  const out: PackedElement[] = []
  let pos = HEADER_BYTES
  for (;;) {
    if (pos >= end) throw new CorruptValue(pos, 'the listpack end byte 0xff')
    const first = blob[pos]
    if (first === EOF_BYTE) break
    let entrySize: number
    if (first < 0x80) {
      out.push(first)
      entrySize = 1
    } else if (first < 0xc0) {
      const len = first & 0x3f
      entrySize = 1 + len
      if (pos + entrySize > end) throw new CorruptValue(pos, 'a listpack string inside the blob')
      out.push(blob.subarray(pos + 1, pos + entrySize))
    } else if (first < 0xe0) {
      if (pos + 2 > end) throw new CorruptValue(pos, 'a 13-bit listpack integer')
      const raw = ((first & 0x1f) << 8) | blob[pos + 1]
      out.push(raw >= 4096 ? raw - 8192 : raw)
      entrySize = 2
    } else if (first < 0xf0) {
      if (pos + 2 > end) throw new CorruptValue(pos, 'a 12-bit listpack string length')
      const len = ((first & 0x0f) << 8) | blob[pos + 1]
      entrySize = 2 + len
      if (pos + entrySize > end) throw new CorruptValue(pos, 'a listpack string inside the blob')
      out.push(blob.subarray(pos + 2, pos + entrySize))
    } else {
      entrySize = wideEntry(blob, pos, end, first, out)
    }
    pos += entrySize
    pos += backlenBytes(entrySize)
    if (pos > end) throw new CorruptValue(pos, 'a listpack back-length inside the blob')
  }
  if (pos + 1 !== end) throw new CorruptValue(pos, 'the listpack to end at its end byte')
  const count = blob.readUInt16LE(4)
  if (count !== 65535 && count !== out.length) throw new CorruptValue(4, `${count} listpack elements, found ${out.length}`)
  return out
}

/** The 0xf0-0xf4 entries: 32-bit string lengths and 16/24/32/64-bit integers. Returns the entry size. */
function wideEntry(blob: Buffer, pos: number, end: number, first: number, out: PackedElement[]): number {
  switch (first) {
    case 0xf0: {
      if (pos + 5 > end) throw new CorruptValue(pos, 'a 32-bit listpack string length')
      const len = blob.readUInt32LE(pos + 1)
      const size = 5 + len
      if (pos + size > end) throw new CorruptValue(pos, 'a listpack string inside the blob')
      out.push(blob.subarray(pos + 5, pos + size))
      return size
    }
    case 0xf1:
      if (pos + 3 > end) throw new CorruptValue(pos, 'a 16-bit listpack integer')
      out.push(blob.readInt16LE(pos + 1))
      return 3
    case 0xf2:
      if (pos + 4 > end) throw new CorruptValue(pos, 'a 24-bit listpack integer')
      out.push(blob.readIntLE(pos + 1, 3))
      return 4
    case 0xf3:
      if (pos + 5 > end) throw new CorruptValue(pos, 'a 32-bit listpack integer')
      out.push(blob.readInt32LE(pos + 1))
      return 5
    case 0xf4: {
      if (pos + 9 > end) throw new CorruptValue(pos, 'a 64-bit listpack integer')
      const value = blob.readBigInt64LE(pos + 1)
      out.push(value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value)
      return 9
    }
    default:
      throw new CorruptValue(pos, `a listpack entry type, not 0x${first.toString(16)}`)
  }
}

/** An element as the bytes Redis would reply with (integers in decimal). */
export function elementBytes(element: PackedElement): Buffer {
  return typeof element === 'object' ? element : Buffer.from(String(element))
}

/** An element as a number (zset scores stored in a listpack or ziplist). */
export function elementNumber(element: PackedElement): number {
  if (typeof element === 'number') return element
  if (typeof element === 'bigint') return Number(element)
  const text = element.toString('latin1')
  const value = Number(text)
  if (Number.isNaN(value)) {
    if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity
    if (!/nan/i.test(text)) throw new CorruptValue(0, `a number, not "${text.slice(0, 40)}"`)
  }
  return value
}

/** An element as an exact integer (stream node fields), or undefined when it holds text. */
export function elementInteger(element: PackedElement): bigint | undefined {
  if (typeof element === 'number') return BigInt(element)
  if (typeof element === 'bigint') return element
  const text = element.toString('latin1')
  return /^-?\d{1,20}$/.test(text) ? BigInt(text) : undefined
}
