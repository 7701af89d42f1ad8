// RDB files of other server versions: a Redis 8.0 backup (RDB 12) restored into a Valkey 9.1
// cluster, which does not take Redis 12 payloads: the types both know are stamped with the
// target's version, key by key equal afterwards; a Valkey 8.1 backup (RDB 11) into the system's
// Redis 7.0 cluster, its listpack sets and streams with consumers' active times rebuilt as types
// 7.0 knows, key by key equal; a Valkey 9.1 backup holding a hash whose field expires, into the
// system's Redis that has no field expiries, refused with one sentence naming the key.
import assert from 'node:assert/strict'
import {copyFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {installedProgram} from '../../src/servers/store.js'
import {twlab} from '../support/cli.js'
import {fetchedServer} from '../support/fetched-servers.js'
import {freePort, stopAll, tempDir, type RunningServer} from '../support/servers.js'
import {startCluster, startProgram, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed, fillSpecial} from '../migrate/dataset.js'
import {allKeys, assertSameKeys} from '../migrate/key-compare.js'

const EMPTY = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}

async function backupOf(server: RunningServer, file: string, more?: (client: Redis) => Promise<unknown>): Promise<Redis> {
  const client = new Redis({port: server.port})
  await fillMixed(client, 'v', 3000)
  await fillSpecial(client, 'v', 500)
  await more?.(client)
  await client.save()
  copyFileSync(join(server.dir, 'dump.rdb'), file)
  return client
}

describe('twlab migrate --from-rdb across server versions', () => {
  const dir = tempDir('twlab-rdb-versions-')
  const stops: Array<() => Promise<void>> = []
  const clients: Array<Redis | Cluster> = []
  let valkeyCluster: TestCluster
  let redisCluster: TestCluster

  before(async () => {
    const valkey = installedProgram(await fetchedServer('valkey-9.1'), 'server')
    valkeyCluster = await startCluster({masters: 3, program: valkey})
    redisCluster = await startCluster({masters: 3})
    stops.push(() => valkeyCluster.stop(), () => redisCluster.stop())
  })

  after(async () => {
    for (const c of clients) c.disconnect()
    for (const stop of stops) await stop()
    await stopAll()
  })

  /** A backup by server `name` restored into `cluster`: the file's RDB version, and key by key equal. */
  async function restoredEqually(name: string, cluster: TestCluster, version: number): Promise<void> {
    const server = await startProgram(installedProgram(await fetchedServer(name), 'server'), await freePort(), [])
    stops.push(() => server.stop())
    const file = join(dir, `${name}.rdb`)
    const client = await backupOf(server, file)
    clients.push(client)
    const result = await twlab(['migrate', '--from-rdb', file, '--to-cluster', cluster.address, '--json', '--checkpoint', join(dir, `${name}.json`)], {timeoutMs: 240_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.rdb.files[0].version, version)
    assert.deepEqual(migration.verify.counts, EMPTY)
    const target = new Cluster([{host: '127.0.0.1', port: cluster.masters[0].port}])
    clients.push(target)
    let total = 0
    for (const master of cluster.masters) {
      const node = new Redis({port: master.port})
      total += await node.dbsize()
      node.disconnect()
    }
    await assertSameKeys(await allKeys([client]), () => client, () => target, total)
    for (const master of cluster.masters) {
      const node = new Redis({port: master.port})
      await node.flushall()
      node.disconnect()
    }
  }

  test('a Redis 8.0 backup (RDB 12) into a Valkey 9.1 cluster: key by key equal', async () => {
    await restoredEqually('redis-8.0', valkeyCluster, 12)
  })

  test('a Valkey 8.1 backup (RDB 11) into the system\'s Redis 7.0 cluster: the types 7.0 lacks rebuilt, key by key equal', async () => {
    await restoredEqually('valkey-8.1', redisCluster, 11)
  })

  test('a Valkey 9.1 backup holding a hash whose field expires, into an older Redis without field expiries, is refused by name', async () => {
    const valkey = await startProgram(installedProgram(await fetchedServer('valkey-9.1'), 'server'), await freePort(), [])
    stops.push(() => valkey.stop())
    const file = join(dir, 'valkey9.rdb')
    clients.push(await backupOf(valkey, file, async (client) => {
      await client.hset('v:expiring-field', 'f', '1', 'g', '2')
      await client.call('HEXPIRE', 'v:expiring-field', 3600, 'FIELDS', 1, 'f')
    }))
    const result = await twlab(['migrate', '--from-rdb', file, '--to-cluster', redisCluster.address, '--checkpoint', join(dir, 'b.json'), '--yes'], {timeoutMs: 120_000})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /Key v:expiring-field holds a value of RDB type \d+ \(file RDB version 80\), which Redis 7\.\d+\.\d+ \(RDB 10\) cannot restore in any form/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  })
})
