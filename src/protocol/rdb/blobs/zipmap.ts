// Zipmap decoding: the small-hash blob of files written before Redis 2.6. Cheap to keep, so an old
// backup still reads.
import {CorruptValue} from '../errors.js'
import type {PackedElement} from './listpack.js'

const BIGLEN = 254
const END = 255

/** Field, value, field, value... */
export function zipmapElements(blob: Buffer): PackedElement[] {
  const end = blob.length
  const out: PackedElement[] = []
  let pos = 1 // the first byte is a count hint
  for (let isValue = false; ; isValue = !isValue) {
    if (pos >= end) throw new CorruptValue(pos, 'the zipmap end byte 0xff')
    const first = blob[pos]
    if (first === END) {
      if (isValue) throw new CorruptValue(pos, 'a zipmap value after its field')
      break
    }
    let len = first
    pos++
    if (first === BIGLEN) {
      if (pos + 4 > end) throw new CorruptValue(pos, 'a 32-bit zipmap length')
      len = blob.readUInt32LE(pos)
      pos += 4
    } else if (first > BIGLEN) {
      throw new CorruptValue(pos - 1, 'a zipmap length')
    }
    let free = 0
    if (isValue) {
      if (pos >= end) throw new CorruptValue(pos, 'a zipmap free byte count')
      free = blob[pos++]
    }
    if (pos + len + free > end) throw new CorruptValue(pos, 'a zipmap string inside the blob')
    out.push(blob.subarray(pos, pos + len))
    pos += len + free
  }
  return out
}
