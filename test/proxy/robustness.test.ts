// twproxy on its own: requests split across TCP reads, one bad client closed while the others are
// served, the memory limits (a huge request, a client that pipelines without reading), a fuzz of
// random and mutated RESP and memcache bytes, and a real client library (ioredis) end to end.
import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {freePort, type RunningServer, sleep, startMemcached, startRedis, stopAll} from '../support/servers.js'
import {exchange, readStats, resp, startTwproxy, stopTwproxies, type Twproxy} from './harness.js'

let redis: RunningServer[]
let memcached: RunningServer
let proxy: Twproxy
let port: number
let mcPort: number

/** A small seeded PRNG (mulberry32), so a failing fuzz run can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function ping(): Promise<string> {
  return (await exchange(port, resp('PING'), {until: '+PONG\r\n'})).data.toString()
}

describe('twproxy robustness', () => {
  before(async () => {
    redis = [await startRedis(), await startRedis()]
    memcached = await startMemcached()
    port = await freePort()
    mcPort = await freePort()
    const config = `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n` +
      redis.map((r, i) => `   - 127.0.0.1:${r.port}:1 s${i}\n`).join('') +
      `cache:\n  listen: 127.0.0.1:${mcPort}\n  servers:\n   - 127.0.0.1:${memcached.port}:1 m0\n`
    proxy = await startTwproxy(config, port, ['--max-request-bytes', '65536', '--max-output-bytes', '1048576', '--max-pipeline', '256'])
  })
  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  test('a request split across many TCP reads is answered once complete', async () => {
    const value = 'v'.repeat(5000)
    const request = Buffer.concat([resp('SET', 'split', value), resp('GET', 'split')])
    const expected = `+OK\r\n$5000\r\n${value}\r\n`
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({host: '127.0.0.1', port})
      let data = ''
      socket.setNoDelay(true)
      socket.on('data', (chunk) => {
        data += chunk.toString()
        if (data.length >= expected.length) {
          socket.destroy()
          resolve(data)
        }
      })
      socket.on('error', reject)
      socket.on('connect', async () => {
        // 1, 2, 3... byte pieces, each its own write and turn
        let pos = 0
        for (let size = 1; pos < request.length; size++) {
          socket.write(request.subarray(pos, pos + size))
          pos += size
          await sleep(1)
        }
      })
      setTimeout(() => reject(new Error('no reply')), 10_000)
    })
    assert.equal(reply, expected)
  })

  test('a malformed request closes that client only; another client in flight is served', async () => {
    const good = net.connect({host: '127.0.0.1', port})
    await new Promise((resolve) => good.once('connect', resolve))
    const bad = await exchange(port, 'GARBAGE\r\n')
    assert.equal(bad.closed, true)
    assert.equal(bad.data.length, 0)
    const reply = await new Promise<string>((resolve) => {
      good.once('data', (chunk) => resolve(chunk.toString()))
      good.write(resp('PING'))
    })
    good.destroy()
    assert.equal(reply, '+PONG\r\n')
  })

  test('a request over --max-request-bytes closes that client', async () => {
    const huge = await exchange(port, resp('SET', 'huge', 'x'.repeat(100_000)))
    assert.equal(huge.closed, true)
    assert.equal(huge.data.length, 0)
    const header = await exchange(port, '*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$999999999\r\n')
    assert.equal(header.closed, true)
    assert.equal(await ping(), '+PONG\r\n')
  })

  test('a client that pipelines without reading is closed past --max-output-bytes; others are served', async () => {
    const set = await exchange(port, resp('SET', 'big', 'b'.repeat(60_000)), {until: '+OK\r\n'})
    assert.equal(set.data.toString(), '+OK\r\n')
    const full = 2000 * 60_011
    const received = await new Promise<number>((resolve) => {
      const socket = net.connect({host: '127.0.0.1', port})
      let bytes = 0
      socket.on('connect', () => {
        // read nothing while pipelining: a paused socket also cannot see the proxy close it
        socket.pause()
        const batch = Buffer.concat(Array.from({length: 100}, () => resp('GET', 'big')))
        let sent = 0
        const pump = () => {
          // bounded: 2000 requests (120 MB of replies) at most
          while (sent < 2000 && socket.write(batch)) sent += 100
          if (sent < 2000) socket.once('drain', pump)
          else setTimeout(() => socket.resume(), 1500)
        }
        pump()
      })
      socket.on('data', (chunk) => (bytes += chunk.length))
      socket.on('close', () => resolve(bytes))
      socket.on('error', () => {})
      setTimeout(() => {
        socket.destroy()
        resolve(-1)
      }, 20_000)
    })
    assert.ok(received >= 0 && received < full, `the proxy closed the client before all replies (got ${received} of ${full} bytes)`)
    assert.equal(await ping(), '+PONG\r\n')
  })

  test('fuzz: random and mutated RESP and memcache bytes never stop the proxy', async () => {
    const random = prng(20261122)
    const corpus = [resp('GET', 'k'), resp('MGET', 'a', 'b', 'c'), resp('MSET', 'a', '1', 'b', '2'), resp('EVAL', 'return 1', '1', 'k'),
      resp('PING'), resp('AUTH', 'x'), resp('SET', 'k', 'v')]
    const mcCorpus = ['get a b c\r\n', 'set k 0 0 1\r\nv\r\n', 'incr k 1\r\n', 'delete k noreply\r\n', 'gets a\r\n'].map((s) => Buffer.from(s))
    const mutate = (base: Buffer): Buffer => {
      const bytes = Buffer.from(base)
      const edits = 1 + Math.floor(random() * 4)
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * bytes.length)
        const kind = random()
        if (kind < 0.4) bytes[at] = Math.floor(random() * 256)
        else if (kind < 0.7) bytes[at] = '\r\n*$:0123456789-'.charCodeAt(Math.floor(random() * 16))
        else return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)])
      }
      return bytes
    }
    for (let round = 0; round < 150; round++) {
      const memcache = round % 3 === 2
      const base = memcache ? mcCorpus : corpus
      const parts: Buffer[] = []
      for (let i = 0; i < 1 + Math.floor(random() * 5); i++) {
        const r = random()
        if (r < 0.6) parts.push(mutate(base[Math.floor(random() * base.length)]))
        else if (r < 0.8) parts.push(base[Math.floor(random() * base.length)])
        else parts.push(Buffer.from(Array.from({length: 1 + Math.floor(random() * 64)}, () => Math.floor(random() * 256))))
      }
      await exchange(memcache ? mcPort : port, Buffer.concat(parts), {quietMs: 30, maxMs: 1000})
    }
    assert.equal(proxy.child.exitCode, null, 'the proxy is still running')
    assert.equal(await ping(), '+PONG\r\n')
    const mc = await exchange(mcPort, 'set after 0 0 2\r\nok\r\nget after\r\n', {until: 'END\r\n'})
    assert.equal(mc.data.toString(), 'STORED\r\nVALUE after 0 2\r\nok\r\nEND\r\n')
    const stats = JSON.parse(await readStats(proxy.statsPort))
    assert.ok(stats.alpha.client_err > 0, 'the bad clients were counted as client errors')
  })

  test('ioredis through twproxy: commands, pipelines and multi-key splits', async () => {
    const client = new Redis({host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1, disableClientInfo: true})
    try {
      await client.connect()
      assert.equal(await client.set('io:1', 'one'), 'OK')
      assert.equal(await client.get('io:1'), 'one')
      assert.equal(await client.mset({'io:2': 'two', 'io:3': 'three', 'io:4': 'four'}), 'OK')
      assert.deepEqual(await client.mget('io:1', 'io:2', 'io:missing', 'io:3', 'io:4'), ['one', 'two', null, 'three', 'four'])
      const pipeline = client.pipeline()
      for (let i = 0; i < 500; i++) pipeline.incr(`io:counter:${i % 10}`)
      const results = await pipeline.exec()
      assert.equal(results!.length, 500)
      assert.equal(results![499][1], 50)
      assert.equal(await client.del('io:1', 'io:2', 'io:3', 'io:4', 'io:missing'), 4)
      assert.equal(await client.eval('return redis.call("incrby", KEYS[1], ARGV[1])', 1, 'io:eval', 7), 7)
      await client.hset('io:h', 'f', 'v')
      assert.deepEqual(await client.hgetall('io:h'), {f: 'v'})
    } finally {
      client.disconnect()
    }
  })
})
