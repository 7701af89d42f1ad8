// RDB files of other server versions: a Redis 8.0 backup (RDB 12) restored into a Valkey 9.1
// cluster, which does not take Redis 12 payloads: the types both know are stamped with the
// target's version, key by key equal afterwards; a Valkey 9.1 backup into the system's older
// Redis, whose server lacks a type in it, refused with one sentence naming the key.
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

async function backupOf(server: RunningServer, file: string): Promise<Redis> {
  const client = new Redis({port: server.port})
  await fillMixed(client, 'v', 3000)
  await fillSpecial(client, 'v', 500)
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

  test('a Redis 8.0 backup (RDB 12) into a Valkey 9.1 cluster: key by key equal', async () => {
    const redis8 = await startProgram(installedProgram(await fetchedServer('redis-8.0'), 'server'), await freePort(), [])
    stops.push(() => redis8.stop())
    const file = join(dir, 'redis8.rdb')
    const client = await backupOf(redis8, file)
    clients.push(client)
    const result = await twlab(['migrate', '--from-rdb', file, '--to-cluster', valkeyCluster.address, '--json', '--checkpoint', join(dir, 'a.json')], {timeoutMs: 240_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.rdb.files[0].version, 12)
    assert.deepEqual(migration.verify.counts, EMPTY)
    const target = new Cluster([{host: '127.0.0.1', port: valkeyCluster.masters[0].port}])
    clients.push(target)
    let total = 0
    for (const master of valkeyCluster.masters) {
      const node = new Redis({port: master.port})
      total += await node.dbsize()
      node.disconnect()
    }
    await assertSameKeys(await allKeys([client]), () => client, () => target, total)
  })

  test('a Valkey 9.1 backup into an older Redis that lacks one of its types is refused by name', async () => {
    const valkey = await startProgram(installedProgram(await fetchedServer('valkey-9.1'), 'server'), await freePort(), [])
    stops.push(() => valkey.stop())
    const file = join(dir, 'valkey9.rdb')
    clients.push(await backupOf(valkey, file))
    const result = await twlab(['migrate', '--from-rdb', file, '--to-cluster', redisCluster.address, '--checkpoint', join(dir, 'b.json'), '--yes'], {timeoutMs: 120_000})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /Key v:\S+ holds a value of RDB type \d+ \(file RDB version 80\), which Redis 7\.\d+\.\d+ \(RDB 10\) cannot restore/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  })
})
