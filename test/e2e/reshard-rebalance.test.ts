// twlab rebalance, cluster add-node and cluster del-node end to end, each slot move under a
// consistency writer: zero lost acknowledged writes, every key readable afterwards.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {twlab} from '../support/cli.js'
import {startRedis, stopAll, waitUntil, type RunningServer} from '../support/servers.js'
import {assertKeysReadable, clusterClient, fillKeys, slotCounts, startCluster, waitClusterStable, type TestCluster} from '../cluster/cluster-fixture.js'
import {ConsistencyWriter} from '../cluster/counter-writer.js'

describe('twlab rebalance and cluster add-node / del-node', () => {
  let cluster: TestCluster
  let keys: string[]
  let home: string
  const extra: RunningServer[] = []
  const env = () => ({TWLAB_HOME: home})
  let writers = 0

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'twlab-rebalance-home-'))
    cluster = await startCluster({masters: 3, emptyMasters: 1})
    keys = await fillKeys(cluster, 10_000)
  })
  after(async () => {
    await cluster?.stop()
    await Promise.all(extra.map((server) => server.stop()))
    await stopAll()
    rmSync(home, {recursive: true, force: true})
  })

  /** Runs twlab while a writer INCRs counters; asserts the command succeeded and nothing was lost. */
  async function underWrites(args: string[]): Promise<any> {
    const client = clusterClient(cluster)
    const writer = new ConsistencyWriter(client, 200, `counter:${args[0]}:${++writers}:`)
    writer.start()
    let result
    try {
      result = await twlab(args, {env: env(), timeoutMs: 180_000})
    } finally {
      await writer.stop()
    }
    try {
      assert.equal(result.code, 0, result.stderr)
      const report = await writer.verify()
      assert.ok(report.acknowledged > 50, `writer acknowledged only ${report.acknowledged}`)
      assert.deepEqual(report.lost, [], 'acknowledged writes lost')
      assert.deepEqual(report.overcounted, [])
    } finally {
      client.disconnect()
    }
    await waitClusterStable(cluster)
    return JSON.parse(result.stdout)
  }

  test('--simulate shows the plan and moves nothing; empty masters are left out unless asked', async () => {
    const before = await slotCounts(cluster)
    const result = await twlab(['rebalance', '--cluster', cluster.seed, '--use-empty-masters', '--simulate', '--json'], {env: env()})
    assert.equal(result.code, 0, result.stderr)
    const summary = JSON.parse(result.stdout)
    assert.equal(summary.simulated, true)
    assert.equal(summary.needed, true)
    assert.equal(summary.plan.reduce((sum: number, row: {slots: number}) => sum + row.slots, 0), 4096)
    assert.deepEqual(await slotCounts(cluster), before)
    const without = await twlab(['rebalance', '--cluster', cluster.seed, '--json'], {env: env()})
    assert.equal(without.code, 0, without.stderr)
    assert.equal(JSON.parse(without.stdout).needed, false)
  })

  test('rebalance with --use-empty-masters evens out four masters under writes', async () => {
    const summary = await underWrites(['rebalance', '--cluster', cluster.seed, '--use-empty-masters', '--yes', '--json'])
    assert.equal(summary.result.status, 'complete')
    for (const [address, count] of await slotCounts(cluster)) assert.ok(Math.abs(count - 4096) <= 2, `${address} owns ${count}`)
    await assertKeysReadable(cluster, keys)
  })

  test('rebalance with a weight gives that master its weighted share', async () => {
    const heavy = cluster.masters[1]
    const summary = await underWrites(['rebalance', '--cluster', cluster.seed, '--weight', `${heavy}=2`, '--yes', '--json'])
    assert.equal(summary.result.status, 'complete')
    const counts = await slotCounts(cluster)
    const share = Math.floor((16384 / 5) * 2)
    assert.ok(Math.abs(counts.get(heavy)! - share) <= 3, `${heavy} owns ${counts.get(heavy)}, share ${share}`)
    await assertKeysReadable(cluster, keys)
  })

  test('add-node joins a master and a replica; del-node empties the master, forgets it, re-points its replica', async () => {
    const newMaster = await startRedis({args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']})
    const newReplica = await startRedis({args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']})
    extra.push(newMaster, newReplica)
    const masterAddress = `127.0.0.1:${newMaster.port}`
    const replicaAddress = `127.0.0.1:${newReplica.port}`

    const added = await twlab(['cluster', 'add-node', masterAddress, '--cluster', cluster.seed, '--json'], {env: env()})
    assert.equal(added.code, 0, added.stderr)
    assert.equal(JSON.parse(added.stdout).role, 'master')
    const addedReplica = await twlab(['cluster', 'add-node', replicaAddress, '--cluster', cluster.seed, '--replica-of', masterAddress, '--json'], {env: env()})
    assert.equal(addedReplica.code, 0, addedReplica.stderr)
    assert.equal(JSON.parse(addedReplica.stdout).master, masterAddress)
    const again = await twlab(['cluster', 'add-node', masterAddress, '--cluster', cluster.seed], {env: env()})
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already a node of this cluster/)

    // give it slots (and keys) so del-node has something to move
    await underWrites(['reshard', '--cluster', cluster.seed, '--from', 'all', '--to', masterAddress, '--slots', '1500', '--yes', '--json'])
    assert.equal((await slotCounts(cluster)).get(masterAddress), 1500)

    const removed = await underWrites(['cluster', 'del-node', masterAddress, '--cluster', cluster.seed, '--yes', '--json'])
    assert.equal(removed.result.status, 'complete')
    assert.equal(removed.result.slotsMoved, 1500)
    assert.equal(removed.removed, masterAddress)
    assert.deepEqual(removed.replicasMoved, [replicaAddress])

    const target = await ClusterTarget.connect(cluster.seed)
    try {
      assert.equal(target.allNodes().some((node) => node.address === masterAddress), false)
      // the seed learns the replica's new master by gossip
      await waitUntil(async () => {
        await target.refresh()
        const replica = target.allNodes().find((node) => node.address === replicaAddress)
        return replica?.role === 'replica' && cluster.masters.includes(target.byId(replica.masterId ?? '')?.address ?? '')
      }, 'the replica to follow a remaining master', 20_000)
      assert.deepEqual(target.uncoveredSlots(), [])
    } finally {
      await target.close()
    }
    await assertKeysReadable(cluster, keys)
    const check = await twlab(['cluster', 'check', '--cluster', cluster.seed, '--json'], {env: env()})
    assert.equal(check.code, 0, check.stdout)
  })
})
