// The numbers of the RDB format: value types and opcodes, as the servers define them, and the names
// callers see. One table, so the opcode loop, the skipper and the decoders agree on every byte.

export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE_PRE_GA: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
  /** Redis 7.4 release candidates; in Valkey 9 files (RDB 80) the same number is HASH_2 */
  HASH_METADATA_PRE_GA: 22,
  HASH_LISTPACK_EX_PRE_GA: 23,
  HASH_METADATA: 24,
  HASH_LISTPACK_EX: 25,
} as const

/** Valkey 9's hash with per-field expiry: field, value, absolute ms (or -1) triples. */
export const VALKEY_TYPE_HASH_2 = 22

export const RDB_OPCODE = {
  SLOT_IMPORT: 243, // Valkey 9
  SLOT_INFO: 244,
  FUNCTION2: 245,
  FUNCTION_PRE_GA: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const

/** Redis's own string encodings, announced by a length byte whose two top bits are 11. */
export const STRING_ENC = {INT8: 0, INT16: 1, INT32: 2, LZF: 3} as const

export const QUICKLIST_CONTAINER = {PLAIN: 1, PACKED: 2} as const

/** The files this reader was written for: Redis 7.0 (10) to 8.0 (12), Valkey 8 (11) and 9 (80). */
export const MAX_REDIS_RDB_VERSION = 12
export const VALKEY_RDB_VERSION = 80

export type RdbFlavor = 'redis' | 'valkey'

export type ValueKind = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module'

/** The Redis TYPE of a value type byte, or undefined for a byte that is not a value type. */
export function kindOfType(type: number): ValueKind | undefined {
  switch (type) {
    case 0: return 'string'
    case 1: case 10: case 14: case 18: return 'list'
    case 2: case 11: case 20: return 'set'
    case 3: case 5: case 12: case 17: return 'zset'
    case 4: case 9: case 13: case 16: case 22: case 23: case 24: case 25: return 'hash'
    case 15: case 19: case 21: return 'stream'
    case 6: case 7: return 'module'
    default: return undefined
  }
}
