// The cut-over of a twproxy pool from its servers to a Redis Cluster, done the way a migration
// tool does it, with plain redis commands: writers keep writing through twproxy; the test pauses
// writes on the old servers (CLIENT PAUSE WRITE), copies every key to the cluster, rewrites the
// file to `cluster:`, sends SIGUSR1, waits for the stats document to list the cluster's masters,
// and unpauses. Writes that were blocked by the pause at the switch are acknowledged by the old
// servers afterwards; twproxy must copy them to the cluster before it serves from the cluster, so
// every acknowledged write is found in the cluster.
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {Redis} from 'ioredis'
import {freePort, sleep, startRedis, stopAll, type RunningServer} from '../support/servers.js'
import {startTwproxy, stopTwproxies, type Twproxy} from './harness.js'
import {clusterClient, clusterPoolConfig, startCluster, statsServers, type TestCluster} from './cluster-support.js'

const WRITERS = 6

function serversPool(port: number, servers: RunningServer[]): string {
  return `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n  timeout: 20000\n  servers:\n${servers.map((s, i) => `    - 127.0.0.1:${s.port}:1 s${i}\n`).join('')}`
}

/** The copy a migration tool does during the pause: every key, value and TTL, onto the cluster. */
async function copyAll(sources: RunningServer[], cluster: TestCluster): Promise<number> {
  const target = clusterClient(cluster)
  let copied = 0
  try {
    for (const source of sources) {
      const client = new Redis({port: source.port, maxRetriesPerRequest: 1})
      try {
        let cursor = '0'
        for (let round = 0; round < 100_000; round++) {
          const [next, keys] = await client.scan(cursor, 'COUNT', 500)
          for (const key of keys) {
            const [dump, pttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)])
            if (dump === null) continue
            await target.restore(key, pttl > 0 ? pttl : 0, dump, 'REPLACE')
            copied++
          }
          cursor = next
          if (cursor === '0') break
        }
      } finally {
        client.disconnect()
      }
    }
  } finally {
    target.disconnect()
  }
  return copied
}

describe('cut-over of a servers pool to a Redis Cluster', () => {
  let cluster: TestCluster
  let sources: RunningServer[]
  let proxy: Twproxy
  let port: number

  before(async () => {
    cluster = await startCluster({masters: 3})
    sources = [await startRedis(), await startRedis()]
    port = await freePort()
    proxy = await startTwproxy(serversPool(port, sources), port)
  })

  after(async () => {
    await stopTwproxies()
    await cluster?.stop()
    await stopAll()
  })

  test('no acknowledged write is lost across the switch', async () => {
    const clients = Array.from({length: WRITERS}, () => {
      const client = new Redis({host: '127.0.0.1', port, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0})
      client.on('error', () => {})
      return client
    })
    // per writer: the last acknowledged value of each of its keys, and its counter's acknowledged INCRs
    const acked = clients.map(() => new Map<string, string>())
    const counted = clients.map(() => 0)
    let errors = 0
    let stop = false
    const writers = clients.map(async (client, w) => {
      for (let i = 0; i < 1_000_000 && !stop; i++) {
        const key = `w${w}:k${i % 50}`
        const value = `v${i}`
        try {
          await client.set(key, value)
          acked[w].set(key, value)
          await client.incr(`w${w}:counter`)
          counted[w]++
        } catch {
          errors++
        }
      }
    })
    const admin = sources.map((s) => new Redis({port: s.port, maxRetriesPerRequest: 1}))
    let pausedMs = 0
    try {
      await sleep(300)
      // the migration tool's steps
      const pausedAt = Date.now()
      for (const a of admin) await a.call('CLIENT', 'PAUSE', '15000', 'WRITE')
      // let every writer reach a write that the pause blocks
      await sleep(100)
      const copied = await copyAll(sources, cluster)
      assert.ok(copied > 0)
      writeFileSync(proxy.configFile, clusterPoolConfig('alpha', port, [cluster.address], '  timeout: 20000\n'))
      process.kill(proxy.pid, 'SIGUSR1')
      const masters = cluster.masters.map((m) => `127.0.0.1:${m.port}`).sort()
      let switched = false
      for (let poll = 0; poll < 200 && !switched; poll++) {
        switched = JSON.stringify(await statsServers(proxy.statsPort, 'alpha')) === JSON.stringify(masters)
        if (!switched) await sleep(50)
      }
      for (const a of admin) await a.call('CLIENT', 'UNPAUSE')
      pausedMs = Date.now() - pausedAt
      assert.ok(switched, 'the stats document listed the cluster\'s masters')
      await sleep(500)
    } finally {
      stop = true
      await Promise.all(writers)
      for (const a of admin) a.disconnect()
      for (const c of clients) c.disconnect()
    }
    assert.equal(errors, 0, 'no client saw an error')
    const direct = clusterClient(cluster)
    try {
      let checked = 0
      for (let w = 0; w < WRITERS; w++) {
        for (const [key, value] of acked[w]) {
          assert.equal(await direct.get(key), value, `${key}: its last acknowledged write is in the cluster`)
          checked++
        }
        assert.equal(await direct.get(`w${w}:counter`), String(counted[w]), `w${w}:counter holds every acknowledged INCR`)
      }
      assert.ok(checked > 0)
    } finally {
      direct.disconnect()
    }
    const log = readFileSync(proxy.logFile, 'utf8')
    const gate = /gate was closed for (\d+) ms \((\d+) in-flight keys copied, (\d+) deleted\)/.exec(log)
    assert.ok(gate !== null, `the reload logged its gate: ${log}`)
    assert.ok(Number(gate[2]) > 0, 'keys of writes blocked by the pause were copied by twproxy')
    process.stderr.write(`writes paused for ${pausedMs} ms; twproxy's gate closed for ${gate[1]} ms, ${gate[2]} in-flight keys copied\n`)
  })
})
