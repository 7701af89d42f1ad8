// A cluster master dies under load: its replica is promoted by the cluster, twproxy refreshes the
// slot map (from any node it knows) and requests recover; the stats document then lists the
// promoted replica among the pool's servers.
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {Redis} from 'ioredis'
import {CLUSTER_SLOTS, keySlot} from '../../src/hashing/index.js'
import {sleep} from '../support/servers.js'
import {startCluster, startClusterProxy, statsServers, type ClusterProxy, type TestCluster} from './cluster-support.js'

describe('a cluster pool through a master failover', () => {
  let cluster: TestCluster
  let proxy: ClusterProxy

  before(async () => {
    cluster = await startCluster({masters: 3, replicasPerMaster: 1})
    proxy = await startClusterProxy(cluster)
  })

  after(async () => {
    await proxy?.stop()
    await cluster?.stop()
  })

  test('requests recover once the replica is promoted', async () => {
    const c = proxy.client
    const victim = cluster.masters[0]
    // the first master serves the lowest slots; its replica is the first replica
    const replica = cluster.replicas[0]
    const keys = Array.from({length: 2000}, (_, i) => `fo:${i}`).filter((key) => keySlot(key) < CLUSTER_SLOTS / 3 - 1).slice(0, 20)
    const others = Array.from({length: 2000}, (_, i) => `fo:${i}`).filter((key) => keySlot(key) > CLUSTER_SLOTS / 3 + 1).slice(0, 20)
    for (const key of [...keys, ...others]) assert.equal(await c.set(key, 'before'), 'OK')
    // the replica holds the writes before its master dies
    const master = new Redis({port: victim.port, maxRetriesPerRequest: 1})
    try {
      assert.equal(await master.call('WAIT', '1', '5000'), 1, 'the replica acknowledged the writes')
    } finally {
      master.disconnect()
    }
    process.kill(victim.pid, 'SIGKILL')
    let recovered = false
    let failures = 0
    const deadline = Date.now() + 30_000
    for (let attempt = 0; attempt < 600 && Date.now() < deadline && !recovered; attempt++) {
      try {
        for (const key of keys) assert.equal(await c.set(key, 'after'), 'OK')
        recovered = true
      } catch {
        failures++
        await sleep(100)
      }
    }
    assert.ok(recovered, `requests to the dead master's slots recovered (${failures} failed attempts)`)
    for (const key of keys) assert.equal(await c.get(key), 'after')
    for (const key of others) assert.equal(await c.get(key), 'before')
    const servers = await statsServers(proxy.proxy.statsPort, 'alpha')
    assert.ok(servers.includes(`127.0.0.1:${replica.port}`), `the promoted replica is listed: ${servers.join(', ')}`)
    assert.ok(!servers.includes(`127.0.0.1:${victim.port}`), 'the dead master is not')
    process.stderr.write(`failover: ${failures} attempts failed before requests recovered\n`)
  })
})
