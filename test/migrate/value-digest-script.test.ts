// The verify digest of a hash-table set or hash (scripts.ts VALUE_DIGEST) reads members off the
// DUMP payload rather than asking the server: for every way a member can be stored (integers of
// each width, negative, raw text, binary bytes, compressed text), it must equal the digest built
// from the server's own answer (SMEMBERS / HGETALL), and one member more or less must change it.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {VALUE_DIGEST} from '../../src/migrate/copy/scripts.js'
import {startRedis, stopAll} from '../support/servers.js'

/** Both digests of one key: members read off the payload, then asked of the server; and whether the payload was read. */
const BOTH_WAYS = `${VALUE_DIGEST}
local payload = redis.call('DUMP', KEYS[1])
local read = payload_items(payload, string.byte(payload, 1)) ~= nil
local off_payload = value_digest(KEYS[1], payload)
payload_items = function() return nil end
return {off_payload, value_digest(KEYS[1], payload), read and 1 or 0}`

describe('verify digest of hash-table sets and hashes', () => {
  let client: Redis

  before(async () => {
    const server = await startRedis()
    client = new Redis({host: '127.0.0.1', port: server.port})
  })

  after(async () => {
    client?.disconnect()
    await stopAll()
  })

  async function bothWays(key: string): Promise<{offPayload: string; asked: string; read: boolean}> {
    const [offPayload, asked, read] = (await client.eval(BOTH_WAYS, 1, key)) as [string, string, number]
    return {offPayload, asked, read: read === 1}
  }

  test('members of every storage kind read off the payload give the server\'s digest', async () => {
    const members = ['x', '5', '-7', '300', '-40000', '2147483647', '-2147483648', '99999999999', '007', '+3', 'a-longer-member-of-thirty-bytes', Buffer.from([0, 255, 10, 13])]
    await client.sadd('kinds:set', ...members, ...Array.from({length: 200}, (_, i) => `m${i}`))
    await client.hset('kinds:hash', ...members.flatMap((m, i) => [m, members[(i + 3) % members.length]]), ...Array.from({length: 600}, (_, i) => [`f${i}`, String(i * 1000)]).flat())
    for (const key of ['kinds:set', 'kinds:hash']) {
      assert.equal(await client.object('ENCODING', key), 'hashtable', key)
      const {offPayload, asked, read} = await bothWays(key)
      assert.ok(read, `${key}: payload read`)
      assert.equal(offPayload, asked, key)
    }
  })

  test('a compressed member falls back to asking the server, same digest', async () => {
    await client.sadd('compressed:set', 'a'.repeat(300), 'q', ...Array.from({length: 200}, (_, i) => `m${i}`))
    const {offPayload, asked} = await bothWays('compressed:set')
    assert.equal(offPayload, asked)
  })

  test('one member more or less changes the digest', async () => {
    await client.sadd('one:set', 'x', '12', 'member-12', ...Array.from({length: 200}, (_, i) => `m${i}`))
    const before = (await bothWays('one:set')).offPayload
    await client.srem('one:set', '12')
    await client.sadd('one:set', '13')
    const after = await bothWays('one:set')
    assert.ok(after.read)
    assert.notEqual(after.offPayload, before)
    assert.equal(after.offPayload, after.asked)
  })
})
