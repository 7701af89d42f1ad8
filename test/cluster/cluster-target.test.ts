import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {UserError} from '../../src/errors.js'
import {startRedis, stopAll} from '../support/servers.js'
import {clusterClient, startCluster, type TestCluster} from './cluster-fixture.js'

describe('ClusterTarget against a real cluster', () => {
  let cluster: TestCluster
  let target: ClusterTarget

  before(async () => {
    cluster = await startCluster({masters: 3, replicasPerMaster: 1})
    target = await ClusterTarget.connect(cluster.seed)
  })
  after(async () => {
    await target?.close()
    await cluster?.stop()
    await stopAll()
  })

  test('discovers masters, replicas and their slot ranges', () => {
    assert.equal(target.allNodes().length, 6)
    const masters = target.masters()
    assert.deepEqual(masters.map((node) => node.address).sort(), [...cluster.masters].sort())
    for (const master of masters) {
      assert.equal(target.replicasOf(master.id).length, 1)
      assert.ok(master.slots.length > 0)
    }
    assert.deepEqual(target.uncoveredSlots(), [])
    assert.deepEqual(target.openSlots(), [])
  })

  test('ownerOf agrees with where the cluster stores the key', async () => {
    const client = clusterClient(cluster)
    try {
      for (let i = 0; i < 50; i++) {
        const key = `owner:${i}`
        await client.set(key, 'v')
        const owner = target.ownerOf(key)
        assert.equal(await target.client(owner).get(key), 'v', `${key} should live on ${owner.address}`)
      }
    } finally {
      client.disconnect()
    }
  })

  test('resolves NODE as id, unique prefix or host:port, and refuses unknown ones', () => {
    const node = target.masters()[0]
    assert.equal(target.resolveNode(node.id).id, node.id)
    assert.equal(target.resolveNode(node.id.slice(0, 12)).id, node.id)
    assert.equal(target.resolveNode(node.address).id, node.id)
    assert.equal(target.resolveNode(`localhost:${node.port}`).id, node.id)
    assert.throws(() => target.resolveNode('127.0.0.1:1'), UserError)
    assert.throws(() => target.resolveNode('zzzz'), UserError)
    assert.throws(() => target.resolveNode(''), UserError)
  })

  test('sees a slot opened for migration and forgets it after refresh once closed', async () => {
    const [a, b] = target.masters()
    const slot = a.slots[0][0]
    await target.client(b).call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', a.id)
    await target.client(a).call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', b.id)
    await target.refresh()
    assert.deepEqual(target.openSlots(), [{slot, owner: a.id, migrating: [{node: a.id, to: b.id}], importing: [{node: b.id, from: a.id}]}])
    await target.client(b).call('CLUSTER', 'SETSLOT', slot, 'STABLE')
    await target.client(a).call('CLUSTER', 'SETSLOT', slot, 'STABLE')
    await target.refresh()
    assert.deepEqual(target.openSlots(), [])
  })

  test('a non-cluster redis or a dead address gives one sentence', async () => {
    const plain = await startRedis()
    await assert.rejects(ClusterTarget.connect(`127.0.0.1:${plain.port}`), (error: Error) => error instanceof UserError && /not a cluster node/.test(error.message))
    await plain.stop()
    await assert.rejects(ClusterTarget.connect(`127.0.0.1:${plain.port}`), (error: Error) => error instanceof UserError && /refused the connection/.test(error.message))
    await assert.rejects(ClusterTarget.connect('nonsense'), UserError)
  })
})
