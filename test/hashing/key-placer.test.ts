// KeyPlacer: nutcracker's server_pool_idx (single server, hash_tag, empty key, distributions).
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {hashKey, hashTagRange, KeyPlacer, type PlacementPool} from '../../src/hashing/index.js'

const bytes = (s: string) => Buffer.from(s, 'utf8')
const servers = (n: number, weight = 1) => Array.from({length: n}, (_, i) => ({name: `server${i + 1}`, weight}))

describe('hash_tag', () => {
  const range = (key: string, tag: string) => {
    const [start, end] = hashTagRange(bytes(key), 0, bytes(key).length, tag)
    return bytes(key).subarray(start, end).toString()
  }
  test('hashes the part between the first opening byte and the next closing byte', () => {
    assert.equal(range('user:{1000}:name', '{}'), '1000')
    assert.equal(range('a{b}c{d}', '{}'), 'b')
    assert.equal(range('a{{b}}', '{}'), '{b')
    assert.equal(range('x$tag$y$z', '$$'), 'tag')
    assert.equal(range('::a::b', '::'), '::a::b')
  })
  test('an empty tag, or one that is not closed, keeps the whole key', () => {
    assert.equal(range('foo{}bar', '{}'), 'foo{}bar')
    assert.equal(range('foo{bar', '{}'), 'foo{bar')
    assert.equal(range('foo}bar{', '{}'), 'foo}bar{')
    assert.equal(range('plain', '{}'), 'plain')
  })
  test('without a tag the range is unchanged', () => {
    assert.deepEqual(hashTagRange(bytes('a{b}'), 1, 3), [1, 3])
  })
  test('works inside a larger buffer', () => {
    const buffer = bytes('{x}--{y}--')
    assert.deepEqual(hashTagRange(buffer, 3, 10, '{}'), [6, 7])
  })
})

describe('KeyPlacer', () => {
  const pool = (extra: Partial<PlacementPool> = {}): PlacementPool => ({hash: 'fnv1a_64', distribution: 'ketama', servers: servers(4), ...extra})

  test('ketama over server1..server4 places the reference keys', () => {
    const placer = new KeyPlacer(pool())
    const names = ['foo', 'bar', 'apple', 'user:1', ''].map((key) => `server${placer.serverIndex(key) + 1}`)
    assert.deepEqual(names, ['server1', 'server4', 'server1', 'server3', 'server3'])
  })

  test('an empty key hashes to 0 whatever the hash function', () => {
    for (const hash of ['md5', 'jenkins', 'fnv1_32'] as const) {
      const placer = new KeyPlacer(pool({hash, distribution: 'modula'}))
      assert.equal(placer.hashOf(''), 0)
      assert.equal(placer.serverIndex(''), 0)
    }
  })

  test('a pool of one server never hashes', () => {
    const placer = new KeyPlacer(pool({servers: servers(1), distribution: 'random'}))
    assert.equal(placer.serverIndex('anything'), 0)
    assert.equal(placer.deterministic, true)
  })

  test('modula takes hash % total weight over the servers repeated by weight', () => {
    const weights = [1, 3, 2]
    const placer = new KeyPlacer(pool({distribution: 'modula', hash: 'crc32a', servers: weights.map((weight, i) => ({name: `s${i}`, weight}))}))
    const owner = [0, 1, 1, 1, 2, 2]
    for (let k = 0; k < 500; k++) {
      const key = `key:${k}`
      assert.equal(placer.serverIndex(key), owner[hashKey('crc32a', bytes(key)) % 6], key)
    }
  })

  test('modula with ejected servers skips them', () => {
    const placer = new KeyPlacer(pool({distribution: 'modula', hash: 'md5'}), {live: [false, true, false, true]})
    for (let k = 0; k < 200; k++) {
      const key = `k${k}`
      assert.equal(placer.serverIndex(key), [1, 3][hashKey('md5', bytes(key)) % 2])
    }
  })

  test('hash_tag keys with the same tag land together', () => {
    const placer = new KeyPlacer(pool({hashTag: '{}'}))
    const home = placer.serverIndex('{user42}')
    for (const suffix of ['a', 'b', 'followers', 'é']) assert.equal(placer.serverIndex(`{user42}:${suffix}`), placer.serverIndex('user42'))
    assert.equal(home, placer.serverIndex('user42'))
    assert.equal(placer.hashOf('x{user42}y'), hashKey('fnv1a_64', bytes('user42')))
  })

  test('string keys are placed by their UTF-8 bytes; byte ranges work in place', () => {
    const placer = new KeyPlacer(pool({hash: 'one_at_a_time'}))
    const key = 'ключ-é-🔑'
    assert.equal(placer.hashOf(key), hashKey('one_at_a_time', bytes(key)))
    assert.equal(placer.serverIndex(key), placer.serverIndex(bytes(key)))
    const framed = bytes(`$$${key}$$`)
    assert.equal(placer.serverIndex(framed, 2, framed.length - 2), placer.serverIndex(key))
    assert.equal(placer.hashOf('x'.repeat(5000)), hashKey('one_at_a_time', bytes('x'.repeat(5000))))
  })

  test('random picks among live servers and says it is not deterministic', () => {
    let i = 0
    const sequence = [0, 0.3, 0.6, 0.99]
    const placer = new KeyPlacer(pool({distribution: 'random'}), {live: [true, false, true, true], random: () => sequence[i++ % 4]!})
    assert.equal(placer.deterministic, false)
    assert.deepEqual([0, 1, 2, 3].map(() => placer.serverIndex('k')), [0, 0, 2, 3])
  })

  test('every server ejected gives -1', () => {
    assert.equal(new KeyPlacer(pool(), {live: [false, false, false, false]}).serverIndex('k'), -1)
  })

  test('bad pools are refused', () => {
    assert.throws(() => new KeyPlacer(pool({servers: []})), /at least one server/)
    assert.throws(() => new KeyPlacer(pool({hashTag: '{'})), /exactly two bytes/)
    assert.throws(() => new KeyPlacer(pool({hash: 'sha1' as 'md5'})), /unknown hash function/)
  })
})
