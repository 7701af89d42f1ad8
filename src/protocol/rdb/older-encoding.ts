// A value re-encoded as a type an older server knows, for a RESTORE into it: a file written by a
// newer server may hold types the target predates. Each newer type maps to an older one holding
// the same value:
// - a listpack set (RDB 11) -> a plain set (its members, each a raw string);
// - a stream with consumers' active times (RDB 11) -> the stream type before them (the active
//   times left out: the older server does not keep them);
// - a hash with field expiries (Redis 7.4+, Valkey 9) whose fields have none -> a plain hash.
// Anything else (a hash whose fields expire, a type this reader does not know) has no older form.
import {RDB_TYPE as T, VALKEY_TYPE_HASH_2, type RdbFlavor} from './constants.js'
import {Cursor} from './cursor.js'
import {decodeValue} from './decode-value.js'

/** An RDB length, in the shortest form that holds it. */
function rdbLength(n: number): Buffer {
  if (n < 64) return Buffer.from([n])
  if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff])
  const out = Buffer.alloc(5)
  out[0] = 0x80
  out.writeUInt32BE(n, 1)
  return out
}

function rdbStrings(count: number, strings: Buffer[]): Buffer {
  const parts: Buffer[] = [rdbLength(count)]
  for (const s of strings) parts.push(rdbLength(s.length), s)
  return Buffer.concat(parts)
}

/** A stream of RDB type 21 as type 19: the same bytes but each consumer's active time. */
function streamWithoutActiveTimes(valueBytes: Buffer): Buffer {
  const cursor = new Cursor().reset(valueBytes, 0, valueBytes.length, 0, false)
  cursor.context = 'a stream'
  const kept: Buffer[] = []
  let from = 0
  for (let nodes = cursor.count(); nodes > 0; nodes--) {
    cursor.skipString()
    cursor.skipString()
  }
  cursor.skipLength() // length
  for (let ids = 0; ids < 2 * 3; ids++) cursor.skipLength() // last, first and max deleted IDs
  cursor.skipLength() // entries added
  for (let groups = cursor.count(); groups > 0; groups--) {
    cursor.skipString()
    cursor.skipLength()
    cursor.skipLength() // last ID
    cursor.skipLength() // entries read
    for (let n = cursor.count(); n > 0; n--) {
      cursor.skip(16 + 8)
      cursor.skipLength()
    }
    for (let n = cursor.count(); n > 0; n--) {
      cursor.skipString()
      cursor.skip(8) // seen time
      kept.push(valueBytes.subarray(from, cursor.pos))
      cursor.skip(8) // active time: left out
      from = cursor.pos
      for (let p = cursor.count(); p > 0; p--) cursor.skip(16)
    }
  }
  if (cursor.pos !== valueBytes.length) cursor.fail('the end of the stream value', 'bytes follow the stream')
  kept.push(valueBytes.subarray(from))
  return Buffer.concat(kept)
}

/**
 * The value as a type a server whose types go up to `highestType` knows, or undefined when it has
 * no such form (see above).
 */
export function olderEncoding(typeByte: number, valueBytes: Buffer, flavor: RdbFlavor, highestType: number): {typeByte: number; valueBytes: Buffer} | undefined {
  if (typeByte === T.SET_LISTPACK) {
    const value = decodeValue(typeByte, valueBytes, {flavor})
    if (value.type !== 'set') return undefined
    return {typeByte: T.SET, valueBytes: rdbStrings(value.members.length, value.members)}
  }
  if (typeByte === T.STREAM_LISTPACKS_3 && highestType >= T.STREAM_LISTPACKS_2) {
    return {typeByte: T.STREAM_LISTPACKS_2, valueBytes: streamWithoutActiveTimes(valueBytes)}
  }
  const fieldExpiries = flavor === 'valkey' ? typeByte === VALKEY_TYPE_HASH_2
    : typeByte >= T.HASH_METADATA_PRE_GA && typeByte <= T.HASH_LISTPACK_EX
  if (fieldExpiries) {
    const value = decodeValue(typeByte, valueBytes, {flavor})
    if (value.type !== 'hash' || value.entries.some((entry) => (entry.expireAtMs ?? 0) > 0)) return undefined
    return {typeByte: T.HASH, valueBytes: rdbStrings(value.entries.length, value.entries.flatMap((entry) => [entry.field, entry.value]))}
  }
  return undefined
}
