// The names nutcracker.yml accepts for `hash:` and `distribution:`, in nutcracker's enum order.
// They live here (not in src/config) because hashing imports nothing else of ours.

export const HASH_NAMES = [
  'one_at_a_time', 'md5', 'crc16', 'crc32', 'crc32a', 'fnv1_64',
  'fnv1a_64', 'fnv1_32', 'fnv1a_32', 'hsieh', 'murmur', 'jenkins',
] as const
export type HashName = (typeof HASH_NAMES)[number]

export const DISTRIBUTIONS = ['ketama', 'modula', 'random'] as const
export type Distribution = (typeof DISTRIBUTIONS)[number]

/** A hash function over key[start, end): nutcracker's uint32 value. */
export type HashFunction = (key: Uint8Array, start: number, end: number) => number
