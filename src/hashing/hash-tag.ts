// nutcracker's hash_tag rule: with a two-byte tag such as "{}", only the bytes between the first
// opening byte and the first closing byte after it are hashed, provided that part is not empty.
// Otherwise (no opening byte, no closing byte, or "{}") the whole key is hashed.

/** The first index of `byte` in key[from, end), or -1. */
function indexOfByte(key: Uint8Array, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (key[i] === byte) return i
  return -1
}

/**
 * The part of key[start, end) that nutcracker hashes for `tag` (two bytes, opening then
 * closing), as [start, end). Without a tag (undefined or empty) the range is returned as it is.
 * HashTagRange below is the allocation-free form for hot paths.
 */
export function hashTagRange(key: Uint8Array, start: number, end: number, tag?: string): [number, number] {
  if (tag === undefined || tag.length === 0) return [start, end]
  const range = new HashTagRange(tag)
  range.apply(key, start, end)
  return [range.start, range.end]
}

/** A reusable hash_tag matcher: `apply` sets `start`/`end` without allocating. */
export class HashTagRange {
  readonly open: number
  readonly close: number
  start = 0
  end = 0

  constructor(tag: string) {
    const bytes = new TextEncoder().encode(tag)
    if (bytes.length !== 2) throw new RangeError(`hash_tag must be exactly two bytes, got "${tag}"`)
    this.open = bytes[0]!
    this.close = bytes[1]!
  }

  apply(key: Uint8Array, start: number, end: number): void {
    this.start = start
    this.end = end
    const open = indexOfByte(key, this.open, start, end)
    if (open < 0) return
    const close = indexOfByte(key, this.close, open + 1, end)
    if (close < 0 || close - open <= 1) return
    this.start = open + 1
    this.end = close
  }
}
