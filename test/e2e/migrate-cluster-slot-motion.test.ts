// A cluster source followed by replication while one of its slots moves between two masters
// (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT NODE) and a writer keeps
// writing keys of that slot through a cluster client (following ASK and MOVED). The two masters'
// streams carry the slot's DELs (MIGRATE), RESTORE-ASKINGs and writes in no common order; the slot
// is marked moved, its commands become copies of their keys, and it is copied again once settled.
// Then a slot already half moved when the migration begins (each master's snapshot holds part of
// it), its move finished during the stream; and twlab killed after a slot moved, resumed (the
// checkpoint keeps the slot marked, so no command of it is applied twice).
// Key by key equal afterwards (type, value, expiry); the slot's counter is exact.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {TWLAB, startCli} from '../support/cli.js'
import {sleep, stopAll, tempDir} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixedCluster} from '../migrate/cluster-dataset.js'
import {assertClustersEqual, ClusterWriter, streamsPast, waitFor} from '../migrate/cluster-replication-support.js'

const EMPTY = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}

function movedIn(checkpoint: string): number[] {
  try {
    return (JSON.parse(readFileSync(checkpoint, 'utf8')) as {movedSlots?: number[]}).movedSlots ?? []
  } catch {
    return [] // not written yet, or caught mid-rename
  }
}

async function nodeId(port: number): Promise<string> {
  const client = new Redis({port, maxRetriesPerRequest: 1})
  try {
    return String(await client.call('CLUSTER', 'MYID'))
  } finally {
    client.disconnect()
  }
}

