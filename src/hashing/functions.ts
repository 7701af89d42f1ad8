// The 12 hash functions by their nutcracker.yml names.
import {crc16} from './crc16.js'
import {crc32, crc32a} from './crc32.js'
import {fnv1_32, fnv1_64, fnv1a_32, fnv1a_64} from './fnv.js'
import {hsieh} from './hsieh.js'
import {jenkins} from './jenkins.js'
import {md5} from './md5.js'
import {murmur} from './murmur.js'
import type {HashFunction, HashName} from './names.js'
import {oneAtATime} from './one-at-a-time.js'

export const HASH_FUNCTIONS: Readonly<Record<HashName, HashFunction>> = Object.freeze({
  one_at_a_time: oneAtATime,
  md5,
  crc16,
  crc32,
  crc32a,
  fnv1_64,
  fnv1a_64,
  fnv1_32,
  fnv1a_32,
  hsieh,
  murmur,
  jenkins,
})

/** nutcracker's hash `name` of key[start, end), a uint32. */
export function hashKey(name: HashName, key: Uint8Array, start = 0, end = key.length): number {
  const hash = HASH_FUNCTIONS[name]
  if (hash === undefined) throw new TypeError(`unknown hash function "${name}"`)
  return hash(key, start, end)
}
