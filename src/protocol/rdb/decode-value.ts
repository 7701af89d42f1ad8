// Values decoded type by type, from the exact bytes the opcode loop handed on: for targets that
// cannot take the file's RDB version as a RESTORE payload, and for verification. Every encoding
// of a type comes out in one shape (a hash is field/value/expiry entries whether it was a
// listpack, a ziplist, a zipmap or a hashtable).
import {RDB_TYPE as T, QUICKLIST_CONTAINER, type RdbFlavor, VALKEY_TYPE_HASH_2} from './constants.js'
import {blob, type Blob} from './blob.js'
import {Cursor} from './cursor.js'
import {decodeStream, type StreamValue} from './decode-stream.js'
import {CorruptValue, RdbError} from './errors.js'
import {intsetElements} from './blobs/intset.js'
import {elementBytes, elementNumber, listpackElements, type PackedElement} from './blobs/listpack.js'
import {ziplistElements} from './blobs/ziplist.js'
import {zipmapElements} from './blobs/zipmap.js'

export interface ZsetEntry {
  member: Buffer
  score: number
}

export interface HashEntry {
  field: Buffer
  value: Buffer
  /** absolute expiry of this field in ms (Redis 7.4+ and Valkey 9 hash field TTLs) */
  expireAtMs?: number
}

export type RdbValue =
  | {type: 'string'; value: Buffer}
  | {type: 'list'; elements: Buffer[]}
  | {type: 'set'; members: Buffer[]}
  | {type: 'zset'; entries: ZsetEntry[]}
  | {type: 'hash'; entries: HashEntry[]}
  | StreamValue

export interface DecodeOptions {
  flavor?: RdbFlavor
  /** absolute offset of the type byte, so errors name the place in the file */
  offset?: number
}

export function decodeValue(typeByte: number, valueBytes: Buffer, options: DecodeOptions = {}): RdbValue {
  const cursor = new Cursor().reset(valueBytes, 0, valueBytes.length, (options.offset ?? 0) + 1, false)
  cursor.context = `a value of type ${typeByte}`
  let value: RdbValue
  try {
    value = decodeAt(cursor, typeByte, options.flavor ?? 'redis')
  } catch (error) {
    if (!(error instanceof CorruptValue)) throw error
    throw new RdbError(cursor.base - 1, error.expected, 'a value is corrupt')
  }
  if (cursor.pos !== valueBytes.length) cursor.fail(`the value to end after ${cursor.pos} bytes, not ${valueBytes.length}`)
  return value
}

function decodeAt(cursor: Cursor, type: number, flavor: RdbFlavor): RdbValue {
  switch (type) {
    case T.STRING: return {type: 'string', value: cursor.string()}
    case T.LIST: return {type: 'list', elements: strings(cursor, cursor.count())}
    case T.LIST_ZIPLIST: return {type: 'list', elements: blob(cursor, ziplistElements).map(elementBytes)}
    case T.LIST_QUICKLIST: return {type: 'list', elements: quicklist(cursor, false)}
    case T.LIST_QUICKLIST_2: return {type: 'list', elements: quicklist(cursor, true)}
    case T.SET: return {type: 'set', members: strings(cursor, cursor.count())}
    case T.SET_INTSET: return {type: 'set', members: blob(cursor, intsetElements).map(elementBytes)}
    case T.SET_LISTPACK: return {type: 'set', members: blob(cursor, listpackElements).map(elementBytes)}
    case T.ZSET: return {type: 'zset', entries: zsetEntries(cursor, false)}
    case T.ZSET_2: return {type: 'zset', entries: zsetEntries(cursor, true)}
    case T.ZSET_ZIPLIST: return {type: 'zset', entries: packedZset(cursor, ziplistElements)}
    case T.ZSET_LISTPACK: return {type: 'zset', entries: packedZset(cursor, listpackElements)}
    case T.HASH: return {type: 'hash', entries: pairs(cursor, strings(cursor, cursor.count() * 2))}
    case T.HASH_ZIPMAP: return {type: 'hash', entries: pairs(cursor, blob(cursor, zipmapElements).map(elementBytes))}
    case T.HASH_ZIPLIST: return {type: 'hash', entries: pairs(cursor, blob(cursor, ziplistElements).map(elementBytes))}
    case T.HASH_LISTPACK: return {type: 'hash', entries: pairs(cursor, blob(cursor, listpackElements).map(elementBytes))}
    case T.HASH_LISTPACK_EX:
      cursor.uint64le() // the smallest field expiry, repeated in the triples
      return {type: 'hash', entries: triples(blob(cursor, listpackElements), cursor)}
    case T.HASH_LISTPACK_EX_PRE_GA: return {type: 'hash', entries: triples(blob(cursor, listpackElements), cursor)}
    case T.HASH_METADATA_PRE_GA:
      return {type: 'hash', entries: flavor === 'valkey' && type === VALKEY_TYPE_HASH_2 ? valkeyHash(cursor) : hashWithTtls(cursor, undefined)}
    case T.HASH_METADATA: return {type: 'hash', entries: hashWithTtls(cursor, cursor.uint64le())}
    case T.STREAM_LISTPACKS:
    case T.STREAM_LISTPACKS_2:
    case T.STREAM_LISTPACKS_3:
      return decodeStream(cursor, type)
    default:
      return cursor.fail('a value type this reader decodes', `value type ${type} is unknown`)
  }
}