describe('twlab migrate --from-cluster by replication, a slot moved in the source meanwhile', () => {
  let source: TestCluster
  let target: TestCluster
  let sourceClient: Cluster
  let targetClient: Cluster
  const dir = tempDir('twlab-cluster-motion-')

  before(async () => {
    source = await startCluster({masters: 3, args: ['--cluster-node-timeout', '10000']})
    target = await startCluster({masters: 3})
    sourceClient = new Cluster([{host: '127.0.0.1', port: source.masters[0].port}])
    targetClient = new Cluster([{host: '127.0.0.1', port: target.masters[0].port}])
    const filler = new Cluster([{host: '127.0.0.1', port: source.masters[0].port}], {enableAutoPipelining: true})
    await fillMixedCluster(filler, 'c', 3000)
    for (let i = 0; i < 300; i++) await filler.set(`{mv}:old:${i}`, `old-${i}`, 'PX', 3_600_000 + i)
    filler.disconnect()
  })

  after(async () => {
    sourceClient?.disconnect()
    targetClient?.disconnect()
    await source?.stop()
    await target?.stop()
    await stopAll()
  })

  /** Marks `slot` moving from its owner to another master (IMPORTING there, MIGRATING here). */
  async function openSlot(slot: number): Promise<{from: number; to: number; toId: string}> {
    await sourceClient.refreshSlotsCache()
    await sleep(100)
    const from = Number(sourceClient.slots[slot][0].split(':').pop())
    const to = (source.masters.find((m) => m.port !== from) as {port: number}).port
    const [fromId, toId] = [await nodeId(from), await nodeId(to)]
    const a = new Redis({port: from, maxRetriesPerRequest: 1})
    const b = new Redis({port: to, maxRetriesPerRequest: 1})
    await b.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId)
    await a.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId)
    a.disconnect()
    b.disconnect()
    return {from, to, toId}
  }

  /** MIGRATEs up to `batches` batches of `slot`'s keys, calling `during` after each; with no limit, then gives the slot to `to` everywhere. */
  async function migrateKeys(slot: number, move: {from: number; to: number; toId: string}, during: () => Promise<void>, batches = 1000): Promise<void> {
    const a = new Redis({port: move.from, maxRetriesPerRequest: 1})
    try {
      for (let batch = 0; batch < batches; batch++) {
        const keys = (await a.call('CLUSTER', 'GETKEYSINSLOT', slot, 20)) as string[]
        if (keys.length === 0) break
        await a.call('MIGRATE', '127.0.0.1', move.to, '', 0, 5000, 'KEYS', ...keys)
        await during()
      }
    } finally {
      a.disconnect()
    }
    if (batches < 1000) return
    for (const master of source.masters) {
      const client = new Redis({port: master.port, maxRetriesPerRequest: 1})
      await client.call('CLUSTER', 'SETSLOT', slot, 'NODE', move.toId)
      client.disconnect()
    }
    await sourceClient.refreshSlotsCache()
  }

  /** Moves `slot` from its owner to another master the way redis-cli --cluster reshard does, in batches. */
  async function moveSlot(slot: number, during: () => Promise<void>): Promise<{from: number; to: number}> {
    const move = await openSlot(slot)
    await migrateKeys(slot, move, during)
    return move
  }

  async function flushTarget(): Promise<void> {
    for (const master of target.masters) {
      const client = new Redis({port: master.port, maxRetriesPerRequest: 1})
      await client.flushall()
      client.disconnect()
    }
  }

  test('keys of the moving slot, written during the move, are equal key by key afterwards', async () => {
    const checkpoint = join(dir, 'motion.json')
    const slot = Number(await sourceClient.cluster('KEYSLOT', '{mv}'))
    const writer = new ClusterWriter(sourceClient, '{mv}')
    const elsewhere = new ClusterWriter(sourceClient, 'other')
    const run = startCli(TWLAB, ['migrate', '--from-cluster', `127.0.0.1:${source.masters[0].port}`, '--to-cluster', target.address,
      '--online', '--json', '--checkpoint', checkpoint, '--quiet-for', '4'], {timeoutMs: 180_000})
    let ended = ''
    void run.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    await waitFor('the streams to be applied', async () => {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writer.round()
      return streamsPast(checkpoint)
    }, 120_000)
    const moved = await moveSlot(slot, async () => {
      await writer.round()
      await elsewhere.round()
    })
    assert.notEqual(moved.from, moved.to)
    for (let i = 0; i < 30; i++) {
      await writer.round()
      await sleep(20)
    }
    const result = await run.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.capture.mode, 'replication')
    assert.ok(migration.capture.movedSlots.includes(slot), `slot ${slot} was seen moving (${migration.capture.movedSlots})`)
    assert.ok(migration.capture.resyncedSlots >= 1, 'the slot was copied again once settled')
    assert.match(migration.capture.notes.join('\n'), /moved between masters and settled/)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.equal(await targetClient.get('{mv}:counter'), String(writer.rounds), 'the moving slot\'s counter is exact')
    await assertClustersEqual(source, sourceClient, target, targetClient)
  })

  test('a slot half moved when the migration begins, finished during the stream: equal key by key', async () => {
    await flushTarget()
    const checkpoint = join(dir, 'half-moved.json')
    const slot = Number(await sourceClient.cluster('KEYSLOT', '{hm}'))
    for (let i = 0; i < 200; i++) await sourceClient.rpush(`{hm}:k:${i}`, 'a', String(i))
    const move = await openSlot(slot)
    const writer = new ClusterWriter(sourceClient, '{hm}')
    await migrateKeys(slot, move, () => writer.round(), 5) // 100 of its keys moved, the rest where they were
    const run = startCli(TWLAB, ['migrate', '--from-cluster', `127.0.0.1:${source.masters[1].port}`, '--to-cluster', target.address,
      '--online', '--json', '--checkpoint', checkpoint, '--quiet-for', '4'], {timeoutMs: 180_000})
    let ended = ''
    void run.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    await waitFor('the streams to be applied', async () => {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writer.round()
      return streamsPast(checkpoint)
    }, 120_000)
    await migrateKeys(slot, move, () => writer.round())
    for (let i = 0; i < 30; i++) {
      await writer.round()
      await sleep(20)
    }
    const result = await run.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.ok(migration.capture.movedSlots.includes(slot), `slot ${slot} was seen moving (${migration.capture.movedSlots})`)
    assert.ok(migration.capture.resyncedSlots >= 1, 'the slot was copied again once settled')
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.equal(await targetClient.get('{hm}:counter'), String(writer.rounds), 'the moving slot\'s counter is exact')
    await assertClustersEqual(source, sourceClient, target, targetClient)
  })

  test('SIGKILL after a slot moved, resumed: the checkpoint keeps it moved, no increment applied twice', async () => {
    await flushTarget()
    const checkpoint = join(dir, 'killed.json')
    const slot = Number(await sourceClient.cluster('KEYSLOT', '{rs}'))
    for (let i = 0; i < 200; i++) await sourceClient.set(`{rs}:k:${i}`, `v${i}`)
    const writer = new ClusterWriter(sourceClient, '{rs}')
    const args = ['migrate', '--from-cluster', `127.0.0.1:${source.masters[2].port}`, '--to-cluster', target.address, '--online', '--json', '--checkpoint', checkpoint]
    const first = startCli(TWLAB, [...args, '--quiet-for', '60'], {timeoutMs: 180_000})
    let ended = ''
    void first.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    await waitFor('the streams to be applied', async () => {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writer.round()
      return streamsPast(checkpoint)
    }, 120_000)
    await moveSlot(slot, () => writer.round())
    await waitFor('the slot to be marked moved', () => movedIn(checkpoint).includes(slot), 30_000)
    await sleep(2500) // settled, re-synced, and the old owner's stream saved past the move
    // increments on the new owner only, then killed before the checkpoint saves its offset:
    // a resumed run receives them again, and must not apply them on top of the copies
    for (let i = 0; i < 10; i++) await writer.round()
    const expected = await sourceClient.get('{rs}:counter')
    await waitFor('the increments on the target', async () => (await targetClient.get('{rs}:counter')) === expected, 30_000)
    first.child.kill('SIGKILL')
    await first.done
    const second = startCli(TWLAB, [...args, '--resume', '--quiet-for', '3'], {timeoutMs: 180_000})
    for (let i = 0; i < 30; i++) {
      await writer.round()
      await sleep(20)
    }
    const result = await second.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.capture.partialResyncs, 3)
    assert.ok(migration.capture.movedSlots.includes(slot), 'the resumed run kept the slot moved')
    assert.ok(migration.capture.resyncedSlots >= 1, 'and re-synced it once its streams ran')
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.equal(await targetClient.get('{rs}:counter'), String(writer.rounds), 'no increment applied twice')
    await assertClustersEqual(source, sourceClient, target, targetClient)
  })
})
