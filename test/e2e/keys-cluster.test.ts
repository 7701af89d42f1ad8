// keys dist / audit / fix on a live Redis Cluster. Keys are written with a cluster client, then
// some are planted on nodes that do not own their slots (what a half-finished migration leaves
// behind). audit must find exactly those, fix must move them to the slot owners, and a cluster
// client must then read every key with its value and TTL, with no slot left open.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Cluster} from 'ioredis'
import {twlab} from '../support/cli.js'
import {stopAll} from '../support/servers.js'
import {type ClusterFixture, plantStray, startClusterFixture} from '../keys/cluster-fixture.js'

const PLAIN = 150
const STRAYS = 24

describe('keys dist, audit and fix on a Redis Cluster', () => {
  let fixture: ClusterFixture
  let cluster: Cluster
  const strays = new Map<string, {owner: string; node: string; value: string; ttl: boolean}>()
  const target = () => ['--cluster', fixture.addresses[1]]

  before(async () => {
    fixture = await startClusterFixture()
    cluster = new Cluster([{host: '127.0.0.1', port: fixture.servers[0].port}], {lazyConnect: true, redisOptions: {maxRetriesPerRequest: 1}})
    await cluster.connect()
    for (let i = 0; i < PLAIN; i++) await cluster.set(`user:${i}`, `value-${i}`)
    for (let i = 0; i < STRAYS; i++) {
      const key = `stray:${i}`
      const owner = await fixture.ownerIndex(key)
      const node = (owner + 1 + (i % 2)) % 3
      const slot = Number(await fixture.direct[0].call('CLUSTER', 'KEYSLOT', key))
      const value = `planted-${i}`
      const ttl = i % 3 === 0
      await plantStray(fixture.direct[node], fixture.ids[owner], slot, (pipeline) => {
        pipeline.call('ASKING').set(key, value)
        if (ttl) pipeline.call('ASKING').pexpire(key, 600_000)
      })
      strays.set(key, {owner: fixture.addresses[owner], node: fixture.addresses[node], value, ttl})
    }
  })

  after(async () => {
    cluster?.disconnect()
    await fixture?.stop()
    await stopAll()
  })

  test('planted keys are unreachable through the cluster', async () => {
    for (const key of strays.keys()) assert.equal(await cluster.get(key), null)
  })

  test('dist counts keys per master and predicts by owned slots', async () => {
    const result = await twlab(['keys', 'dist', ...target(), '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.kind, 'cluster')
    assert.equal(report.totalKeys, PLAIN + STRAYS)
    const sizes = await Promise.all(fixture.direct.map((client) => client.dbsize()))
    for (const node of report.nodes) assert.equal(node.keys, sizes[fixture.addresses.indexOf(node.address)])
    const shares = report.nodes.map((node: {predictedShare: number}) => node.predictedShare).sort()
    assert.deepEqual(shares.map((share: number) => Math.round(share * 16384)), [5461, 5461, 5462])
  })

  test('audit finds exactly the keys in slots their node does not own', async () => {
    const result = await twlab(['keys', 'audit', ...target(), '--json', '--limit', '1000'])
    assert.equal(result.code, 1, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.totalMisplaced, STRAYS)
    assert.deepEqual(report.keys.map((entry: {key: string}) => entry.key).sort(), [...strays.keys()].sort())
    for (const entry of report.keys) {
      assert.equal(entry.owner, strays.get(entry.key)!.owner)
      assert.equal(entry.node, strays.get(entry.key)!.node)
    }
  })

  test('where --cluster shows a planted key as misplaced and a written one as ok', async () => {
    const result = await twlab(['keys', 'where', 'stray:1', 'user:1', ...target(), '--json'])
    assert.equal(result.code, 0, result.stderr)
    const [stray, user] = JSON.parse(result.stdout)
    assert.equal(stray.status, 'misplaced')
    assert.equal(stray.server, strays.get('stray:1')!.owner)
    assert.deepEqual(stray.foundOn, [strays.get('stray:1')!.node])
    assert.equal(user.status, 'ok')
    assert.equal(user.type, 'string')
    assert.equal(user.slot, Number(await fixture.direct[0].call('CLUSTER', 'KEYSLOT', 'user:1')))
  })

  test('fix --dry-run changes nothing; fix --yes moves every key to its slot owner', async () => {
    const dry = await twlab(['keys', 'fix', ...target(), '--dry-run', '--json'])
    assert.equal(dry.code, 0, dry.stderr)
    assert.equal(JSON.parse(dry.stdout).counts.move, STRAYS)
    for (const key of strays.keys()) assert.equal(await cluster.get(key), null)

    // a slot some node migrates belongs to a reshard: fix refuses to touch anything
    const busySlot = 100
    await fixture.direct[0].call('CLUSTER', 'SETSLOT', busySlot, 'MIGRATING', fixture.ids[1])
    const refused = await twlab(['keys', 'fix', ...target(), '--yes'])
    await fixture.direct[0].call('CLUSTER', 'SETSLOT', busySlot, 'STABLE')
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /Slot 100 is being migrated/)
    for (const key of strays.keys()) assert.equal(await cluster.get(key), null)

    // what an interrupted fix leaves: a stray's slot still IMPORTING on its node, from the owner
    const leftover = strays.get('stray:0')!
    const leftoverSlot = Number(await fixture.direct[0].call('CLUSTER', 'KEYSLOT', 'stray:0'))
    await fixture.direct[fixture.addresses.indexOf(leftover.node)].call('CLUSTER', 'SETSLOT', leftoverSlot, 'IMPORTING', fixture.ids[fixture.addresses.indexOf(leftover.owner)])

    const result = await twlab(['keys', 'fix', ...target(), '--yes', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.counts.move, STRAYS)
    assert.equal(report.counts.error, 0)
    for (const [key, expected] of strays) {
      assert.equal(await cluster.get(key), expected.value, key)
      const ttl = await cluster.pttl(key)
      if (expected.ttl) assert.ok(ttl > 0 && ttl <= 600_000, `${key} ttl ${ttl}`)
      else assert.equal(ttl, -1)
    }
    for (let i = 0; i < PLAIN; i++) assert.equal(await cluster.get(`user:${i}`), `value-${i}`)
    // no slot left importing on any node, and nothing misplaced any more
    for (const client of fixture.direct) {
      const myself = ((await client.call('CLUSTER', 'NODES')) as string).split('\n').find((line) => line.includes('myself'))!
      assert.doesNotMatch(myself, /\[\d+-[<>]-/)
    }
    const audit = await twlab(['keys', 'audit', ...target(), '--json'])
    assert.equal(audit.code, 0, audit.stdout)
  })
})
