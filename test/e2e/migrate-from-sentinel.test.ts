// A Sentinel group as the source: the master is found from Sentinel, and when it is killed in the
// middle of the copy, Sentinel promotes the replica and the copy carries on from the new master
// (read again from the start, the keys already copied recognised as identical). Key by key equal
// afterwards, against the new master; `migrate verify --from-sentinel` clean. Online, the group's
// changes are followed by keyspace notifications when asked for, and by them as the fallback when
// the master refuses PSYNC (replication is the default).
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {startCli, TWLAB, twlab} from '../support/cli.js'
import {sleep, stopAll, tempDir} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed, fillSpecial} from '../migrate/dataset.js'
import {allKeys, assertSameKeys} from '../migrate/key-compare.js'
import {startSentinelGroup, type SentinelGroup} from '../migrate/sentinel-group.js'

const EMPTY = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}

async function keyCount(cluster: TestCluster): Promise<number> {
  let total = 0
  for (const master of cluster.masters) {
    const client = new Redis({port: master.port, maxRetriesPerRequest: 1})
    total += await client.dbsize()
    client.disconnect()
  }
  return total
}

function scanned(checkpoint: string): number {
  if (!existsSync(checkpoint)) return 0
  try {
    return (JSON.parse(readFileSync(checkpoint, 'utf8')) as {stats: {scanned: number}}).stats.scanned
  } catch {
    return 0
  }
}

describe('twlab migrate --from-sentinel', () => {
  let group: SentinelGroup
  let sentinel: string
  let target: TestCluster
  let targetClient: Cluster
  const dir = tempDir('twlab-from-sentinel-')

  before(async () => {
    group = await startSentinelGroup({
      fill: async (client) => {
        await fillMixed(client, 's', 40_000)
        await fillSpecial(client, 's', 1000)
      },
    })
    sentinel = group.sentinel
    target = await startCluster({masters: 3})
    targetClient = new Cluster([{host: '127.0.0.1', port: target.masters[0].port}])
  })

  after(async () => {
    targetClient?.disconnect()
    await group?.stop()
    await target?.stop()
    await stopAll()
  })

  test('the master is killed mid-copy: the copy follows Sentinel to the new master and ends key by key equal', () => group.withLog(async () => {
    const {master, replica} = group
    const checkpoint = join(dir, 'copy.json')
    const run = startCli(TWLAB, ['migrate', '--from-sentinel', sentinel, '--master', 'shop', '--to-cluster', target.address,
      '--json', '--scan-count', '20', '--checkpoint', checkpoint], {timeoutMs: 240_000})
    const deadline = Date.now() + 60_000
    for (let i = 0; i < 6000 && Date.now() < deadline && scanned(checkpoint) < 2000; i++) await sleep(10)
    assert.ok(scanned(checkpoint) >= 2000, 'the copy was under way')
    master.child.kill('SIGKILL')
    const result = await run.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.failovers, [{source: 'shop', from: `127.0.0.1:${master.port}`, to: `127.0.0.1:${replica.port}`}])
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.ok(migration.stats.identical > 0, 'keys copied before the failover were recognised, not written twice')
    const promoted = new Redis({port: replica.port})
    const keys = await allKeys([promoted])
    await assertSameKeys(keys, () => promoted, () => targetClient, await keyCount(target))
    promoted.disconnect()
  }))

  test('migrate verify --from-sentinel reads the current master', async () => {
    const result = await twlab(['migrate', 'verify', '--from-sentinel', sentinel, '--master', 'shop', '--to-cluster', target.address, '--json'], {timeoutMs: 120_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    assert.deepEqual(JSON.parse(result.stdout).counts, EMPTY)
  })

  test('an unknown group name gets one sentence', async () => {
    const result = await twlab(['migrate', 'verify', '--from-sentinel', sentinel, '--master', 'nope', '--to-cluster', target.address])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /monitors no master named "nope": give one of shop with --master/)
  })

  /** An online migration of the group (now the promoted replica) to the same target, quiet after 2 s. */
  function migrateOnline(extra: string[], checkpoint: string) {
    return twlab(['migrate', '--from-sentinel', sentinel, '--master', 'shop', '--to-cluster', target.address,
      '--online', '--quiet-for', '2', '--json', '--checkpoint', join(dir, checkpoint), ...extra], {timeoutMs: 120_000})
  }

  test('online with --capture notifications: the group is followed by keyspace notifications', () => group.withLog(async () => {
    const result = await migrateOnline(['--capture', 'notifications'], 'notifications.json')
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.equal(migration.capture.mode, 'notifications')
    assert.deepEqual(migration.verify.counts, EMPTY)
  }))

  test('online, a master that refuses PSYNC: replication (the default) falls back to keyspace notifications, said plainly', () => group.withLog(async () => {
    const promoted = new Redis({port: group.replica.port})
    await promoted.call('ACL', 'SETUSER', 'default', '-psync')
    try {
      const result = await migrateOnline([], 'fallback.json')
      assert.equal(result.code, 0, result.stderr + result.stdout)
      const {migration} = JSON.parse(result.stdout)
      assert.equal(migration.status, 'done')
      assert.equal(migration.capture.mode, 'notifications')
      assert.match(migration.capture.notes.join('\n'), /refused PSYNC: .*following changes by keyspace notifications instead/)
      assert.deepEqual(migration.verify.counts, EMPTY)
    } finally {
      await promoted.call('ACL', 'SETUSER', 'default', '+psync')
      promoted.disconnect()
    }
  }))
})
