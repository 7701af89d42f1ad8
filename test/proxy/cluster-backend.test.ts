// twproxy with a pool served by a Redis Cluster (`cluster:`): every command class through
// ioredis, multi-key commands split per slot, pipelines, EVAL and CROSSSLOT, the stats document,
// and a slot reshard under load (MOVED and ASK followed, no client error).
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import type {Cluster} from 'ioredis'
import {keySlot} from '../../src/hashing/index.js'
import {tempDir} from '../support/servers.js'
import {twlab} from '../support/cli.js'
import {clusterClient, readStats, startCluster, startClusterProxy, statsServers, type ClusterProxy, type TestCluster} from './cluster-support.js'
import {rmSync} from 'node:fs'

describe('a twproxy pool backed by a Redis Cluster', () => {
  let cluster: TestCluster
  let proxy: ClusterProxy
  let direct: Cluster

  before(async () => {
    // a node timeout long enough that a loaded machine does not make the cluster flap
    cluster = await startCluster({masters: 3, args: ['--cluster-node-timeout', '5000']})
    proxy = await startClusterProxy(cluster)
    direct = clusterClient(cluster)
  })

  after(async () => {
    direct?.disconnect()
    await proxy?.stop()
    await cluster?.stop()
  })

  test('every command class answers as the cluster does, and the data is in the cluster', async () => {
    const c = proxy.client
    assert.equal(await c.set('str', 'v1'), 'OK')
    assert.equal(await c.get('str'), 'v1')
    assert.equal(await c.append('str', '-x'), 4)
    assert.equal(await c.incrby('counter', 5), 5)
    assert.equal(await c.hset('hash', 'f1', 'a', 'f2', 'b'), 2)
    assert.deepEqual(await c.hgetall('hash'), {f1: 'a', f2: 'b'})
    assert.equal(await c.rpush('list', 'x', 'y', 'z'), 3)
    assert.deepEqual(await c.lrange('list', 0, -1), ['x', 'y', 'z'])
    assert.equal(await c.sadd('set', 'm1', 'm2'), 2)
    assert.equal(await c.scard('set'), 2)
    assert.equal(await c.zadd('zset', 1, 'one', 2, 'two'), 2)
    assert.deepEqual(await c.zrange('zset', 0, -1, 'WITHSCORES'), ['one', '1', 'two', '2'])
    assert.equal(await c.pfadd('hll', 'a', 'b', 'c'), 1)
    assert.equal(await c.pfcount('hll'), 3)
    assert.equal(await c.geoadd('geo', 13.361389, 38.115556, 'Palermo'), 1)
    assert.equal(await c.expire('str', 100), 1)
    const ttl = await c.ttl('str')
    assert.ok(ttl > 0 && ttl <= 100, `ttl ${ttl}`)
    assert.equal(await c.type('hash'), 'hash')
    assert.equal(await c.exists('list'), 1)
    await assert.rejects(c.incr('hash'), /WRONGTYPE/)
    // what the cluster itself holds, read by a cluster-aware client
    assert.equal(await direct.get('str'), 'v1-x')
    assert.equal(await direct.get('counter'), '5')
    assert.deepEqual(await direct.lrange('list', 0, -1), ['x', 'y', 'z'])
    assert.deepEqual(await direct.zrange('zset', 0, -1), ['one', 'two'])
  })

  test('MSET, MGET, DEL, UNLINK and TOUCH split per slot and merge in key order', async () => {
    const c = proxy.client
    const keys = Array.from({length: 200}, (_, i) => `multi:${i}`)
    const slots = new Set(keys.map((key) => keySlot(key)))
    assert.ok(slots.size > 100, 'the keys span many slots')
    assert.equal(await c.mset(...keys.flatMap((key, i) => [key, `value-${i}`])), 'OK')
    const values = await c.mget(...keys, 'multi:missing')
    assert.deepEqual(values, [...keys.map((_, i) => `value-${i}`), null])
    for (const i of [0, 57, 199]) assert.equal(await direct.get(keys[i]), `value-${i}`)
    assert.equal(await c.touch(...keys.slice(0, 50), 'multi:missing'), 50)
    assert.equal(await c.del(...keys.slice(0, 100), 'multi:missing'), 100)
    assert.equal(await c.unlink(...keys.slice(100, 150)), 50)
    assert.deepEqual(await c.mget(keys[0], keys[120], keys[180]), [null, null, 'value-180'])
    assert.equal(await direct.exists(keys[0]), 0)
    const stats = await readStats(proxy.proxy.statsPort)
    assert.ok(((stats.alpha as Record<string, number>).fragments ?? 0) >= 0)
  })

  test('a pipeline keeps its order across nodes', async () => {
    const pipeline = proxy.client.pipeline()
    for (let i = 0; i < 2000; i++) pipeline.incr(`pipe:${i % 100}`)
    const results = await pipeline.exec()
    assert.ok(results !== null)
    results.forEach(([error, value], i) => {
      assert.equal(error, null)
      assert.equal(value, Math.floor(i / 100) + 1, `reply ${i} out of order`)
    })
    assert.equal(await direct.get('pipe:42'), '20')
  })

  test('EVAL runs on its keys\' node; keys in different slots get CROSSSLOT without being sent', async () => {
    const c = proxy.client
    await c.set('{user1}.name', 'ada')
    await c.set('{user1}.city', 'london')
    assert.deepEqual(await c.eval("return redis.call('mget', KEYS[1], KEYS[2])", 2, '{user1}.name', '{user1}.city'), ['ada', 'london'])
    assert.equal(await c.eval("return redis.call('incrby', KEYS[1], ARGV[1])", 1, 'evalcount', 7), 7)
    assert.equal(await direct.get('evalcount'), '7')
    assert.ok(keySlot('a') !== keySlot('b'))
    await assert.rejects(c.eval("return redis.call('set', KEYS[1], 'x')", 2, 'a', 'b'), /CROSSSLOT/)
    assert.equal(await direct.exists('a'), 0, 'a CROSSSLOT script ran nowhere')
    await c.sadd('{s}1', 'x', 'y')
    await c.sadd('{s}2', 'y', 'z')
    assert.equal(await c.sunionstore('{s}3', '{s}1', '{s}2'), 3)
    await assert.rejects(c.sunionstore('dest', '{s}1', '{s}2'), /CROSSSLOT/)
    await assert.rejects(c.rpoplpush('a', 'b'), /CROSSSLOT/)
  })

  test('the stats document lists the cluster\'s masters as the pool\'s servers, with counters', async () => {
    const masters = cluster.masters.map((m) => `127.0.0.1:${m.port}`).sort()
    assert.deepEqual(await statsServers(proxy.proxy.statsPort, 'alpha'), masters)
    const stats = await readStats(proxy.proxy.statsPort)
    const pool = stats.alpha as Record<string, Record<string, number>>
    const requests = masters.map((name) => pool[name].requests)
    assert.ok(requests.every((n) => n > 0), `every master took requests: ${requests.join(', ')}`)
  })

  test('slots moved by twlab reshard under load: MOVED and ASK are followed, no client error', async () => {
    const home = tempDir('twlab-home-')
    const c = proxy.client
    const from = `127.0.0.1:${cluster.masters[0].port}`
    const to = `127.0.0.1:${cluster.masters[1].port}`
    // keys in the slots that move (the first master's lowest slots), written while they move
    const keys = Array.from({length: 4000}, (_, i) => `load:${i}`).filter((key) => keySlot(key) < 400).slice(0, 60)
    assert.ok(keys.length >= 30, 'enough keys in the moving slots')
    for (const key of keys) await c.set(key, '0')
    let stop = false
    let errors = 0
    let writes = 0
    const counts = new Map(keys.map((key) => [key, 0]))
    const writer = (async () => {
      for (let round = 0; round < 100_000 && !stop; round++) {
        const pipeline = c.pipeline()
        for (const key of keys) pipeline.incr(key)
        const results = await pipeline.exec()
        for (const [i, [error]] of (results ?? []).entries()) {
          if (error) errors++
          else counts.set(keys[i], counts.get(keys[i])! + 1)
        }
        writes += keys.length
      }
    })()
    try {
      const result = await twlab(['reshard', '--cluster', from, '--from', from, '--to', to, '--range', '0-399', '--batch', '5', '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs: 120_000})
      assert.equal(result.code, 0, result.stdout + result.stderr)
    } finally {
      stop = true
      await writer
      rmSync(home, {recursive: true, force: true})
    }
    assert.equal(errors, 0, `client errors during the reshard (${writes} writes)`)
    for (const key of keys) assert.equal(await direct.get(key), String(counts.get(key)), `${key} holds every acknowledged INCR`)
    assert.ok(writes > keys.length, 'writes ran during the move')
  })
})
