// redis_auth and redis_db, against the real nutcracker: the proxy answers AUTH itself, refuses
// everything else before it with -NOAUTH, and authenticates (and selects the database on) each
// server connection it opens.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {stopAll} from '../support/servers.js'
import {both, exchange, resp, startTwin, stopTwproxies, type Twin} from './harness.js'

let twin: Twin
const VALUE = 'sentinel-4471'
const SENTINEL = Buffer.concat([resp('AUTH', 'secret'), resp('GET', '__sentinel__')])
const SENTINEL_REPLY = `$${VALUE.length}\r\n${VALUE}\r\n`

async function same(pool: string, request: Buffer, label: string): Promise<void> {
  const result = await both(twin, pool, Buffer.concat([request, SENTINEL]), {until: SENTINEL_REPLY})
  assert.equal(result.twproxy.closed, result.nutcracker.closed, `${label}: closed differs`)
  assert.equal(result.twproxy.data.toString('latin1'), result.nutcracker.data.toString('latin1'), `${label}: reply bytes differ`)
}

describe('redis_auth and redis_db: twproxy answers as nutcracker', () => {
  before(async () => {
    twin = await startTwin([
      {name: 'secured', settings: ['redis: true', 'redis_auth: secret'], servers: 2, redisArgs: ['--requirepass', 'secret']},
      {name: 'numbered', settings: ['redis: true', 'redis_db: 3'], servers: 2},
    ])
    for (const side of ['nutcracker', 'twproxy'] as const) {
      const set = await exchange(twin.ports[side].secured, Buffer.concat([resp('AUTH', 'secret'), resp('SET', '__sentinel__', VALUE)]), {until: '+OK\r\n+OK\r\n'})
      assert.equal(set.data.toString(), '+OK\r\n+OK\r\n')
    }
  })
  after(async () => {
    await twin?.stop()
    await stopTwproxies()
    await stopAll()
  })

  test('requests before AUTH get -NOAUTH; AUTH right, wrong, and with a user', async () => {
    await same('secured', resp('PING'), 'PING before AUTH')
    await same('secured', resp('GET', 'a'), 'GET before AUTH')
    await same('secured', resp('MGET', 'a', 'b', 'c'), 'MGET before AUTH')
    await same('secured', resp('AUTH', 'wrong'), 'wrong password')
    await same('secured', Buffer.concat([resp('AUTH', 'secret'), resp('SET', 'a', '1'), resp('GET', 'a'), resp('PING')]), 'after AUTH')
    await same('secured', Buffer.concat([resp('AUTH', 'secret'), resp('AUTH', 'nope'), resp('GET', 'a')]), 'a wrong AUTH logs out')
    await same('secured', Buffer.concat([resp('AUTH', 'secret'), resp('MSET', 'x', '1', 'y', '2', 'z', '3'), resp('MGET', 'x', 'y', 'z')]), 'split after AUTH')
  })

  test('QUIT and AUTH user password before AUTH', async () => {
    const quit = await both(twin, 'secured', resp('QUIT'))
    assert.deepEqual(quit.twproxy, quit.nutcracker)
    const userPw = await both(twin, 'secured', resp('AUTH', 'default', 'secret'))
    assert.deepEqual(userPw.twproxy, userPw.nutcracker)
  })

  test('redis_db: keys are written in the configured database', async () => {
    const result = await both(twin, 'numbered', Buffer.concat([resp('SET', 'dbkey', 'v'), resp('GET', 'dbkey')]), {until: '$1\r\nv\r\n'})
    assert.equal(result.twproxy.data.toString(), result.nutcracker.data.toString())
    let found = 0
    const poolServers = twin.backends.twproxy.slice(2)
    for (const server of poolServers) {
      const direct = await exchange(server.port, Buffer.concat([resp('SELECT', '3'), resp('EXISTS', 'dbkey')]), {quietMs: 200})
      if (direct.data.toString() === '+OK\r\n:1\r\n') found++
    }
    assert.equal(found, 1, 'the key is in database 3 of exactly one server')
  })
})
