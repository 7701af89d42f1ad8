// read_from on a pool backed by a Redis Cluster: twproxy sends READONLY to the nodes, reads to
// the replica of each slot's master, and writes to the masters, as INFO commandstats on each
// node shows; a replica killed is skipped (its reads answered by its master).
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {Redis} from 'ioredis'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {startTwproxy, stopTwproxies, type Twproxy} from '../proxy/harness.js'
import {clusterPoolConfig} from '../proxy/cluster-support.js'
import {freePort, waitUntil} from '../support/servers.js'

async function calls(port: number, command: string): Promise<number> {
  const client = new Redis({port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: true})
  client.on('error', () => {})
  try {
    await client.connect()
    const info = await client.info('commandstats')
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0)
  } finally {
    client.disconnect()
  }
}

const sum = async (ports: number[], command: string) => (await Promise.all(ports.map((port) => calls(port, command)))).reduce((a, b) => a + b, 0)

describe('read_from: replica on a cluster pool', () => {
  let cluster: TestCluster
  let proxy: Twproxy
  let client: Redis
  let port: number

  before(async () => {
    cluster = await startCluster({masters: 3, replicasPerMaster: 1})
    port = await freePort()
    proxy = await startTwproxy(clusterPoolConfig('alpha', port, [cluster.address], '  timeout: 5000\n  read_from: replica\n'), port)
    // every master has reported its replica
    await waitUntil(() => (readFileSync(proxy.logFile, 'utf8').match(/go to replicas/g) ?? []).length >= 3, 'replicas reported', 20_000)
    client = new Redis({port, host: '127.0.0.1', maxRetriesPerRequest: 1, enableReadyCheck: false, disableClientInfo: true})
    client.on('error', () => {})
  })
  after(async () => {
    client?.disconnect()
    await stopTwproxies()
    await cluster?.stop()
  })

  test('reads go to the replicas (READONLY), writes to the masters', async () => {
    const masters = cluster.masters.map((m) => m.port)
    const replicas = cluster.replicas.map((r) => r.port)
    const before = {masterGets: await sum(masters, 'get'), replicaGets: await sum(replicas, 'get'), masterSets: await sum(masters, 'set'), readonly: await sum(replicas, 'readonly')}
    for (let i = 0; i < 30; i++) assert.equal(await client.set(`key:${i}`, `v${i}`), 'OK')
    // replicas catch up (asynchronous replication), then every key reads back through them
    await waitUntil(async () => (await client.get('key:29')) === 'v29', 'key:29 on its replica', 5000)
    const got = await Promise.all(Array.from({length: 30}, (_, i) => client.get(`key:${i}`)))
    assert.deepEqual(got, Array.from({length: 30}, (_, i) => `v${i}`))
    assert.equal(await sum(masters, 'set') - before.masterSets, 30, 'every SET on a master')
    assert.equal(await sum(masters, 'get') - before.masterGets, 0, 'no GET on a master')
    assert.ok(await sum(replicas, 'get') - before.replicaGets >= 31, 'every GET on a replica')
    assert.ok(await sum(replicas, 'readonly') > before.readonly || before.readonly > 0, 'READONLY sent to the replicas')
  })

  test('a killed replica is skipped: its master answers its reads', async () => {
    const victim = cluster.replicas[0]
    await victim.stop()
    for (let i = 0; i < 30; i++) assert.equal(await client.get(`key:${i}`), `v${i}`)
    const masterGets = await sum(cluster.masters.map((m) => m.port), 'get')
    assert.ok(masterGets > 0, 'the dead replica\'s master took its reads')
  })
})
