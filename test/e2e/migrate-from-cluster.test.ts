// A Redis Cluster as the source: copied into a bigger Valkey 9.1 cluster (other slot owners, another
// server) while one of its slots is half moved from one master to another, then online with
// writes on every master during the copy, and `migrate verify` on the result. Key by key equal
// afterwards (type, value, expiry), read through plain clients, not through the tool.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {installedProgram} from '../../src/servers/store.js'
import {startCli, TWLAB, twlab} from '../support/cli.js'
import {fetchedServer} from '../support/fetched-servers.js'
import {sleep, stopAll, tempDir} from '../support/servers.js'
import {join} from 'node:path'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixedCluster, fillSpecialCluster} from '../migrate/cluster-dataset.js'
import {allKeys, assertSameKeys} from '../migrate/key-compare.js'

const EMPTY = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}

async function nodeIds(port: number): Promise<Map<number, string>> {
  const client = new Redis({port, maxRetriesPerRequest: 1})
  try {
    const lines = String(await client.call('CLUSTER', 'NODES')).trim().split('\n')
    return new Map(lines.map((line) => {
      const [id, address] = line.split(' ')
      return [Number(address.split('@')[0].split(':').pop()), id]
    }))
  } finally {
    client.disconnect()
  }
}

async function keyCount(cluster: TestCluster): Promise<number> {
  let total = 0
  for (const master of cluster.masters) {
    const client = new Redis({port: master.port, maxRetriesPerRequest: 1})
    total += await client.dbsize()
    client.disconnect()
  }
  return total
}

async function flushTarget(cluster: TestCluster): Promise<void> {
  for (const master of cluster.masters) {
    const client = new Redis({port: master.port, maxRetriesPerRequest: 1})
    await client.flushall()
    client.disconnect()
  }
}

describe('twlab migrate --from-cluster', () => {
  let source: TestCluster
  let target: TestCluster
  let sourceClient: Cluster
  let targetClient: Cluster
  const moving = {slot: 0, from: 0, to: 0, keys: [] as string[]}
  const dir = tempDir('twlab-from-cluster-')

  before(async () => {
    const valkey = await fetchedServer('valkey-9.1')
    source = await startCluster({masters: 3})
    target = await startCluster({masters: 4, program: installedProgram(valkey, 'server')})
    sourceClient = new Cluster([{host: '127.0.0.1', port: source.masters[0].port}], {enableAutoPipelining: true})
    targetClient = new Cluster([{host: '127.0.0.1', port: target.masters[0].port}])
    await fillMixedCluster(sourceClient, 'c', 6000)
    await fillSpecialCluster(sourceClient, 'c')
    // one slot half moved from its owner to another master: MIGRATING there, IMPORTING here
    moving.keys = Array.from({length: 100}, (_, i) => `{mv}:${i}`)
    for (const key of moving.keys) await sourceClient.set(key, `moving-${key}`)
    moving.slot = Number(await sourceClient.cluster('KEYSLOT', '{mv}'))
    const ids = await nodeIds(source.masters[0].port)
    const owner = source.masters.find((m) => m.port === Number(String(sourceClient.slots[moving.slot][0]).split(':')[1])) as {port: number}
    moving.from = owner.port
    moving.to = (source.masters.find((m) => m.port !== owner.port) as {port: number}).port
    const from = new Redis({port: moving.from})
    const to = new Redis({port: moving.to})
    await to.call('CLUSTER', 'SETSLOT', moving.slot, 'IMPORTING', ids.get(moving.from) as string)
    await from.call('CLUSTER', 'SETSLOT', moving.slot, 'MIGRATING', ids.get(moving.to) as string)
    await from.call('MIGRATE', '127.0.0.1', moving.to, '', 0, 5000, 'KEYS', ...moving.keys.slice(0, 50))
    from.disconnect()
    to.disconnect()
  })

  after(async () => {
    sourceClient?.disconnect()
    targetClient?.disconnect()
    await source?.stop()
    await target?.stop()
    await stopAll()
  })

  /** Ends the half-done slot move, so the source can be read through a cluster client. */
  async function finishMove(): Promise<void> {
    const ids = await nodeIds(source.masters[0].port)
    const from = new Redis({port: moving.from})
    const rest = moving.keys.slice(50)
    await from.call('MIGRATE', '127.0.0.1', moving.to, '', 0, 5000, 'KEYS', ...rest)
    for (const master of source.masters) {
      const client = new Redis({port: master.port})
      await client.call('CLUSTER', 'SETSLOT', moving.slot, 'NODE', ids.get(moving.to) as string)
      client.disconnect()
    }
    from.disconnect()
    await sourceClient.refreshSlotsCache()
    await sleep(200)
  }

  test('a cluster with a slot being moved is copied into a bigger Valkey 9.1 cluster, key by key equal', async () => {
    const result = await twlab(['migrate', '--checkpoint', join(dir, 'copy.json'), '--from-cluster', `127.0.0.1:${source.masters[1].port}`, '--to-cluster', target.address, '--json', '--scan-count', '200'], {timeoutMs: 240_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.equal(migration.movingSlots, 1, 'the half-moved slot was copied apart')
    // each key of the moving slot copied once: 100 keys, none re-read
    assert.equal(migration.stats.identical, 0)
    const sourceTotal = await keyCount(source)
    assert.equal(migration.stats.scanned, sourceTotal)
    await finishMove()
    const masters = source.masters.map((m) => new Redis({port: m.port}))
    const keys = await allKeys(masters)
    for (const m of masters) m.disconnect()
    const matched = await assertSameKeys(keys, () => sourceClient, () => targetClient, await keyCount(target))
    assert.equal(matched, sourceTotal)
  })

  test('migrate verify --from-cluster compares both ways and finds a changed key', async () => {
    const clean = await twlab(['migrate', 'verify', '--from-cluster', `127.0.0.1:${source.masters[0].port}`, '--to-cluster', target.address, '--json'], {timeoutMs: 120_000})
    assert.equal(clean.code, 0, clean.stderr + clean.stdout)
    assert.deepEqual(JSON.parse(clean.stdout).counts, EMPTY)
    await targetClient.set('c:1', 'changed')
    const dirty = await twlab(['migrate', 'verify', '--from-cluster', `127.0.0.1:${source.masters[0].port}`, '--to-cluster', target.address, '--json'], {timeoutMs: 120_000})
    assert.equal(dirty.code, 1)
    assert.equal(JSON.parse(dirty.stdout).counts.type, 1)
  })

  test('--online follows writes on every master made during the copy', async () => {
    await flushTarget(target)
    const run = startCli(TWLAB, ['migrate', '--checkpoint', join(dir, 'online.json'), '--from-cluster', `127.0.0.1:${source.masters[0].port}`, '--to-cluster', target.address, '--json',
      '--online', '--quiet-for', '2', '--scan-count', '20'], {timeoutMs: 240_000})
    const written: string[] = []
    const deadline = Date.now() + 8000
    for (let i = 0; i < 400 && Date.now() < deadline; i++) {
      const key = `live:${i}`
      await sourceClient.set(key, `v${i}`)
      if (i % 4 === 0) await sourceClient.del(`c:${i}`)
      written.push(key)
      await sleep(10)
    }
    const result = await run.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.ok(migration.changesSeen > 0)
    const masters = source.masters.map((m) => new Redis({port: m.port}))
    const keys = await allKeys(masters)
    for (const m of masters) m.disconnect()
    await assertSameKeys(keys, () => sourceClient, () => targetClient, await keyCount(target))
    assert.equal(await targetClient.get(written[written.length - 1]), `v${written.length - 1}`)
  })
})
