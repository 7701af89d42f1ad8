// The cut-over of a twproxy pool from its servers to a Redis Cluster (and back), done the way a
// migration tool does it, with plain redis commands: writers keep writing through twproxy; the
// test pauses writes on the old servers (CLIENT PAUSE WRITE), copies every key to the new ones,
// rewrites the file, sends SIGUSR1, waits for the stats document to list the new servers, and
// unpauses. Writes that were blocked by the pause at the switch are acknowledged by the old
// servers afterwards; twproxy must copy them over before it serves from the new servers, so every
// acknowledged write is found there.
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {Redis} from 'ioredis'
import {freePort, sleep, startRedis, stopAll, type RunningServer} from '../support/servers.js'
import {startTwproxy, stopTwproxies, type Twproxy} from './harness.js'
import {clusterClient, clusterPoolConfig, startCluster, statsServers, type TestCluster} from './cluster-support.js'

const WRITERS = 6
const TIMEOUT = '  timeout: 20000\n'

function serversPool(port: number, servers: RunningServer[]): string {
  return `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n${TIMEOUT}  servers:\n${servers.map((s, i) => `    - 127.0.0.1:${s.port}:1 s${i}\n`).join('')}`
}

/** Where keys are read and written outside twproxy: a cluster-aware client, or one server. */
interface Store {
  get(key: string): Promise<string | null>
  restore(key: string, ttl: number, dump: Buffer): Promise<unknown>
  disconnect(): void
}

function clusterStore(cluster: TestCluster): Store {
  const client = clusterClient(cluster)
  return {get: (key) => client.get(key), restore: (key, ttl, dump) => client.restore(key, ttl, dump, 'REPLACE'), disconnect: () => client.disconnect()}
}

function serverStore(server: RunningServer): Store {
  const client = new Redis({port: server.port, maxRetriesPerRequest: 1})
  return {get: (key) => client.get(key), restore: (key, ttl, dump) => client.restore(key, ttl, dump, 'REPLACE'), disconnect: () => client.disconnect()}
}

/** The copy a migration tool does during the pause: every key, value and TTL of the old servers. */
async function copyAll(from: RunningServer[], to: Store): Promise<number> {
  let copied = 0
  for (const source of from) {
    const client = new Redis({port: source.port, maxRetriesPerRequest: 1})
    try {
      let cursor = '0'
      for (let round = 0; round < 100_000; round++) {
        const [next, keys] = await client.scan(cursor, 'COUNT', 500)
        for (const key of keys) {
          const [dump, pttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)])
          if (dump === null) continue
          await to.restore(key, pttl > 0 ? pttl : 0, dump)
          copied++
        }
        cursor = next
        if (cursor === '0') break
      }
    } finally {
      client.disconnect()
    }
  }
  return copied
}

/**
 * Writers through twproxy on `port` while the switch runs: pause `oldServers`, copy them to
 * `target`, write `newConfig`, SIGUSR1, wait for the stats to list `newServers`, unpause. Then
 * every acknowledged write must be in `target`, and twproxy must have copied the keys of the writes
 * the pause held at the switch.
 */
