// A blob (listpack, ziplist, intset, zipmap) stored as one RDB string, read and decoded, with its
// faults reported at the blob's place in the file.
import type {Cursor} from './cursor.js'
import {CorruptValue, RdbError} from './errors.js'
import type {PackedElement} from './blobs/listpack.js'

export type Blob = (blob: Buffer) => PackedElement[]

export function blob(cursor: Cursor, decode: Blob): PackedElement[] {
  const at = cursor.offset
  const bytes = cursor.string()
  try {
    return decode(bytes)
  } catch (error) {
    if (!(error instanceof CorruptValue)) throw error
    throw new RdbError(at, `${error.expected} (byte ${error.relativeOffset} of the blob)`, `${decode.name.replace(/Elements$/, '')} is corrupt`)
  }
}
