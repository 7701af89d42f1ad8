// The headline: a pool lab behind twproxy moves to a Redis Cluster while `twlab check
// consistency` writes through twproxy the whole time. `twlab migrate --to-cluster --online
// --cutover` creates the target lab cluster itself, copies, follows changes, verifies, pauses
// writes briefly and switches twproxy's pool to the cluster. Afterwards: no acknowledged write
// lost, verify clean, every key readable through the same twproxy endpoint from the cluster,
// and the pause time reported.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {TWLAB, startCli, type CliResult} from '../support/cli.js'
import {sleep} from '../support/servers.js'
import {makeLabHome, type LabHome} from '../lab/support.js'
import type {LabState} from '../../src/lab/state.js'

const KEYS = 3000

/** Keys of the types twemproxy speaks (no streams), written through the proxy; every 5th expires in an hour. */
async function fillThroughProxy(client: Redis, count: number): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    const pipeline = client.pipeline()
    for (let i = start; i < Math.min(start + 500, count); i++) {
      const key = `k:${i}`
      switch (i % 5) {
        case 0: pipeline.set(key, `value-${i}`, 'PX', 3_600_000); break
        case 1: pipeline.rpush(key, 'a', String(i)); break
        case 2: pipeline.sadd(key, 'x', String(i)); break
        case 3: pipeline.zadd(key, i, 'i'); break
        case 4: pipeline.hset(key, 'f1', 'v1', 'n', String(i)); break
      }
    }
    await pipeline.exec()
  }
}

interface Checker {
  done: Promise<CliResult>
  stop(): void
}

/** `twlab check consistency` through the proxy, until stop() (SIGINT) or its own duration. */
function startChecker(lab: LabHome, port: number): Checker {
  const {child, done} = startCli(TWLAB, ['check', 'consistency', '--target', `127.0.0.1:${port}`,
    '--duration', '180s', '--keys', '300', '--concurrency', '4', '--json'], {env: lab.env, timeoutMs: 240_000})
  return {done, stop: () => child.kill('SIGINT')}
}

describe('twlab migrate --to-cluster --online --cutover', () => {
  let lab: LabHome
  let state: LabState
  let proxy: Redis

  before(async () => {
    lab = makeLabHome()
    const {result} = await lab.up(['--name', 'shop', '--masters', '3', '--proxy', 'twproxy'])
    assert.equal(result.code, 0, result.stderr)
    state = lab.state('shop')
    proxy = new Redis({port: state.proxy.port, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 2})
    proxy.on('error', () => undefined)
    await fillThroughProxy(proxy, KEYS)
  })

  after(async () => {
    proxy?.disconnect()
    await lab?.cleanup()
  })

  test('no acknowledged write is lost, verify is clean, twproxy serves every key from the cluster', async (t) => {
    const checker = startChecker(lab, state.proxy.port as number)
    let migrate
    try {
      await sleep(1000) // the checker is writing before the migration starts
      migrate = await lab.run(['migrate', '--lab', 'shop', '--to-cluster', '--replicas', '0', '--online', '--cutover', '--yes', '--json'], 240_000)
      await sleep(2000) // and goes on writing through twproxy, now to the cluster
    } finally {
      checker.stop()
    }
    const check = await checker.done
    assert.equal(migrate.code, 0, migrate.stderr + migrate.stdout)
    const {migration, targetLab} = JSON.parse(migrate.stdout)
    assert.equal(targetLab, 'shop-cluster')
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    assert.ok(migration.changesSeen > 0, 'the checker\'s writes were followed during the migration')
    assert.equal(typeof migration.cutover.pausedMs, 'number')
    assert.ok(migration.cutover.pausedMs > 0 && migration.cutover.pausedMs < 30_000, `writes paused for ${migration.cutover.pausedMs} ms`)
    // the checker writes through twproxy, so no source has a client twproxy does not account for
    assert.deepEqual(migration.cutover.foreignClients, [])

    const report = JSON.parse(check.stdout)
    t.diagnostic(`writes paused ${migration.cutover.pausedMs} ms; verify: ${migration.verify.checked} keys, ${migration.verify.repaired} repaired, ${migration.verify.inFlux} in flux; ${migration.changesSeen} changes followed, ${migration.cutover.copiedInPause} keys copied and ${migration.cutover.verifiedInPause} compared inside the pause; checker: ${report.writes} writes, ${report.lostWrites} lost, ${report.failedWrites} failed`)
    assert.equal(report.lostWrites, 0, `lost writes: ${report.lostKeys?.join(', ')}`)
    assert.ok(report.writes > 0 && report.reads > 0)

    // twproxy's pool is the cluster now: its file, and its stats.
    const cluster = lab.state('shop-cluster')
    const masters = cluster.nodes.filter((n) => n.role === 'master').map((n) => `${n.host}:${n.port}`).sort()
    assert.deepEqual([...migration.cutover.cluster].sort(), masters)
    const config = readFileSync(state.proxy.configFile, 'utf8')
    assert.match(config, /cluster:/)
    assert.doesNotMatch(config, /servers:/)

    // Every key reads the same through twproxy as it does on the cluster, and the cluster holds
    // them all; a new write through twproxy lands on the cluster, not on the old servers.
    const target = new Cluster([{host: '127.0.0.1', port: cluster.nodes[0].port}], {scaleReads: 'master'})
    const oldServers = state.nodes.filter((n) => n.role === 'master').map((n) => new Redis({port: n.port, maxRetriesPerRequest: 1, commandTimeout: 3000}))
    try {
      for (let i = 0; i < KEYS; i += 5) {
        assert.equal(await proxy.get(`k:${i}`), `value-${i}`, `k:${i} through twproxy`)
        assert.equal(await target.get(`k:${i}`), `value-${i}`, `k:${i} on the cluster`)
        assert.deepEqual(await proxy.lrange(`k:${i + 1}`, 0, -1), ['a', String(i + 1)])
        assert.equal(await proxy.sismember(`k:${i + 2}`, String(i + 2)), 1)
        assert.equal(await proxy.zscore(`k:${i + 3}`, 'i'), String(i + 3))
        assert.deepEqual(await proxy.hgetall(`k:${i + 4}`), {f1: 'v1', n: String(i + 4)})
      }
      assert.ok(await proxy.pttl('k:0') > 3_000_000, 'expiries kept')
      assert.equal(await proxy.set('after:cutover', 'yes'), 'OK')
      assert.equal(await target.get('after:cutover'), 'yes')
      for (const server of oldServers) assert.equal(await server.exists('after:cutover'), 0)
      // the old servers take writes again (the pause was lifted)
      assert.equal(await oldServers[0].set('unpaused', '1', 'PX', 1000), 'OK')
      // the pool has nothing left to migrate now, and says so
      const again = await lab.run(['migrate', '--lab', 'shop', '--to-cluster', '--json'])
      assert.notEqual(again.code, 0)
      assert.match(again.stdout, /already served by a Redis Cluster/)
    } finally {
      target.disconnect()
      for (const server of oldServers) server.disconnect()
    }
  })
})
