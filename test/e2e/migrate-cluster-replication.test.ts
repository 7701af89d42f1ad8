// A Redis Cluster source followed by replication, the default for it: twlab a replica of each
// source master, each snapshot loaded, each stream applied routed by slot. Killed (SIGKILL)
// mid-stream and resumed, it continues every master with a partial resync and loses nothing;
// a CLUSTER FAILOVER inside the source during the stream is followed to the promoted replica
// (PSYNC with the old replication id: +CONTINUE). Masters that refuse PSYNC make it fall back to
// keyspace notifications, said plainly. Key by key equal afterwards (type, value, expiry), and the
// counters incremented during the run are exact on the target.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {TWLAB, startCli} from '../support/cli.js'
import {sleep, stopAll, tempDir} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixedCluster, fillSpecialCluster} from '../migrate/cluster-dataset.js'
import {assertClustersEqual, ClusterWriter, positions, streamsPast, waitFor} from '../migrate/cluster-replication-support.js'

const EMPTY = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}

async function stat(port: number, field: string): Promise<number> {
  const client = new Redis({port, maxRetriesPerRequest: 1})
  try {
    return Number(new RegExp(`${field}:(\\d+)`).exec(await client.info('stats'))?.[1] ?? 0)
  } finally {
    client.disconnect()
  }
}

async function flush(cluster: TestCluster): Promise<void> {
  for (const master of cluster.masters) {
    const client = new Redis({port: master.port, maxRetriesPerRequest: 1})
    await client.flushall()
    client.disconnect()
  }
}

