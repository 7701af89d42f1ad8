// Intset decoding: small sets of integers (encoding width, count, then sorted little-endian ints).
import {CorruptValue} from '../errors.js'
import type {PackedElement} from './listpack.js'

export function intsetElements(blob: Buffer): PackedElement[] {
  if (blob.length < 8) throw new CorruptValue(0, 'an intset header (8 bytes)')
  const width = blob.readUInt32LE(0)
  const count = blob.readUInt32LE(4)
  if (width !== 2 && width !== 4 && width !== 8) throw new CorruptValue(0, `an intset width of 2, 4 or 8, not ${width}`)
  if (8 + count * width !== blob.length) throw new CorruptValue(4, `${count} intset members of ${width} bytes filling the blob`)
  const out: PackedElement[] = new Array(count)
  for (let i = 0, pos = 8; i < count; i++, pos += width) {
    if (width === 8) {
      const value = blob.readBigInt64LE(pos)
      out[i] = value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value
    } else {
      out[i] = blob.readIntLE(pos, width)
    }
  }
  return out
}
