// Test data for migrations: every data type, expiries, binary keys, hash tags and big keys.
import type {Redis} from 'ioredis'

export const TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream'] as const

/** `count` small keys named `${prefix}:${i}` of rotating types; every 5th expires in an hour. */
export async function fillMixed(client: Redis, prefix: string, count: number, batch = 1000): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const pipeline = client.pipeline()
    for (let i = start; i < Math.min(start + batch, count); i++) {
      const key = `${prefix}:${i}`
      switch (TYPES[i % TYPES.length]) {
        case 'string': pipeline.set(key, `value-${i}`); break
        case 'list': pipeline.rpush(key, 'a', String(i), 'c'); break
        case 'set': pipeline.sadd(key, 'x', String(i), 'z'); break
        case 'zset': pipeline.zadd(key, 1.5, 'one', i, 'i'); break
        case 'hash': pipeline.hset(key, 'f1', 'v1', 'n', String(i)); break
        case 'stream': pipeline.xadd(key, '*', 'n', String(i)); break
      }
      if (i % 5 === 0) pipeline.pexpire(key, 3_600_000 + i)
    }
    await pipeline.exec()
  }
}

export const BINARY_KEYS = [
  Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]),
  Buffer.from('caf\xe9', 'latin1'),
  Buffer.concat([Buffer.from('bin:'), Buffer.from([0xde, 0xad, 0xbe, 0xef])]),
]

/** Keys that stress the edges; returns their names grouped by what they test. */
export async function fillSpecial(client: Redis, prefix: string, bigSize: number) {
  const big = {
    hash: `${prefix}:big:hash`,
    list: `${prefix}:big:list`,
    set: `${prefix}:big:set`,
    zset: `${prefix}:big:zset`,
    string: `${prefix}:big:string`,
    stream: `{${prefix}}:big:stream`,
    streamWithGroup: `${prefix}:big:stream-group`,
    closingBrace: `${prefix}:big}brace`,
  }
  const p = client.pipeline()
  for (const [i, key] of BINARY_KEYS.entries()) p.set(Buffer.concat([Buffer.from(`${prefix}:`), key]), Buffer.from([i, 0, 255, 13, 10]))
  p.set(`{${prefix}-user}:name`, 'ann')
  p.set(`{${prefix}-user}:email`, 'ann@example.org')
  p.pfadd(`${prefix}:hll`, 'a', 'b', 'c')
  p.set(`${prefix}:abs-ttl`, 'soon')
  p.pexpireat(`${prefix}:abs-ttl`, Date.now() + 600_000)
  await p.exec()
  for (let start = 0; start < bigSize; start += 1000) {
    const q = client.pipeline()
    const n = Math.min(1000, bigSize - start)
    const ids = Array.from({length: n}, (_, j) => start + j)
    q.hset(big.hash, ...ids.flatMap((i) => [`field-${i}`, `value-${i}-${'x'.repeat(20)}`]))
    q.rpush(big.list, ...ids.map((i) => `item-${i}-${'y'.repeat(20)}`))
    q.sadd(big.set, ...ids.map((i) => `member-${i}-${'z'.repeat(20)}`))
    q.zadd(big.zset, ...ids.flatMap((i) => [i / 3, `member-${i}-${'w'.repeat(20)}`]))
    q.rpush(big.closingBrace, ...ids.map((i) => `item-${i}-${'v'.repeat(20)}`))
    for (const i of ids) q.xadd(big.stream, `${i + 1}-1`, 'field', `entry-${i}-${'s'.repeat(20)}`)
    for (const i of ids) q.xadd(big.streamWithGroup, `${i + 1}-1`, 'field', `entry-${i}`)
    await q.exec()
  }
  await client.set(big.string, Buffer.alloc(bigSize * 40, 7))
  await client.xgroup('CREATE', big.streamWithGroup, 'readers', '0')
  await client.xreadgroup('GROUP', 'readers', 'alice', 'COUNT', 3, 'STREAMS', big.streamWithGroup, '>')
  await client.pexpire(big.hash, 7_200_000)
  return {big}
}
