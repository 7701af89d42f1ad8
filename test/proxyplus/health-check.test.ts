// health_check against nutcracker's blind retry: one backend paused with SIGSTOP (it accepts
// connections and never answers). Both proxies eject it after a timeout; without health_check it
// comes back every server_retry_timeout and every return costs another timed-out request, with
// health_check it stays out until it answers PING, then comes back by itself after SIGCONT.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {Redis} from 'ioredis'
import {freePort, type RunningServer, sleep, startRedis, stopAll} from '../support/servers.js'
import {startTwproxy, stopTwproxies} from '../proxy/harness.js'
import {eventually} from './sentinel-support.js'

function pool(port: number, a: RunningServer, b: RunningServer, healthCheck: boolean): string {
  return [
    'pool:',
    `  listen: 127.0.0.1:${port}`,
    '  redis: true',
    '  timeout: 300',
    '  auto_eject_hosts: true',
    '  server_failure_limit: 1',
    '  server_retry_timeout: 400',
    ...(healthCheck ? ['  health_check: true'] : []),
    '  servers:',
    `    - 127.0.0.1:${a.port}:1 a`,
    `    - 127.0.0.1:${b.port}:1 b`,
    '',
  ].join('\n')
}

function connect(port: number): Redis {
  const client = new Redis({port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0})
  client.on('error', () => {})
  return client
}

/** Sequential GETs of `key` for `count` rounds; how many got an error reply. */
async function errorsOver(client: Redis, key: string, count: number): Promise<number> {
  let errors = 0
  for (let i = 0; i < count; i++) {
    await client.get(key).catch(() => errors++)
    await sleep(100)
  }
  return errors
}

describe('health_check: an ejected server comes back only when it answers', () => {
  let a: RunningServer
  let b: RunningServer
  let plainPort: number
  let checkedPort: number
  let keyOnA = ''

  before(async () => {
    a = await startRedis()
    b = await startRedis()
    plainPort = await freePort()
    checkedPort = await freePort()
    await startTwproxy(pool(plainPort, a, b, false), plainPort)
    await startTwproxy(pool(checkedPort, a, b, true), checkedPort)
    const client = connect(checkedPort)
    const direct = new Redis({port: a.port})
    for (let i = 0; i < 100 && keyOnA === ''; i++) {
      await client.set(`k${i}`, `v${i}`)
      if ((await direct.exists(`k${i}`)) === 1) keyOnA = `k${i}`
    }
    client.disconnect()
    direct.disconnect()
  })

  after(async () => {
    await stopTwproxies()
    if (a !== undefined) process.kill(a.pid, 'SIGCONT')
    await stopAll()
  })

  test('a paused server flaps back in without health_check and stays out with it', async () => {
    assert.notEqual(keyOnA, '', 'some key lands on server a')
    process.kill(a.pid, 'SIGSTOP')
    const plain = connect(plainPort)
    const checked = connect(checkedPort)
    try {
      const plainErrors = await errorsOver(plain, keyOnA, 30)
      const checkedErrors = await errorsOver(checked, keyOnA, 30)
      assert.ok(plainErrors >= 2, `without health_check the paused server keeps coming back (${plainErrors} timed-out requests)`)
      assert.equal(checkedErrors, 1, 'with health_check only the request that ejected it fails')
      process.kill(a.pid, 'SIGCONT')
      const back = await eventually('server a back in the ring after it answers again', 10_000, async () => (await checked.get(keyOnA)) ?? undefined)
      assert.equal(back, keyOnA.replace('k', 'v'))
    } finally {
      process.kill(a.pid, 'SIGCONT')
      plain.disconnect()
      checked.disconnect()
    }
  })
})
