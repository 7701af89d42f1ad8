// The cut-over's own key copy on a pool whose servers are reached as an ACL user (`redis_user`
// beside `redis_auth`). twproxy copies the keys of the writes in flight at the swap with MIGRATE
// from the old server to the new owner; that MIGRATE must log in to the new owner as the pool's
// user (`AUTH2 user password`), not as the default user (`AUTH password`), or the copy fails and
// the write acknowledged by the old server is missing from the cluster. The servers here know the
// user `app`; their default user has no password, so `AUTH password` is refused.
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {Redis} from 'ioredis'
import {freePort, sleep, startRedis, stopAll, type RunningServer} from '../support/servers.js'
import {startTwproxy, stopTwproxies} from './harness.js'
import {clusterPoolConfig, startCluster, statsServers, type TestCluster} from './cluster-support.js'

const USER = 'app'
const PASSWORD = 'cut-over-secret'
const USER_ARGS = ['--user', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all']
const ACCESS = `  timeout: 20000\n  redis_auth: ${PASSWORD}\n  redis_user: ${USER}\n`

function serversPool(port: number, servers: RunningServer[]): string {
  return `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n${ACCESS}  servers:\n${servers.map((s, i) => `    - 127.0.0.1:${s.port}:1 s${i}\n`).join('')}`
}

/** The gate line of the reload, once logged (bounded wait). */
async function gateLine(logFile: string, from: number): Promise<string> {
  for (let poll = 0; poll < 200; poll++) {
    const line = /reload: pool 'alpha' gate was closed .*/.exec(readFileSync(logFile, 'utf8').slice(from))
    if (line !== null) return line[0]
    await sleep(50)
  }
  return ''
}

describe('cut-over key copy as the pool\'s ACL user', () => {
  let cluster: TestCluster
  let source: RunningServer

  before(async () => {
    cluster = await startCluster({masters: 1, args: ['--cluster-node-timeout', '5000', ...USER_ARGS]})
    source = await startRedis({args: USER_ARGS})
  })

  after(async () => {
    await stopTwproxies()
    await cluster?.stop()
    await stopAll()
  })

  test('a write held by the pause at the swap reaches the cluster through MIGRATE ... AUTH2 user password', async () => {
    const port = await freePort()
    const proxy = await startTwproxy(serversPool(port, [source]), port)
    const client = new Redis({host: '127.0.0.1', port, username: USER, password: PASSWORD, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0})
    const admin = new Redis({port: source.port, maxRetriesPerRequest: 1})
    const target = new Redis({port: cluster.masters[0].port, maxRetriesPerRequest: 1})
    try {
      assert.equal(await client.set('acl:warm', 'up'), 'OK')
      const logFrom = readFileSync(proxy.logFile, 'utf8').length
      await admin.call('CLIENT', 'PAUSE', '15000', 'WRITE')
      // held by the pause on the old server: in flight at the swap
      const held = client.set('acl:held', 'written-during-the-swap')
      await sleep(200)
      writeFileSync(proxy.configFile, clusterPoolConfig('alpha', port, [cluster.address], ACCESS))
      process.kill(proxy.pid, 'SIGUSR1')
      const master = `127.0.0.1:${cluster.masters[0].port}`
      let switched = false
      for (let poll = 0; poll < 200 && !switched; poll++) {
        switched = (await statsServers(proxy.statsPort, 'alpha')).join() === master
        if (!switched) await sleep(50)
      }
      await admin.call('CLIENT', 'UNPAUSE')
      assert.ok(switched, 'the stats document listed the cluster\'s master')
      assert.equal(await held, 'OK')
      const gate = await gateLine(proxy.logFile, logFrom)
      assert.match(gate, /\(1 in-flight keys copied, 0 deleted\)$/, `the key copy succeeded: ${gate}`)
      assert.equal(await target.get('acl:held'), 'written-during-the-swap')
      assert.equal(await client.get('acl:held'), 'written-during-the-swap')
    } finally {
      client.disconnect()
      admin.disconnect()
      target.disconnect()
      await proxy.stop()
    }
  })
})
