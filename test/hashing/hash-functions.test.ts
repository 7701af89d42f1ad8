// The 12 hash functions against nutcracker 0.5.0: the "apple" vectors of its own test suite,
// vectors taken from the real binary (nutcracker-vectors.ts), and, where a C compiler is present,
// thousands of pseudo-random keys hashed by the installed binary itself at test time.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {describe, test} from 'node:test'
import {HASH_FUNCTIONS, HASH_NAMES, hashKey, md5Words, type HashName} from '../../src/hashing/index.js'
import {NUTCRACKER_VECTORS} from './nutcracker-vectors.js'
import {nutcrackerHashes, unavailableReason} from './oracle/nutcracker-oracle.js'
import {VECTOR_KEYS} from './vector-keys.js'

const APPLE: Record<HashName, number> = {
  one_at_a_time: 2297466611, md5: 3195025439, crc16: 3662830516, crc32: 10542, crc32a: 2838417488,
  fnv1_64: 473199127, fnv1a_64: 1488911807, fnv1_32: 67176023, fnv1a_32: 280767167,
  hsieh: 3738850110, murmur: 4142305122, jenkins: 1442444624,
}

/** A small deterministic generator, so a failing key can be reproduced. */
function pseudoRandomKeys(count: number, maxLength: number, seed: number): Uint8Array[] {
  let state = seed >>> 0
  const next = (): number => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>>= 0)
  }
  return Array.from({length: count}, (_, i) => {
    const key = new Uint8Array(i % (maxLength + 1))
    for (let j = 0; j < key.length; j++) key[j] = next() & 0xff
    return key
  })
}

describe('hash functions', () => {
  test('"apple" gives nutcracker test_all.c values for all 12', () => {
    const apple = new TextEncoder().encode('apple')
    for (const name of HASH_NAMES) assert.equal(hashKey(name, apple), APPLE[name], name)
  })

  test('match the vectors taken from the real nutcracker (empty keys, bytes >= 0x80, all tails)', () => {
    assert.equal(NUTCRACKER_VECTORS.length, VECTOR_KEYS.length)
    for (const [hex, expected] of NUTCRACKER_VECTORS) {
      const key = Buffer.from(hex, 'hex')
      HASH_NAMES.forEach((name, i) => assert.equal(hashKey(name, key), expected[i], `${name}("${hex}")`))
    }
  })

  test('hash a byte range in place, the same as a copy of that range', () => {
    const buffer = Buffer.from('xx{prefix}user:1000\xffyy', 'latin1')
    for (const name of HASH_NAMES) {
      assert.equal(HASH_FUNCTIONS[name](buffer, 2, buffer.length - 2), hashKey(name, buffer.subarray(2, buffer.length - 2)), name)
    }
  })

  test('md5 digest words equal node:crypto for lengths across the padding boundaries', () => {
    const out = new Uint32Array(4)
    for (const key of pseudoRandomKeys(300, 140, 7)) {
      const digest = createHash('md5').update(key).digest()
      md5Words(key, 0, key.length, out)
      for (let w = 0; w < 4; w++) assert.equal(out[w], digest.readUInt32LE(4 * w), `length ${key.length}`)
    }
  })

  test('an unknown hash name is refused', () => {
    assert.throws(() => hashKey('sha1' as HashName, new Uint8Array(1)), /unknown hash function "sha1"/)
  })

  const reason = unavailableReason()
  test('match the installed nutcracker on 3,000 pseudo-random binary keys', {skip: reason}, () => {
    const keys = pseudoRandomKeys(3000, 150, 20240601)
    const expected = nutcrackerHashes(keys)
    let mismatches = 0
    keys.forEach((key, k) => {
      HASH_NAMES.forEach((name, i) => {
        if (hashKey(name, key) !== expected[k]![i] && mismatches++ < 5) {
          assert.fail(`${name}(${Buffer.from(key).toString('hex')}) = ${hashKey(name, key)}, nutcracker says ${expected[k]![i]}`)
        }
      })
    })
    assert.equal(mismatches, 0)
  })
})
