// The mixed dataset of dataset.ts for a cluster (or any client without multi-node pipelines):
// every type, expiries, binary keys, hash tags, a big hash and a stream with a consumer group,
// written with auto-pipelining in batches.
import type {Cluster, Redis} from 'ioredis'
import {BINARY_KEYS, TYPES} from './dataset.js'

export async function fillMixedCluster(client: Cluster | Redis, prefix: string, count: number, batch = 500): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const writes: Array<Promise<unknown>> = []
    for (let i = start; i < Math.min(start + batch, count); i++) {
      const key = i % 7 === 0 ? `{${prefix}-tag${i % 3}}:${i}` : `${prefix}:${i}`
      switch (TYPES[i % TYPES.length]) {
        case 'string': writes.push(client.set(key, `value-${i}`)); break
        case 'list': writes.push(client.rpush(key, 'a', String(i), 'c')); break
        case 'set': writes.push(client.sadd(key, 'x', String(i), 'z')); break
        case 'zset': writes.push(client.zadd(key, 1.5, 'one', i, 'i')); break
        case 'hash': writes.push(client.hset(key, 'f1', 'v1', 'n', String(i))); break
        case 'stream': writes.push(client.xadd(key, '*', 'n', String(i))); break
      }
      if (i % 5 === 0) writes.push(client.pexpire(key, 3_600_000 + i))
    }
    await Promise.all(writes)
  }
}

/** Binary keys, a big hash (over one listpack), a stream with a group and a pending entry. */
export async function fillSpecialCluster(client: Cluster | Redis, prefix: string): Promise<void> {
  for (const [i, key] of BINARY_KEYS.entries()) await client.set(Buffer.concat([Buffer.from(`${prefix}:`), key]), Buffer.from([i, 0, 255, 13, 10]))
  const fields: string[] = []
  for (let i = 0; i < 2000; i++) fields.push(`field-${i}`, `value-${i}`)
  await client.hset(`${prefix}:big:hash`, ...fields)
  await client.pexpire(`${prefix}:big:hash`, 7_200_000)
  for (let i = 0; i < 50; i++) await client.xadd(`${prefix}:stream-group`, `${i + 1}-1`, 'field', `entry-${i}`)
  await client.xgroup('CREATE', `${prefix}:stream-group`, 'readers', '0')
  await client.xreadgroup('GROUP', 'readers', 'alice', 'COUNT', 3, 'STREAMS', `${prefix}:stream-group`, '>')
  await client.pfadd(`${prefix}:hll`, 'a', 'b', 'c')
}
