// The order-free comparison of hash-table sets and hashes (protocol/rdb/member-digest.ts), on DUMP
// payloads of two real servers that list the same members in their own orders: equal values are
// the same (and comparePayloads settles them without decoding), one member or value apart is
// not, and other types or a cut payload never are.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {sameMembers} from '../../../src/protocol/rdb/index.js'
import {comparePayloads} from '../../../src/migrate/verify/value-equality.js'
import {startRedis, stopAll} from '../../support/servers.js'

const MEMBERS = Array.from({length: 3000}, (_, i) => `member-${i}-${'z'.repeat(i % 40)}`)

describe('member digest', () => {
  let a: Redis
  let b: Redis

  before(async () => {
    const [one, two] = [await startRedis(), await startRedis()]
    a = new Redis({host: '127.0.0.1', port: one.port})
    b = new Redis({host: '127.0.0.1', port: two.port})
    await a.sadd('set', ...MEMBERS)
    await b.sadd('set', ...[...MEMBERS].reverse())
    await a.sadd('set:other', ...MEMBERS.slice(1), 'member-x')
    await a.hset('hash', ...MEMBERS.flatMap((m, i) => [m, String(i)]))
    await b.hset('hash', ...[...MEMBERS].reverse().flatMap((m) => [m, String(MEMBERS.indexOf(m))]))
    await b.hset('hash:other', ...MEMBERS.flatMap((m, i) => [m, String(i === 1500 ? -1 : i)]))
    await a.rpush('list', ...MEMBERS)
  })

  after(async () => {
    a?.disconnect()
    b?.disconnect()
    await stopAll()
  })

  test('the same members in another order: the same, settled without decoding', async () => {
    for (const key of ['set', 'hash']) {
      const [mine, theirs] = [await a.dumpBuffer(key), await b.dumpBuffer(key)]
      assert.equal(String(await a.object('ENCODING', key)), 'hashtable')
      assert.notDeepEqual(mine, theirs, `${key}: the two servers list it in the same order, the case tests nothing`)
      assert.ok(sameMembers(mine, theirs))
      assert.ok(sameMembers(theirs, mine))
      assert.deepEqual(comparePayloads(mine, theirs), {same: true})
    }
  })

  test('a member or a value apart: not the same, and the full comparison says so', async () => {
    const pairs: Array<[Buffer, Buffer]> = [
      [await a.dumpBuffer('set'), await a.dumpBuffer('set:other')],
      [await a.dumpBuffer('hash'), await b.dumpBuffer('hash:other')],
    ]
    for (const [mine, theirs] of pairs) {
      assert.equal(sameMembers(mine, theirs), false)
      assert.ok(sameMembers(mine, mine))
      assert.equal(comparePayloads(mine, theirs).same, false)
    }
  })

  test('other types and cut payloads are never taken as the same', async () => {
    const list = await a.dumpBuffer('list')
    assert.equal(sameMembers(list, list), false)
    const set = await a.dumpBuffer('set')
    for (const cut of [1, 2, 100, set.length - 11]) {
      const part = set.subarray(0, cut)
      assert.equal(sameMembers(part, part), false, `cut at ${cut}`)
    }
  })
})
