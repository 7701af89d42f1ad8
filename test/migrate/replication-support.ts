// Shared by the replication capture tests: a mix of writes of every kind (sets, increments,
// hashes, list pushes, stream entries, deletes, expiries, renames inside one slot, binary keys),
// and a key-by-key comparison of the sources with the target (type, value, expiry).
import assert from 'node:assert/strict'
import type {Redis} from 'ioredis'
import type {Harness} from './harness.js'

export async function writeMixedChanges(clients: Redis[], round: number): Promise<void> {
  const a = clients[0]
  const b = clients[clients.length - 1]
  const pipeline = a.pipeline()
  pipeline.set(`live:${round}`, `v${round}`)
  pipeline.incr('counter:a')
  pipeline.hset('s0:4', 'live', String(round))
  pipeline.rpush('s0:list', String(round))
  pipeline.set(`short:${round}`, 'gone soon', 'PX', 300)
  pipeline.expire(`s0:${round * 7 + 3}`, 3600)
  pipeline.xadd('s0:5', '*', 'round', String(round))
  if (round % 3 === 0) pipeline.rename(`live:${round}`, `{live:${round}}:renamed`)
  if (round % 5 === 0) pipeline.del(`s0:${round * 7 + 1}`, `s0:${round * 7 + 2}`)
  pipeline.mset(`m:${round}:x`, 'x', `m:${round}:y`, 'y')
  await pipeline.exec()
  await b.incr('counter:b')
  await b.set(Buffer.from([0xff, 0x00, round & 0xff, 0x0a]), Buffer.from([round & 0xff]))
}

/** Every key of every source (db 0) is on the target with the same type, value and expiry (within 2 s). */
export async function assertSameKeys(h: Harness): Promise<void> {
  let compared = 0
  for (const source of h.clients) {
    let cursor = '0'
    for (let page = 0; page < 100_000; page++) {
      const [next, keys] = await source.scanBuffer(cursor, 'COUNT', 500)
      for (const key of keys) {
        const [dump, pttl] = await Promise.all([source.dumpBuffer(key), source.pttl(key)])
        if (dump === null) continue
        const [theirs, theirTtl] = await Promise.all([h.target.dumpBuffer(key), h.target.pttl(key)])
        if (pttl > 0 && pttl < 2000) continue // expiring now: either side may have dropped it
        assert.ok(theirs, `key ${key.toString()} is on the target`)
        if (!theirs.equals(dump)) {
          assert.equal(await h.target.type(key), await source.type(key), `type of ${key.toString()}`)
          assert.deepEqual(await valueOf(h.target as unknown as Redis, key), await valueOf(source, key), `value of ${key.toString()}`)
        }
        assert.ok(Math.abs(theirTtl - pttl) < 2000 || (pttl < 0 && theirTtl < 0), `expiry of ${key.toString()}: ${pttl} vs ${theirTtl}`)
        compared++
      }
      cursor = next.toString()
      if (cursor === '0') break
    }
  }
  assert.ok(compared > 0)
}

async function valueOf(client: Redis, key: Buffer): Promise<unknown> {
  switch (await client.type(key)) {
    case 'string': return client.getBuffer(key)
    case 'list': return client.lrangeBuffer(key, 0, -1)
    case 'set': return (await client.smembersBuffer(key)).map(String).sort()
    case 'zset': return client.zrange(key, 0, -1, 'WITHSCORES')
    case 'hash': return Object.entries(await client.hgetall(key)).sort()
    case 'stream': return client.xrange(key, '-', '+')
    default: return null
  }
}
