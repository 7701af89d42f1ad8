// twproxy in front of Redis 8.0 and Valkey 9.1 gives the same replies as in front of Redis 7.0:
// one command set, pipelined through twproxy to a plain pool, a Sentinel-backed pool (each
// server's own sentinel: valkey-server --sentinel for Valkey) and a cluster-backed pool on each
// version, reply bytes compared with 7.0's. What legitimately differs is listed in DIFFERS.
// And the commands newer than nutcracker's table: refused (connection closed) by default, as the
// real nutcracker refuses them, routed by their first key with `command_keys: backend`.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import type {LabHome} from '../lab/support.js'
import {exchange, resp, startTwproxy, stopTwproxies} from '../proxy/harness.js'
import {freePort, startNutcracker, stopAll} from '../support/servers.js'
import {client, labHomeWith, labUp, masterPorts, nodePort, VERSIONS} from '../versions/support.js'

const COMMANDS: string[][] = [
  ['PING'], ['SET', 's1', 'v1'], ['GET', 's1'], ['APPEND', 's1', '+x'], ['STRLEN', 's1'], ['GETRANGE', 's1', '0', '1'],
  ['INCR', 'n1'], ['INCRBY', 'n1', '41'], ['INCRBYFLOAT', 'n1', '0.5'], ['SETNX', 's1', 'no'], ['GETSET', 's1', 'v2'],
  ['MSET', 'm1', 'a', 'm2', 'b', 'm3', 'c'], ['MGET', 'm1', 'm2', 'm3', 'missing'], ['EXISTS', 'm1'], ['DEL', 'm1', 'm2', 'missing'],
  ['TYPE', 's1'], ['EXPIRE', 's1', '1000'], ['PERSIST', 's1'], ['TTL', 's1'], ['GETDEL', 'm3'], ['GETEX', 's1', 'PERSIST'],
  ['RPUSH', 'l1', 'a', 'b', 'c'], ['LPUSH', 'l1', 'z'], ['LRANGE', 'l1', '0', '-1'], ['LPOP', 'l1'], ['LINDEX', 'l1', '1'], ['LLEN', 'l1'],
  ['LPOS', 'l1', 'c'], ['LMOVE', 'l1', 'l1', 'LEFT', 'RIGHT'],
  ['SADD', 'set1', 'x', 'y', 'z'], ['SCARD', 'set1'], ['SISMEMBER', 'set1', 'y'], ['SMISMEMBER', 'set1', 'y', 'q'], ['SREM', 'set1', 'x'],
  ['ZADD', 'z1', '1', 'a', '2.5', 'b', '3', 'c'], ['ZRANGE', 'z1', '0', '-1', 'WITHSCORES'], ['ZSCORE', 'z1', 'b'], ['ZINCRBY', 'z1', '2', 'a'],
  ['ZRANK', 'z1', 'a'], ['ZCOUNT', 'z1', '1', '3'], ['ZRANGEBYSCORE', 'z1', '(1', '+inf'], ['ZPOPMIN', 'z1'],
  ['HSET', 'h1', 'f1', 'v1', 'f2', '2'], ['HGET', 'h1', 'f1'], ['HINCRBY', 'h1', 'f2', '3'], ['HMGET', 'h1', 'f1', 'nope'],
  ['HLEN', 'h1'], ['HEXISTS', 'h1', 'f2'], ['HDEL', 'h1', 'f1'], ['HGETALL', 'h1'],
  ['PFADD', 'hll', 'a', 'b', 'c'], ['PFCOUNT', 'hll'], ['SETBIT', 'bits', '7', '1'], ['BITCOUNT', 'bits'],
  ['GEOADD', 'geo', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'], ['GEODIST', 'geo', 'Palermo', 'Catania', 'km'],
  ['EVAL', 'return {KEYS[1], ARGV[1], 7}', '1', 'ek', 'arg'], ['SET', 'x1', 'v', 'EX', 'notanumber'],
  ['GET', 'l1'], ['INCR', 's1'], ['UNLINK', 's1', 'n1'], ['TOUCH', 'l1', 'set1'],
]

/**
 * Replies that may differ from Redis 7.0's, by version and command index, with why. Empty: every
 * reply of this command set is byte for byte 7.0's on Redis 8.0.2 and Valkey 9.1.2 (INFO and
 * version strings, which do differ, are not sent).
 */
const DIFFERS: Record<string, Record<number, string>> = {}

function request(prefix: string): Buffer {
  return Buffer.concat(COMMANDS.map(([name, ...args]) => resp(name, ...args.map((arg, i) => (isKey(name, i) ? `${prefix}${arg}` : arg)))))
}

/** Keys get a per-topology prefix; arguments that are not keys stay as they are. */
function isKey(name: string, i: number): boolean {
  if (name === 'PING') return false
  if (name === 'EVAL') return i === 2
  if (['MSET'].includes(name)) return i % 2 === 0
  if (['MGET', 'DEL', 'UNLINK', 'TOUCH', 'EXISTS'].includes(name)) return true
  if (name === 'LMOVE') return i < 2
  return i === 0
}

/** Every reply line in order (RESP parts), so a difference names its command. */
function replies(data: Buffer): string[] {
  const text = data.toString('latin1')
  const out: string[] = []
  let pos = 0
  const readOne = (): string => {
    const end = text.indexOf('\r\n', pos)
    const line = text.slice(pos, end)
    pos = end + 2
    const kind = line[0]
    if (kind === '$') {
      const length = Number(line.slice(1))
      if (length < 0) return line
      const value = text.slice(pos, pos + length)
      pos += length + 2
      return `${line} ${value}`
    }
    if (kind === '*') {
      const count = Number(line.slice(1))
      const items: string[] = []
      for (let i = 0; i < count; i++) items.push(readOne())
      return `${line} [${items.join(', ')}]`
    }
    return line
  }
  for (let i = 0; i < COMMANDS.length && pos < text.length; i++) out.push(readOne())
  return out
}

async function repliesThrough(port: number, prefix: string): Promise<string[]> {
  const reply = await exchange(port, request(prefix), {quietMs: 500, maxMs: 15_000})
  assert.equal(reply.closed, false, 'twproxy closed the connection')
  const found = replies(reply.data)
  assert.equal(found.length, COMMANDS.length, `replies: ${found.join(' | ')}`)
  return found
}

function clusterConfig(port: number, seed: number, extra = ''): string {
  return `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  timeout: 5000\n${extra}  cluster:\n    - 127.0.0.1:${seed}\n`
}

/** Servers are named (s1, s2...): placement then depends on the names, not on the ports a lab got. */
function poolConfig(port: number, servers: number[], extra = ''): string {
  return `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n${extra}  servers:\n${servers.map((s, i) => `    - 127.0.0.1:${s}:1 s${i + 1}\n`).join('')}`
}

describe('twproxy on every version', () => {
  let lab: LabHome
  const seen = new Map<string, Record<string, string[]>>()

  before(async () => {
    lab = await labHomeWith('redis-8.0', 'valkey-9.1')
  })
  after(async () => {
    await stopTwproxies()
    await stopAll()
    await lab?.cleanup()
  })

  for (const server of VERSIONS) {
    test(`${server}: a pool, a Sentinel pool and a cluster pool through twproxy`, async () => {
      const tag = server.replace(/\W/g, '')
      await labUp(lab, server, ['--name', `p${tag}`, '--masters', '2', '--proxy', 'twproxy'])
      await labUp(lab, server, ['--sentinel', '--name', `s${tag}`, '--masters', '1', '--proxy', 'twproxy'])
      await labUp(lab, server, ['--cluster', '--name', `c${tag}`, '--masters', '3', '--replicas', '0'])
      const port = await freePort()
      const proxy = await startTwproxy(clusterConfig(port, nodePort(lab, `c${tag}`, 'm1')), port)
      const found = {
        pool: await repliesThrough(lab.state(`p${tag}`).proxy.port as number, 'p:'),
        sentinel: await repliesThrough(lab.state(`s${tag}`).proxy.port as number, 's:'),
        cluster: await repliesThrough(port, 'c:'),
      }
      await proxy.stop()
      seen.set(server, found)
    })
  }

  test('Redis 8.0 and Valkey 9.1 answer as Redis 7.0 does, but for what DIFFERS lists', () => {
    const base = seen.get('system')
    assert.ok(base, 'the 7.0 replies were collected')
    for (const server of VERSIONS.filter((v) => v !== 'system')) {
      const mine = seen.get(server)
      assert.ok(mine, `the ${server} replies were collected`)
      for (const kind of Object.keys(base) as Array<keyof typeof base>) {
        for (const [i, reply] of base[kind].entries()) {
          const allowed = DIFFERS[server]?.[i]
          if (allowed === undefined) assert.equal(mine[kind][i], reply, `${server} ${kind}: ${COMMANDS[i].join(' ')}`)
        }
      }
    }
  })

  test('Redis 8.0: HGETEX/HSETEX/HGETDEL close the client by default, as nutcracker does; command_keys: backend routes them by key', async () => {
    await labUp(lab, 'redis-8.0', ['--name', 'ck', '--masters', '2', '--proxy', 'none'])
    const servers = masterPorts(lab, 'ck')
    const [plainPort, routedPort, nutPort, clusterPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
    await startTwproxy(poolConfig(plainPort, servers), plainPort)
    await startTwproxy(poolConfig(routedPort, servers, '  command_keys: backend\n'), routedPort)
    await startNutcracker({config: poolConfig(nutPort, servers), waitPort: nutPort})
    const hsetex = resp('HSETEX', 'hx', 'EX', '100', 'FIELDS', '1', 'f', 'v')
    for (const port of [plainPort, nutPort]) {
      const refused = await exchange(port, hsetex)
      assert.deepEqual([refused.data.toString(), refused.closed], ['', true], `port ${port} closes the client`)
    }
    const proxy = client(routedPort)
    try {
      for (let i = 0; i < 40; i++) {
        assert.equal(await proxy.call('HSETEX', `hx:${i}`, 'PX', '100000', 'FIELDS', '2', 'f', `v${i}`, 'g', 'w'), 1)
        assert.deepEqual(await proxy.call('HGETEX', `hx:${i}`, 'PERSIST', 'FIELDS', '1', 'f'), [`v${i}`])
        assert.deepEqual(await proxy.call('HGETDEL', `hx:${i}`, 'FIELDS', '1', 'g'), ['w'])
        // nutcracker's own commands agree on where the key lives
        assert.deepEqual(await proxy.hgetall(`hx:${i}`), {f: `v${i}`})
        assert.deepEqual(await proxy.call('HTTL', `hx:${i}`, 'FIELDS', '1', 'f'), [-1])
      }
      const perServer = await Promise.all(servers.map(async (port) => {
        const direct = client(port)
        const count = (await direct.keys('hx:*')).length
        direct.disconnect()
        return count
      }))
      assert.equal(perServer.reduce((a, b) => a + b, 0), 40)
      assert.ok(perServer.every((count) => count > 0), `keys on every server: ${perServer.join(', ')}`)
      // a command no server of the pool publishes (Valkey 9.1's MSETEX) is not routed: closed
      const msetex = await exchange(routedPort, resp('MSETEX', '1', 'a', 'b'))
      assert.equal(msetex.closed, true)
    } finally {
      proxy.disconnect()
    }
    // a cluster-backed pool on Redis 8.0 routes them by slot
    await labUp(lab, 'redis-8.0', ['--cluster', '--name', 'ck8', '--masters', '3', '--replicas', '0'])
    await startTwproxy(clusterConfig(clusterPort, nodePort(lab, 'ck8', 'm1'), '  command_keys: backend\n'), clusterPort)
    const clustered = client(clusterPort)
    try {
      for (let i = 0; i < 20; i++) {
        assert.equal(await clustered.call('HSETEX', `cx:${i}`, 'FIELDS', '1', 'f', `v${i}`), 1)
        assert.deepEqual(await clustered.call('HGETDEL', `cx:${i}`, 'FIELDS', '1', 'f'), [`v${i}`])
      }
    } finally {
      clustered.disconnect()
    }
  })
})
