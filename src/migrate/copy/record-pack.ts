// Packed batches: many keys, or many RESTORE records, in ONE command argument or reply. Sending or
// receiving a batch as thousands of separate arguments or reply elements costs us an object and a
// parsing or command-building step per element (the bulk of a copy's CPU on our side); one packed
// string is a single buffer copy, and the Lua scripts on the servers pack and unpack it with
// `struct` (scripts.ts). Layouts, all lengths unsigned 32-bit big-endian:
// - keys:    [key length][key] ...
// - records: [key length][payload length][expiry length, 1 byte][key][expiry as decimal digits][payload] ...
//   The payload is a DUMP payload (verify: a value digest), the expiry an absolute unix time in
//   ms (0: none) as RESTORE ... ABSTTL takes it. A key gone between SCAN and DUMP has payload
//   length VANISHED and neither expiry nor payload bytes.
// A source script writes a page of records and the bytes of each record are forwarded as they
// are to the target node that owns the key: we only read the headers (to route by the key's slot)
// and copy byte ranges, never decode a payload.
import {keySlotOfRange} from '../../hashing/index.js'

export const VANISHED = 0xffffffff
const HEADER = 9

export function packKeys(keys: readonly Buffer[]): Buffer {
  let size = 0
  for (const key of keys) size += 4 + key.length
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const key of keys) {
    at = out.writeUInt32BE(key.length, at)
    at += key.copy(out, at)
  }
  return out
}

/** One page of packed records and where each starts (record i: starts[i] up to starts[i + 1]). */
export interface RecordPage {
  blob: Buffer
  starts: number[]
  count: number
  /** each record's key slot once asked (keySlotOf), -1 before: a page is grouped by owner, then counted by slot */
  slots?: Int16Array
}

/** Finds the record boundaries of a packed blob; throws on a blob that does not parse. */
export function indexRecords(blob: Buffer): RecordPage {
  const starts: number[] = []
  let at = 0
  while (at < blob.length) {
    if (at + HEADER > blob.length) break
    starts.push(at)
    const keyLength = blob.readUInt32BE(at)
    const payloadLength = blob.readUInt32BE(at + 4)
    const expiryLength = blob[at + 8]
    at += HEADER + keyLength
    if (payloadLength !== VANISHED) at += expiryLength + payloadLength
  }
  if (at !== blob.length) throw new Error('a packed page of records ends mid-record')
  const count = starts.length
  starts.push(at)
  return {blob, starts, count}
}

export function keyOf(page: RecordPage, i: number): Buffer {
  const start = page.starts[i]
  return page.blob.subarray(start + HEADER, start + HEADER + page.blob.readUInt32BE(start))
}

/** Where record i's key starts in the page's blob (its length: keyLengthOf). */
export function keyStartOf(page: RecordPage, i: number): number {
  return page.starts[i] + HEADER
}

export function keyLengthOf(page: RecordPage, i: number): number {
  return page.blob.readUInt32BE(page.starts[i])
}

export function keySlotOf(page: RecordPage, i: number): number {
  const slots = (page.slots ??= new Int16Array(page.count).fill(-1))
  if (slots[i] >= 0) return slots[i]
  const start = page.starts[i] + HEADER
  return (slots[i] = keySlotOfRange(page.blob, start, start + page.blob.readUInt32BE(page.starts[i])))
}

/** The payload's length, or VANISHED. */
export function payloadLengthOf(page: RecordPage, i: number): number {
  return page.blob.readUInt32BE(page.starts[i] + 4)
}

export function payloadOf(page: RecordPage, i: number): Buffer | null {
  const length = payloadLengthOf(page, i)
  if (length === VANISHED) return null
  return page.blob.subarray(page.starts[i + 1] - length, page.starts[i + 1])
}

export function expireAtOf(page: RecordPage, i: number): number {
  const start = page.starts[i]
  if (payloadLengthOf(page, i) === VANISHED) return 0
  const from = start + HEADER + page.blob.readUInt32BE(start)
  return Number(page.blob.toString('latin1', from, from + page.blob[start + 8]))
}

/** The records at `indexes`, copied byte for byte into one blob (one argument for a target script). */
export function gatherRecords(page: RecordPage, indexes: readonly number[]): Buffer {
  let size = 0
  for (const i of indexes) size += page.starts[i + 1] - page.starts[i]
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const i of indexes) at += page.blob.copy(out, at, page.starts[i], page.starts[i + 1])
  return out
}
