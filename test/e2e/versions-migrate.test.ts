// migrate across server versions. Older into newer: a Redis 7.0 pool into a Valkey 9.1 cluster,
// payloads RESTOREd as usual. Newer into older: a Redis 8.0 pool (every type, expiries, hash
// field TTLs, a stream with a consumer group and pending entries) into a Redis 7.0 cluster,
// whose servers refuse Redis 8's DUMP payloads: the plan says so in one sentence and the keys
// are rebuilt type by type, equal key by key after (type, value, TTL).
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import type {LabHome} from '../lab/support.js'
import {twlab} from '../support/cli.js'
import {fillMixed} from '../migrate/dataset.js'
import {client, labHomeWith, labUp, masterPorts, readWhole} from '../versions/support.js'

async function fillEveryType(port: number): Promise<string[]> {
  const redis = client(port)
  try {
    await fillMixed(redis, `mix${port}`, 120)
    await redis.set(`str${port}`, 'plain', 'PX', 3_600_000)
    await redis.rpush(`big-list${port}`, ...Array.from({length: 2500}, (_, i) => `item-${i}`))
    await redis.zadd(`scores${port}`, '-inf', 'low', '3.25', 'mid', '+inf', 'high')
    // a field TTL (Redis 7.4+): the 7.0 target has no HPEXPIREAT, so the field stays, without it
    await redis.hset(`fields${port}`, 'keep', '1', 'short', '2')
    await redis.call('HPEXPIRE', `fields${port}`, '3600000', 'FIELDS', '1', 'short')
    await redis.xadd(`events${port}`, '1-1', 'a', '1')
    await redis.xadd(`events${port}`, '2-1', 'b', '2')
    await redis.xadd(`events${port}`, '3-1', 'c', '3')
    await redis.xgroup('CREATE', `events${port}`, 'workers', '0')
    await redis.xreadgroup('GROUP', 'workers', 'alice', 'COUNT', '2', 'STREAMS', `events${port}`, '>')
    await redis.xack(`events${port}`, 'workers', '1-1')
    return (await redis.keys('*')).sort()
  } finally {
    redis.disconnect()
  }
}

async function expectSameKeys(sourcePorts: number[], targetPort: number, keys: string[]): Promise<void> {
  const target = client(targetPort)
  const {Cluster} = await import('ioredis')
  const cluster = new Cluster([{host: '127.0.0.1', port: targetPort}], {redisOptions: {maxRetriesPerRequest: 2}})
  cluster.on('error', () => {})
  try {
    for (const port of sourcePorts) {
      const source = client(port)
      try {
        for (const key of keys) {
          if ((await source.exists(key)) === 0) continue
          assert.deepEqual(await readWhole(cluster, key), await readWhole(source, key), `value of ${key}`)
          const [mine, theirs] = [await source.pttl(key), await cluster.pttl(key)]
          assert.ok(mine < 0 ? theirs === mine : Math.abs(mine - theirs) < 5_000, `TTL of ${key}: ${mine} on the source, ${theirs} on the target`)
        }
      } finally {
        source.disconnect()
      }
    }
  } finally {
    target.disconnect()
    cluster.disconnect()
  }
}

describe('migrate across versions', () => {
  let lab: LabHome

  before(async () => {
    lab = await labHomeWith('redis-8.0', 'valkey-9.1')
  })
  after(async () => {
    await lab?.cleanup()
  })

  test('a Redis 8.0 pool into a Redis 7.0 cluster: rebuilt type by type, equal key by key', async () => {
    await labUp(lab, 'redis-8.0', ['--name', 'new', '--masters', '2', '--proxy', 'none'])
    await labUp(lab, 'system', ['--cluster', '--name', 'old', '--replicas', '0'])
    const sources = masterPorts(lab, 'new')
    const keys = [...new Set((await Promise.all(sources.map((port: number) => fillEveryType(port)))).flat())]
    const target = masterPorts(lab, 'old')[0]
    const from = sources.map((port: number) => `127.0.0.1:${port}`).join(',')
    const result = await twlab(['migrate', '--from', from, '--to-cluster', `127.0.0.1:${target}`, '--json', '--checkpoint', `${lab.home}/cp-new-old.json`], {timeoutMs: 240_000, env: lab.env})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {plan, migration} = JSON.parse(result.stdout)
    assert.equal(plan.payloads.rebuild, true)
    assert.match(plan.payloads.note, /redis 8\.0\.\d+\) writes DUMP payloads of RDB version 12, which the target's redis 7\.0\.\d+ refuses: keys are copied type by type/)
    assert.equal(migration.status, 'done')
    assert.equal(migration.stats.copied, keys.length)
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    await expectSameKeys(sources, target, keys)
    // what commands could not carry, as the plan said: the field is there, its TTL is not (7.0 has no field TTLs)
    assert.match(plan.payloads.note, /hash field TTLs are dropped/)
  })

  test('a Redis 7.0 pool into a Valkey 9.1 cluster: RESTORE takes the older payloads', async () => {
    await labUp(lab, 'system', ['--name', 'old-pool', '--masters', '2', '--proxy', 'none'])
    await labUp(lab, 'valkey-9.1', ['--cluster', '--name', 'vk', '--replicas', '0'])
    const sources = masterPorts(lab, 'old-pool')
    const keys: string[] = []
    for (const port of sources) {
      const redis = client(port)
      await fillMixed(redis, `old${port}`, 150)
      keys.push(...((await redis.keys('*')) as string[]))
      redis.disconnect()
    }
    const target = masterPorts(lab, 'vk')[0]
    const from = sources.map((port: number) => `127.0.0.1:${port}`).join(',')
    const result = await twlab(['migrate', '--from', from, '--to-cluster', `127.0.0.1:${target}`, '--json', '--checkpoint', `${lab.home}/cp-old-vk.json`], {timeoutMs: 240_000, env: lab.env})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {plan, migration} = JSON.parse(result.stdout)
    assert.equal(plan.payloads.rebuild, false)
    assert.equal(migration.stats.copied, keys.length)
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    await expectSameKeys(sources, target, keys)
  })
})
