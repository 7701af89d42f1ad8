// Failure handling against the real nutcracker: a request past `timeout` (the server is
// SIGSTOPped), a server killed with requests in flight, a server that refuses connections, and
// auto_eject_hosts with server_failure_limit and server_retry_timeout.
import assert from 'node:assert/strict'
import {after, afterEach, describe, test} from 'node:test'
import {sleep, stopAll} from '../support/servers.js'
import {both, resp, startTwin, stopTwproxies, type Twin} from './harness.js'

let twin: Twin | undefined

const PING = resp('PING')

/** Sends request + PING (answered by the proxy, so it marks the end) to both; returns the reply without the PONG. */
async function same(pool: string, request: Buffer, label: string, options: {quietMs?: number} = {}): Promise<string> {
  const result = await both(twin!, pool, Buffer.concat([request, PING]), {until: '+PONG\r\n', quietMs: options.quietMs ?? 1500, maxMs: 8000})
  assert.equal(result.twproxy.data.toString('latin1'), result.nutcracker.data.toString('latin1'), `${label}: reply bytes differ`)
  assert.equal(result.twproxy.closed, result.nutcracker.closed, `${label}: closed differs`)
  return result.twproxy.data.toString('latin1').replace(/\+PONG\r\n$/, '')
}

function signalBackends(signal: NodeJS.Signals): void {
  for (const server of [...twin!.backends.nutcracker, ...twin!.backends.twproxy]) process.kill(server.pid, signal)
}

describe('failures: twproxy answers as nutcracker', () => {
  afterEach(async () => {
    if (twin !== undefined) {
      for (const server of [...twin.backends.nutcracker, ...twin.backends.twproxy]) {
        try {
          process.kill(server.pid, 'SIGCONT')
        } catch {
          // already gone
        }
      }
      await twin.stop()
      twin = undefined
    }
  })
  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  test('a request past the timeout gets -ERR Connection timed out', async () => {
    twin = await startTwin([{name: 'slow', settings: ['redis: true', 'timeout: 300'], servers: 1}])
    assert.equal(await same('slow', resp('SET', 'a', '1'), 'before'), '+OK\r\n')
    signalBackends('SIGSTOP')
    const reply = await same('slow', Buffer.concat([resp('GET', 'a'), resp('GET', 'b')]), 'stopped backend')
    assert.equal(reply, '-ERR Connection timed out\r\n-ERR Connection timed out\r\n')
    signalBackends('SIGCONT')
    assert.equal(await same('slow', resp('GET', 'a'), 'after'), '$1\r\n1\r\n')
  })

  test('a server killed with a request in flight, then refusing connections', async () => {
    twin = await startTwin([{name: 'dying', settings: ['redis: true'], servers: 1}])
    assert.equal(await same('dying', resp('SET', 'a', '1'), 'before'), '+OK\r\n')
    signalBackends('SIGSTOP')
    const inFlight = both(twin, 'dying', resp('GET', 'a'), {quietMs: 1500, maxMs: 8000})
    await sleep(300)
    signalBackends('SIGKILL')
    const result = await inFlight
    assert.equal(result.twproxy.data.toString(), result.nutcracker.data.toString())
    assert.match(result.twproxy.data.toString(), /^-ERR (Connection reset by peer|unknown)\r\n$/)
    assert.equal(await same('dying', resp('GET', 'a'), 'refused'), '-ERR Connection refused\r\n')
    assert.equal(await same('dying', resp('MGET', 'a', 'b', 'c'), 'refused split'), '-ERR Connection refused\r\n')
  })

  test('auto_eject_hosts: failures eject the server, its keys move, it comes back after the retry timeout', async () => {
    twin = await startTwin([{
      name: 'eject',
      settings: ['redis: true', 'auto_eject_hosts: true', 'server_failure_limit: 2', 'server_retry_timeout: 1500'],
      servers: 3,
    }])
    const keys = Array.from({length: 12}, (_, i) => `key:${i}`)
    for (const key of keys) await same('eject', resp('SET', key, 'v'), `SET ${key}`)
    // kill the same server (by name) on both sides
    for (const side of ['nutcracker', 'twproxy'] as const) process.kill(twin.backends[side][1].pid, 'SIGKILL')
    await sleep(300)
    const before: string[] = []
    for (const key of keys) before.push(await same('eject', resp('GET', key), `GET ${key} while failing`))
    assert.ok(before.some((reply) => reply === '-ERR Connection refused\r\n'), 'some keys were on the dead server')
    assert.ok(before.filter((reply) => reply === '-ERR Connection refused\r\n').length <= 2, 'at most server_failure_limit refusals before ejection')
    await sleep(1700)
    for (const key of keys) await same('eject', resp('GET', key), `GET ${key} after the retry timeout`)
    await same('eject', resp('MGET', ...keys), 'MGET after')
  })
})
