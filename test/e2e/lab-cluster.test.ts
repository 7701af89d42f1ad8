// A cluster lab end to end: 3 masters and 3 replicas created and converged by `up`, data through
// a cluster client, the consistency checker running while a master is killed and its replica
// takes over, a manual CLUSTER FAILOVER, the killed node rejoining, and a clean teardown.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {Cluster} from 'ioredis'
import {alivePids, eventually, makeLabHome, type LabHome} from '../lab/support.js'
import type {LabStatus} from '../../src/lab/status.js'
import type {LabState} from '../../src/lab/state.js'

describe('cluster lab', () => {
  let lab: LabHome
  let state: LabState

  const status = async () => JSON.parse((await lab.run(['status', '--name', 'c', '--json'])).stdout) as LabStatus
  const port = (name: string) => state.nodes.find((node) => node.name === name)?.port as number

  before(() => {
    lab = makeLabHome()
  })
  after(async () => {
    await lab.cleanup()
  })

  test('up returns with every slot served, replicas attached and every node ok', async () => {
    const {result} = await lab.up(['--cluster', '--masters', '3', '--replicas', '1', '--name', 'c', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const up = JSON.parse(result.stdout)
    assert.ok(up.elapsedMs > 0)
    assert.equal(up.proxy.kind, 'none')
    assert.equal(up.proxy.configFile, '')
    state = lab.state('c')
    const now = await status()
    const masters = now.nodes.filter((n) => n.role === 'master')
    assert.deepEqual(masters.map((n) => [n.name, n.slots]), [['m1', '0-5461'], ['m2', '5462-10922'], ['m3', '10923-16383']])
    assert.deepEqual(now.nodes.filter((n) => n.role === 'replica').map((n) => [n.name, n.master, n.link]), [['m1-r1', 'm1', 'up'], ['m2-r1', 'm2', 'up'], ['m3-r1', 'm3', 'up']])
    assert.ok(now.nodes.every((n) => n.clusterState === 'ok'))
  })

  test('a cluster client writes and reads keys across all masters', async () => {
    const client = new Cluster([{host: '127.0.0.1', port: port('m1')}])
    try {
      for (let i = 0; i < 100; i++) await client.set(`key:${i}`, String(i))
      assert.equal(await client.get('key:42'), '42')
    } finally {
      client.disconnect()
    }
    const keys = (await status()).nodes.filter((n) => n.role === 'master').map((n) => n.keys ?? 0)
    assert.equal(keys.reduce((a, b) => a + b, 0), 100)
    assert.ok(keys.every((count) => count > 0))
  })

  test('the consistency checker keeps going while a killed master is replaced by its replica', async () => {
    const check = lab.run(['check', 'consistency', '--target', `127.0.0.1:${port('m1')}`, '--cluster', '--duration', '9s', '--keys', '300', '--json'], 90_000)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const killed = await lab.run(['kill', 'm2', '--name', 'c'])
    assert.equal(killed.code, 0, killed.stderr)
    await eventually('m2-r1 to take over m2\'s slots', 30_000, async () => {
      const node = (await status()).nodes.find((n) => n.name === 'm2-r1')
      return node?.role === 'master' && node.slots === '5462-10922' ? node : undefined
    })
    const result = await check
    const report = JSON.parse(result.stdout)
    // Redis Cluster replicates asynchronously, so a SIGKILL may lose the last acknowledged
    // writes; the checker must report them as lost and exit 1 exactly then.
    assert.equal(result.code, report.lostWrites > 0 ? 1 : 0, result.stderr)
    assert.equal(report.mode, 'cluster')
    assert.ok(report.reads > 0 && report.writes > 0, `reads ${report.reads}, writes ${report.writes}`)
  })

  test('twlab failover promotes a replica with CLUSTER FAILOVER, and a killed node rejoins as a replica', async () => {
    const result = await lab.run(['failover', 'm1', '--name', 'c', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const failover = JSON.parse(result.stdout)
    assert.deepEqual([failover.kind, failover.from, failover.to], ['cluster', 'm1', 'm1-r1'])
    assert.equal((await lab.run(['start', 'm2', '--name', 'c'])).code, 0)
    await eventually('m2 to rejoin as a replica of m2-r1', 30_000, async () => {
      const now = await status()
      const m2 = now.nodes.find((n) => n.name === 'm2')
      const m1 = now.nodes.find((n) => n.name === 'm1')
      return m2?.role === 'replica' && m2.master === 'm2-r1' && m1?.role === 'replica' && m1.master === 'm1-r1' ? now : undefined
    })
  })

  test('down leaves no recorded process alive', async () => {
    const pids = lab.recordedPids()
    assert.ok(pids.length >= 7)
    const down = await lab.run(['down', '--name', 'c'])
    assert.equal(down.code, 0, down.stderr)
    assert.deepEqual(alivePids(pids), [])
  })
})
