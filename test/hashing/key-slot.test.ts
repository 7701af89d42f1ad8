// Redis Cluster key slots: known values, and the real redis-server (CLUSTER KEYSLOT on a
// cluster-enabled instance) for binary keys and hash tags.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {crc16Xmodem, keySlot, keySlotOfRange} from '../../src/hashing/index.js'
import {startRedis, stopAll, type RunningServer} from '../support/servers.js'

describe('keySlot', () => {
  test('known values', () => {
    assert.equal(crc16Xmodem(Buffer.from('123456789'), 0, 9), 0x31c3)
    assert.equal(keySlot('123456789'), 12739)
    assert.equal(keySlot(''), 0)
    assert.equal(keySlot('foo'), 12182)
    assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'))
    assert.equal(keySlot('{user1000}.following'), keySlot('user1000'))
    assert.equal(keySlot('foo{}{bar}'), keySlot(Buffer.from('foo{}{bar}')))
    assert.notEqual(keySlot('foo{}{bar}'), keySlot('bar'))
    assert.equal(keySlot('foo{{bar}}zap'), keySlot('{bar'))
    assert.equal(keySlot('foo{bar}{zap}'), keySlot('bar'))
  })

  test('a byte range inside a buffer', () => {
    const buffer = Buffer.from('**{tag}x**')
    assert.equal(keySlotOfRange(buffer, 2, 8), keySlot('tag'))
  })

  describe('against redis-server CLUSTER KEYSLOT', () => {
    let redis: RunningServer
    let client: Redis
    before(async () => {
      redis = await startRedis({args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']})
      client = new Redis({port: redis.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1})
      await client.connect()
    })
    after(async () => {
      client?.disconnect()
      await stopAll()
    })

    test('2,000 keys with tags, UTF-8 and binary bytes', async () => {
      const keys: Buffer[] = []
      for (let i = 0; i < 2000; i++) {
        const variant = i % 5
        if (variant === 0) keys.push(Buffer.from(`user:${i}`))
        else if (variant === 1) keys.push(Buffer.from(`{tag${i % 37}}:field:${i}`))
        else if (variant === 2) keys.push(Buffer.from(`ключ-${i}-{}{x${i}}`))
        else if (variant === 3) keys.push(Buffer.from([i & 0xff, (i * 7) & 0xff, 0x7b, (i * 13) & 0xff, 0x7d, 0xff, 0x80]))
        else keys.push(Buffer.from(`a{{b${i}}}c`))
      }
      const pipeline = client.pipeline()
      for (const key of keys) pipeline.call('CLUSTER', 'KEYSLOT', key)
      const replies = (await pipeline.exec())!
      keys.forEach((key, i) => {
        const [error, slot] = replies[i]!
        assert.equal(error, null)
        assert.equal(keySlot(key), slot, key.toString('hex'))
      })
    })
  })
})
