// Memcache pools (redis: false) against the real nutcracker, each over its own three memcached:
// the same ASCII requests give the same bytes, and the same requests close the connection.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {stopAll} from '../support/servers.js'
import {both, exchange, startTwin, stopTwproxies, type Twin} from './harness.js'

let twin: Twin
const SENTINEL = 'get __sentinel__\r\n'
const SENTINEL_REPLY = 'VALUE __sentinel__ 0 5\r\nhello\r\nEND\r\n'

async function same(request: string, label: string, options: {sentinel?: boolean} = {}): Promise<string> {
  const withSentinel = options.sentinel !== false
  const result = await both(twin, 'cache', withSentinel ? request + SENTINEL : request, {until: withSentinel ? SENTINEL_REPLY : undefined})
  assert.equal(result.twproxy.data.toString('latin1'), result.nutcracker.data.toString('latin1'), `${label}: reply bytes differ`)
  assert.equal(result.twproxy.closed, result.nutcracker.closed, `${label}: closed differs`)
  return result.twproxy.data.toString('latin1')
}

describe('memcache pools: twproxy answers as nutcracker', () => {
  before(async () => {
    twin = await startTwin([{name: 'cache', settings: ['redis: false'], servers: 3, memcache: true}])
    for (const side of ['nutcracker', 'twproxy'] as const) {
      const set = await exchange(twin.ports[side].cache, 'set __sentinel__ 0 0 5\r\nhello\r\n', {until: 'STORED\r\n'})
      assert.equal(set.data.toString(), 'STORED\r\n')
    }
  })
  after(async () => {
    await twin?.stop()
    await stopTwproxies()
    await stopAll()
  })

  test('storage commands, get and gets over several servers', async () => {
    const keys = Array.from({length: 16}, (_, i) => `mc:${i}`)
    await same(keys.map((k, i) => `set ${k} ${i} 0 ${String(i).length}\r\n${i}\r\n`).join(''), 'sets')
    await same(`get ${keys.join(' ')}\r\n`, 'get 16 keys')
    await same(`get ${keys[0]} missing:1 ${keys[5]} missing:2 ${keys[0]}\r\n`, 'get with misses and a duplicate')
    await same(`get ${keys[3]}\r\n`, 'get one key')
    await same(`gets ${keys.slice(0, 6).join(' ')}\r\n`, 'gets')
    await same('add mc:0 0 0 1\r\nx\r\nadd fresh 0 0 1\r\ny\r\n', 'add')
    await same('replace mc:1 0 0 3\r\nabc\r\nreplace nothere 0 0 1\r\nz\r\n', 'replace')
    await same('append mc:1 0 0 2\r\nde\r\nprepend mc:1 0 0 2\r\nzz\r\nget mc:1\r\n', 'append and prepend')
    await same('cas mc:2 0 0 1 999999\r\nq\r\ncas nothere 0 0 1 1\r\nq\r\n', 'cas')
    await same('incr mc:3 5\r\ndecr mc:3 2\r\nincr nothere 1\r\nincr mc:1 1\r\n', 'incr and decr')
    await same('touch mc:4 100\r\ntouch nothere 100\r\n', 'touch')
    await same('delete mc:5\r\ndelete mc:5\r\nget mc:5\r\n', 'delete')
    await same('set nr 0 0 1 noreply\r\na\r\nincr nr 1 noreply\r\ndelete nothere noreply\r\nget nr\r\n', 'noreply')
    await same('  get mc:6\r\n', 'leading spaces')
    await same('version\r\n', 'version')
  })

  test('quit and unsupported or malformed requests close the connection', async () => {
    await same('quit\r\n', 'quit', {sentinel: false})
    await same('set q 0 0 1\r\n1\r\nquit\r\nget q\r\n', 'quit in a pipeline', {sentinel: false})
    for (const request of ['GET mc:1\r\n', 'flush_all\r\n', 'stats\r\n', 'verbosity 1\r\n', 'gat 0 mc:1\r\n', `get ${'k'.repeat(251)}\r\n`,
      'get\r\n', 'set k 0 0\r\n', 'set k 0 0 x\r\n', 'set k 0 0 1\r\nab\r\n', 'incr k\r\n', 'bogus\r\n', '\r\n']) {
      await same(request, `close: ${JSON.stringify(request)}`)
    }
    await same(`get ${'k'.repeat(250)}\r\n`, 'a 250-byte key')
  })
})