describe('twlab migrate --from-cluster, followed by replication', () => {
  let source: TestCluster
  let target: TestCluster
  let sourceClient: Cluster
  let targetClient: Cluster
  const dir = tempDir('twlab-cluster-repl-')

  before(async () => {
    // a node timeout long enough that a busy machine promotes no replica on its own
    source = await startCluster({masters: 3, replicasPerMaster: 1, args: ['--repl-backlog-size', '64mb', '--cluster-node-timeout', '10000']})
    target = await startCluster({masters: 3})
    sourceClient = new Cluster([{host: '127.0.0.1', port: source.masters[0].port}])
    targetClient = new Cluster([{host: '127.0.0.1', port: target.masters[0].port}])
    const filler = new Cluster([{host: '127.0.0.1', port: source.masters[0].port}], {enableAutoPipelining: true})
    await fillMixedCluster(filler, 'c', 4000)
    await fillSpecialCluster(filler, 'c')
    filler.disconnect()
  })

  after(async () => {
    sourceClient?.disconnect()
    targetClient?.disconnect()
    await source?.stop()
    await target?.stop()
    await stopAll()
  })

  /** The ports of the master serving `slot` now and of its replica. */
  async function masterAndReplicaOfSlot(slot: number): Promise<{master: number; replica: number}> {
    await sourceClient.refreshSlotsCache()
    await sleep(100)
    const [master, replica] = sourceClient.slots[slot].map((address) => Number(address.split(':').pop()))
    return {master, replica}
  }

  const args = (checkpoint: string, extra: string[]) => ['migrate', '--from-cluster', `127.0.0.1:${source.masters[1].port}`, '--to-cluster', target.address,
    '--online', '--json', '--checkpoint', checkpoint, ...extra]

  test('replication by default; SIGKILL mid-stream, resumed with a partial resync of every master, nothing lost', async () => {
    const checkpoint = join(dir, 'killed.json')
    const writer = new ClusterWriter(sourceClient, 'k')
    const first = startCli(TWLAB, args(checkpoint, ['--quiet-for', '60']), {timeoutMs: 180_000})
    let ended = ''
    void first.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    let loadedAt: number[] | undefined
    await waitFor('the streams to be applied', async () => {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writer.round()
      if (!loadedAt && streamsPast(checkpoint, [-1, -1, -1])) loadedAt = (positions(checkpoint) ?? []).map((p) => p?.offset ?? 0)
      return loadedAt !== undefined && streamsPast(checkpoint, loadedAt.map((o) => o + 500))
    }, 120_000)
    first.child.kill('SIGKILL')
    await first.done
    for (let i = 0; i < 20; i++) await writer.round() // written while twlab is stopped
    const partialBefore = await Promise.all(source.masters.map((m) => stat(m.port, 'sync_partial_ok')))

    const second = startCli(TWLAB, args(checkpoint, ['--resume', '--quiet-for', '3']), {timeoutMs: 180_000})
    for (let i = 0; i < 40; i++) {
      await writer.round()
      await sleep(20)
    }
    const result = await second.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.capture.mode, 'replication', 'a cluster source is followed by replication by default')
    assert.equal(migration.capture.partialResyncs, 3, 'every master continued from the checkpoint')
    assert.equal(migration.capture.fullResyncs, 0)
    assert.match(migration.capture.notes.join('\n'), /Continuing .* from replication offset \d+ \(partial resync/)
    const partialAfter = await Promise.all(source.masters.map((m) => stat(m.port, 'sync_partial_ok')))
    partialAfter.forEach((count, i) => assert.ok(count > partialBefore[i], `master ${i} counted a partial resync`))
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.equal(await targetClient.get('k:counter'), String(writer.rounds), 'each increment applied exactly once')
    await assertClustersEqual(source, sourceClient, target, targetClient)
  })

  test('a CLUSTER FAILOVER in the source during the stream is followed to the promoted replica with a partial resync', async () => {
    await flush(target)
    const checkpoint = join(dir, 'failover.json')
    const writer = new ClusterWriter(sourceClient, 'f')
    const run = startCli(TWLAB, args(checkpoint, ['--quiet-for', '4']), {timeoutMs: 180_000})
    let ended = ''
    void run.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    await waitFor('the streams to be applied', async () => {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writer.round()
      return streamsPast(checkpoint)
    }, 120_000)
    // the replica of the master serving slot 0 takes over, writes going on meanwhile
    const {master, replica: replicaPort} = await masterAndReplicaOfSlot(0)
    const replica = new Redis({port: replicaPort, maxRetriesPerRequest: 1})
    const partialBefore = await stat(replicaPort, 'sync_partial_ok')
    try {
      await replica.call('CLUSTER', 'FAILOVER')
      await waitFor('the replica to be promoted', async () => {
        await writer.round().catch(() => undefined) // a write may meet the switch: counted by what the source holds
        return ((await replica.call('ROLE')) as unknown[])[0] === 'master'
      }, 30_000)
    } finally {
      replica.disconnect()
    }
    await sourceClient.refreshSlotsCache()
    for (let i = 0; i < 40; i++) {
      await writer.round()
      await sleep(20)
    }
    const result = await run.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.capture.mode, 'replication')
    const notes = migration.capture.notes.join('\n')
    assert.match(notes, new RegExp(`failed over from 127\\.0\\.0\\.1:${master} to 127\\.0\\.0\\.1:${replicaPort}`))
    assert.ok(migration.capture.partialResyncs >= 1, `the promoted replica continued the stream (${notes})`)
    assert.equal(migration.capture.fullResyncs, 3, 'no new snapshot after the first three')
    assert.ok(await stat(replicaPort, 'sync_partial_ok') > partialBefore, 'the promoted replica counted a partial resync')
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.equal(await targetClient.get('f:counter'), await sourceClient.get('f:counter'))
    await assertClustersEqual(source, sourceClient, target, targetClient)
  })

  test('masters that refuse PSYNC: changes followed by keyspace notifications instead, said plainly', async () => {
    const refusing = await startCluster({masters: 2, args: ['--rename-command', 'PSYNC', '']})
    const client = new Cluster([{host: '127.0.0.1', port: refusing.masters[0].port}])
    try {
      await flush(target)
      await fillMixedCluster(client, 'n', 500)
      const writer = new ClusterWriter(client, 'n')
      // as people read it (the notes are printed, not part of --json)
      const run = startCli(TWLAB, ['migrate', '--from-cluster', refusing.address, '--to-cluster', target.address, '--online',
        '--checkpoint', join(dir, 'refusing.json'), '--quiet-for', '2'], {timeoutMs: 120_000})
      for (let i = 0; i < 40; i++) {
        await writer.round()
        await sleep(20)
      }
      const result = await run.done
      assert.equal(result.code, 0, result.stderr + result.stdout)
      assert.match(result.stdout + result.stderr, /refused PSYNC.*: following changes by keyspace notifications instead/)
      await assertClustersEqual(refusing, client, target, targetClient)
    } finally {
      client.disconnect()
      await refusing.stop()
    }
  })
})
