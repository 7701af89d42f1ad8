// The way back: a cluster copied into a twemproxy pool's servers, each key where the pool's
// hashing (ketama, hash_tag) places it, so a cut-over can be reversed with what was written to the
// cluster since: first a plain copy, then online with writes during the copy, and
// `migrate verify --from-cluster --to-pool` both ways. Key by key equal afterwards.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {PoolTarget} from '../../src/targets/pool.js'
import {pickPool, readPoolConfig} from '../../src/targets/pool-config.js'
import {startCli, TWLAB, twlab} from '../support/cli.js'
import {freePort, sleep, startRedis, stopAll, tempDir, type RunningServer} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixedCluster, fillSpecialCluster} from '../migrate/cluster-dataset.js'
import {allKeys, assertSameKeys} from '../migrate/key-compare.js'

const EMPTY = {missing: 0, extra: 0, type: 0, value: 0, ttl: 0}

describe('twlab migrate --from-cluster --to-pool', () => {
  let source: TestCluster
  let sourceClient: Cluster
  const servers: RunningServer[] = []
  const clients: Redis[] = []
  let pool: PoolTarget
  let owner: (key: Buffer) => Redis
  const dir = tempDir('twlab-to-pool-')
  const config = join(dir, 'nutcracker.yml')

  before(async () => {
    source = await startCluster({masters: 3})
    sourceClient = new Cluster([{host: '127.0.0.1', port: source.masters[0].port}], {enableAutoPipelining: true})
    await fillMixedCluster(sourceClient, 'b', 5000)
    await fillSpecialCluster(sourceClient, 'b')
    for (let i = 0; i < 3; i++) {
      servers.push(await startRedis())
      clients.push(new Redis({port: servers[i].port}))
    }
    writeFileSync(config, [
      'back:',
      `  listen: 127.0.0.1:${await freePort()}`,
      '  hash: fnv1a_64',
      '  distribution: ketama',
      '  hash_tag: "{}"',
      '  redis: true',
      '  servers:',
      ...servers.map((s, i) => `   - 127.0.0.1:${s.port}:1 s${i + 1}`),
      '',
    ].join('\n'))
    pool = new PoolTarget(pickPool(await readPoolConfig(config), undefined))
    const byName = new Map(servers.map((_, i) => [`s${i + 1}`, clients[i]]))
    owner = (key) => byName.get(pool.ownerOf(key).name) as Redis
  })

  after(async () => {
    sourceClient?.disconnect()
    for (const c of clients) c.disconnect()
    await pool?.close()
    await source?.stop()
    await stopAll()
  })

  async function poolKeys(): Promise<number> {
    let total = 0
    for (const c of clients) total += await c.dbsize()
    return total
  }

  async function clusterKeys(): Promise<Buffer[]> {
    const masters = source.masters.map((m) => new Redis({port: m.port}))
    const keys = await allKeys(masters)
    for (const m of masters) m.disconnect()
    return keys
  }

  test('every key of the cluster lands on the pool server its hashing names, key by key equal', async () => {
    const result = await twlab(['migrate', '--from-cluster', source.address, '--to-pool', '-c', config, '--json'], {timeoutMs: 240_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    const keys = await clusterKeys()
    assert.equal(migration.stats.copied, keys.length)
    await assertSameKeys(keys, () => sourceClient, owner, await poolKeys())
    for (const c of clients) assert.ok(await c.dbsize() > 0, 'every pool server got its share')
  })

  test('migrate verify --from-cluster --to-pool compares both ways', async () => {
    const args = ['migrate', 'verify', '--from-cluster', source.address, '--to-pool', '-c', config, '--json']
    const clean = await twlab(args, {timeoutMs: 120_000})
    assert.equal(clean.code, 0, clean.stderr + clean.stdout)
    assert.deepEqual(JSON.parse(clean.stdout).counts, EMPTY)
    await owner(Buffer.from('b:3')).set('b:3', 'changed')
    await owner(Buffer.from('only-on-the-pool')).set('only-on-the-pool', 'x')
    const dirty = await twlab(args, {timeoutMs: 120_000})
    assert.equal(dirty.code, 1)
    assert.deepEqual(JSON.parse(dirty.stdout).counts, {...EMPTY, type: 1, extra: 1})
    await owner(Buffer.from('only-on-the-pool')).del('only-on-the-pool')
  })

  test('--online: writes made on the cluster during the copy back reach the pool (a cut-over reversed, nothing lost)', async () => {
    for (const c of clients) await c.flushall()
    const run = startCli(TWLAB, ['migrate', '--from-cluster', source.address, '--to-pool', '-c', config, '--json', '--online', '--quiet-for', '2', '--scan-count', '20'], {timeoutMs: 240_000})
    const deadline = Date.now() + 6000
    let last = -1
    for (let i = 0; i < 300 && Date.now() < deadline; i++) {
      await sourceClient.set(`since:${i}`, `v${i}`)
      if (i % 5 === 0) await sourceClient.del(`b:${i}`)
      last = i
      await sleep(10)
    }
    const result = await run.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.ok(migration.changesSeen > 0)
    await assertSameKeys(await clusterKeys(), () => sourceClient, owner, await poolKeys())
    assert.equal(await owner(Buffer.from(`since:${last}`)).get(`since:${last}`), `v${last}`)
  })
})