function strings(cursor: Cursor, count: number): Buffer[] {
  const out: Buffer[] = []
  for (let n = count; n > 0; n--) out.push(cursor.string())
  return out
}

function quicklist(cursor: Cursor, version2: boolean): Buffer[] {
  const out: Buffer[] = []
  for (let nodes = cursor.count(); nodes > 0; nodes--) {
    const container = version2 ? cursor.count() : QUICKLIST_CONTAINER.PACKED
    if (container === QUICKLIST_CONTAINER.PLAIN) {
      out.push(cursor.string())
    } else if (container === QUICKLIST_CONTAINER.PACKED) {
      for (const element of blob(cursor, version2 ? listpackElements : ziplistElements)) out.push(elementBytes(element))
    } else {
      cursor.fail('a quicklist node container (1 plain, 2 packed)', `container ${container} is unknown`)
    }
  }
  return out
}

function zsetEntries(cursor: Cursor, binaryScores: boolean): ZsetEntry[] {
  const out: ZsetEntry[] = []
  for (let n = cursor.count(); n > 0; n--) {
    const member = cursor.string()
    out.push({member, score: binaryScores ? cursor.doublele() : cursor.textDouble()})
  }
  return out
}

function packedZset(cursor: Cursor, decode: Blob): ZsetEntry[] {
  const at = cursor.offset
  const elements = blob(cursor, decode)
  if (elements.length % 2 !== 0) throw new RdbError(at, 'member and score pairs', 'a sorted set blob has an odd element count')
  const out: ZsetEntry[] = []
  try {
    for (let i = 0; i < elements.length; i += 2) out.push({member: elementBytes(elements[i]), score: elementNumber(elements[i + 1])})
  } catch (error) {
    if (!(error instanceof CorruptValue)) throw error
    throw new RdbError(at, error.expected, 'a sorted set score is corrupt')
  }
  return out
}

function pairs(cursor: Cursor, flat: Buffer[]): HashEntry[] {
  if (flat.length % 2 !== 0) cursor.fail('field and value pairs in a hash blob')
  const out: HashEntry[] = []
  for (let i = 0; i < flat.length; i += 2) out.push({field: flat[i], value: flat[i + 1]})
  return out
}

/** listpack-ex: field, value, absolute expiry in ms (0 when the field has none). */
function triples(elements: PackedElement[], cursor: Cursor): HashEntry[] {
  if (elements.length % 3 !== 0) cursor.fail('field, value and expiry triples')
  const out: HashEntry[] = []
  for (let i = 0; i < elements.length; i += 3) {
    const ttl = elements[i + 2]
    if (typeof ttl === 'object') cursor.fail('an integer field expiry in a listpack-ex hash')
    const entry: HashEntry = {field: elementBytes(elements[i]), value: elementBytes(elements[i + 1])}
    if (Number(ttl) !== 0) entry.expireAtMs = Number(ttl)
    out.push(entry)
  }
  return out
}

/**
 * Redis hashes with field TTLs: each TTL is 0 (none) or, given the smallest expiry, relative to
 * it plus one; absolute in the 7.4 release candidates' format (no smallest expiry).
 */
function hashWithTtls(cursor: Cursor, minExpire: number | undefined): HashEntry[] {
  const out: HashEntry[] = []
  for (let n = cursor.count(); n > 0; n--) {
    const ttl = cursor.count()
    const entry: HashEntry = {field: cursor.string(), value: cursor.string()}
    if (ttl !== 0) entry.expireAtMs = minExpire === undefined ? ttl : ttl + minExpire - 1
    out.push(entry)
  }
  return out
}

/** Valkey 9 HASH_2: field, value, then the absolute expiry in ms as 8 little-endian bytes (-1: none). */
function valkeyHash(cursor: Cursor): HashEntry[] {
  const out: HashEntry[] = []
  for (let n = cursor.count(); n > 0; n--) {
    const entry: HashEntry = {field: cursor.string(), value: cursor.string()}
    const expiry = cursor.int64le()
    if (expiry >= 0n) entry.expireAtMs = Number(expiry)
    out.push(entry)
  }
  return out
}
