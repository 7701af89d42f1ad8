// Finds where a value ends without decoding it: the opcode loop only needs the value's extent to
// hand its exact bytes on (a RESTORE payload is built from them). Blobs (listpacks, ziplists,
// intsets) are one string each, so the common small values cost a length read and a jump.
import {RDB_TYPE as T, type RdbFlavor, VALKEY_TYPE_HASH_2} from './constants.js'
import type {Cursor} from './cursor.js'

const STREAM_ID_BYTES = 16
const MS_TIME_BYTES = 8

/** Moves the cursor past one value of type `type`. Returns false for a type this reader does not know. */
export function skipValue(cursor: Cursor, type: number, flavor: RdbFlavor): boolean {
  switch (type) {
    case T.STRING:
    case T.HASH_ZIPMAP:
    case T.LIST_ZIPLIST:
    case T.SET_INTSET:
    case T.ZSET_ZIPLIST:
    case T.HASH_ZIPLIST:
    case T.HASH_LISTPACK:
    case T.ZSET_LISTPACK:
    case T.SET_LISTPACK:
    case T.HASH_LISTPACK_EX_PRE_GA:
      cursor.skipString()
      return true
    case T.HASH_LISTPACK_EX:
      cursor.skip(MS_TIME_BYTES)
      cursor.skipString()
      return true
    case T.LIST:
    case T.SET:
    case T.LIST_QUICKLIST:
      skipStrings(cursor, cursor.count())
      return true
    case T.HASH:
      skipStrings(cursor, cursor.count() * 2)
      return true
    case T.ZSET:
      for (let n = cursor.count(); n > 0; n--) {
        cursor.skipString()
        const len = cursor.byte()
        if (len < 253) cursor.skip(len)
      }
      return true
    case T.ZSET_2:
      for (let n = cursor.count(); n > 0; n--) {
        cursor.skipString()
        cursor.skip(8)
      }
      return true
    case T.LIST_QUICKLIST_2:
      for (let n = cursor.count(); n > 0; n--) {
        cursor.count()
        cursor.skipString()
      }
      return true
    case T.HASH_METADATA_PRE_GA:
      if (flavor === 'valkey' && type === VALKEY_TYPE_HASH_2) {
        for (let n = cursor.count(); n > 0; n--) {
          cursor.skipString()
          cursor.skipString()
          cursor.skip(MS_TIME_BYTES)
        }
        return true
      }
      skipHashWithTtls(cursor)
      return true
    case T.HASH_METADATA:
      cursor.skip(MS_TIME_BYTES)
      skipHashWithTtls(cursor)
      return true
    case T.STREAM_LISTPACKS:
    case T.STREAM_LISTPACKS_2:
    case T.STREAM_LISTPACKS_3:
      skipStream(cursor, type)
      return true
    default:
      return false
  }
}

function skipStrings(cursor: Cursor, count: number): void {
  for (let n = count; n > 0; n--) cursor.skipString()
}

/** Redis 7.4+ hashes with field TTLs: count, then (ttl length, field, value) triples. */
function skipHashWithTtls(cursor: Cursor): void {
  for (let n = cursor.count(); n > 0; n--) {
    cursor.length()
    cursor.skipString()
    cursor.skipString()
  }
}

function skipStream(cursor: Cursor, type: number): void {
  for (let n = cursor.count(); n > 0; n--) {
    cursor.skipString() // master ID
    cursor.skipString() // listpack
  }
  // length, last ID; from version 2: first ID, max deleted ID, entries added
  const metadataLengths = type === T.STREAM_LISTPACKS ? 3 : 8
  for (let i = 0; i < metadataLengths; i++) cursor.skipLength()
  for (let groups = cursor.count(); groups > 0; groups--) {
    cursor.skipString()
    cursor.skipLength()
    cursor.skipLength()
    if (type !== T.STREAM_LISTPACKS) cursor.skipLength() // entries read
    for (let pel = cursor.count(); pel > 0; pel--) {
      cursor.skip(STREAM_ID_BYTES + MS_TIME_BYTES)
      cursor.skipLength()
    }
    for (let consumers = cursor.count(); consumers > 0; consumers--) {
      cursor.skipString()
      cursor.skip(type === T.STREAM_LISTPACKS_3 ? 2 * MS_TIME_BYTES : MS_TIME_BYTES)
      cursor.skip(cursor.count() * STREAM_ID_BYTES)
    }
  }
}