async function switchUnderWrites(proxy: Twproxy, port: number, oldServers: RunningServer[], target: Store, newConfig: string, newServers: string[], prefix: string): Promise<void> {
  const clients = Array.from({length: WRITERS}, () => {
    const client = new Redis({host: '127.0.0.1', port, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0})
    client.on('error', () => {})
    return client
  })
  // per writer: the last acknowledged value of each of its keys, and its counter's acknowledged INCRs
  const acked = clients.map(() => new Map<string, string>())
  const counted = clients.map(() => 0)
  let errors = 0
  let firstError = ''
  let stop = false
  const writers = clients.map(async (client, w) => {
    for (let i = 0; i < 1_000_000 && !stop; i++) {
      const key = `${prefix}w${w}:k${i % 50}`
      const value = `v${i}`
      try {
        await client.set(key, value)
        acked[w].set(key, value)
        await client.incr(`${prefix}w${w}:counter`)
        counted[w]++
      } catch (error) {
        errors++
        firstError ||= (error as Error).message
      }
    }
  })
  const logBefore = readFileSync(proxy.logFile, 'utf8').length
  const admin = oldServers.map((s) => new Redis({port: s.port, maxRetriesPerRequest: 1}))
  let pausedMs = 0
  try {
    await sleep(300)
    const pausedAt = Date.now()
    for (const a of admin) await a.call('CLIENT', 'PAUSE', '15000', 'WRITE')
    // let every writer reach a write that the pause blocks
    await sleep(100)
    assert.ok(await copyAll(oldServers, target) > 0)
    writeFileSync(proxy.configFile, newConfig)
    process.kill(proxy.pid, 'SIGUSR1')
    const expected = JSON.stringify([...newServers].sort())
    let switched = false
    for (let poll = 0; poll < 200 && !switched; poll++) {
      switched = JSON.stringify(await statsServers(proxy.statsPort, 'alpha')) === expected
      if (!switched) await sleep(50)
    }
    for (const a of admin) await a.call('CLIENT', 'UNPAUSE')
    pausedMs = Date.now() - pausedAt
    assert.ok(switched, 'the stats document listed the new servers')
    await sleep(500)
  } finally {
    stop = true
    await Promise.all(writers)
    for (const a of admin) a.disconnect()
    for (const c of clients) c.disconnect()
  }
  assert.equal(errors, 0, `no client saw an error (first: ${firstError})`)
  let checked = 0
  for (let w = 0; w < WRITERS; w++) {
    for (const [key, value] of acked[w]) {
      assert.equal(await target.get(key), value, `${key}: its last acknowledged write is in the new servers`)
      checked++
    }
    assert.equal(await target.get(`${prefix}w${w}:counter`), String(counted[w]), `counter of writer ${w} holds every acknowledged INCR`)
  }
  assert.ok(checked > 0)
  const log = readFileSync(proxy.logFile, 'utf8').slice(logBefore)
  const gate = /gate was closed for (\d+) ms \((\d+) in-flight keys copied, (\d+) deleted\)/.exec(log)
  assert.ok(gate !== null, `the reload logged its gate: ${log}`)
  assert.ok(Number(gate[2]) > 0, 'keys of writes blocked by the pause were copied by twproxy')
  process.stderr.write(`${prefix} writes paused for ${pausedMs} ms; twproxy's gate closed for ${gate[1]} ms, ${gate[2]} in-flight keys copied\n`)
}

describe('cut-over of a servers pool to a Redis Cluster and back', () => {
  let cluster: TestCluster
  let port: number

  before(async () => {
    // a node timeout long enough that a loaded machine does not make the cluster flap
    cluster = await startCluster({masters: 3, args: ['--cluster-node-timeout', '5000']})
    port = await freePort()
  })

  after(async () => {
    await stopTwproxies()
    await cluster?.stop()
    await stopAll()
  })

  test('servers -> cluster: no acknowledged write is lost', async () => {
    const sources = [await startRedis(), await startRedis()]
    const proxy = await startTwproxy(serversPool(port, sources), port)
    const target = clusterStore(cluster)
    try {
      const masters = cluster.masters.map((m) => `127.0.0.1:${m.port}`)
      await switchUnderWrites(proxy, port, sources, target, clusterPoolConfig('alpha', port, [cluster.address], TIMEOUT), masters, 'in:')
    } finally {
      target.disconnect()
      await proxy.stop()
      await Promise.all(sources.map((s) => s.stop()))
    }
  })

  test('cluster -> servers (a cut-over rolled back): no acknowledged write is lost', async () => {
    // one server, so the copy needs no placement: every key lives there
    const server = await startRedis()
    const proxy = await startTwproxy(clusterPoolConfig('alpha', port, [cluster.address], TIMEOUT), port)
    const target = serverStore(server)
    try {
      await switchUnderWrites(proxy, port, cluster.masters, target, serversPool(port, [server]), ['s0'], 'back:')
    } finally {
      target.disconnect()
      await proxy.stop()
      await server.stop()
    }
  })
})
