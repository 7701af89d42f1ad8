// Replication capture of a Sentinel group: twlab a replica of its master; the master is killed
// mid-stream, Sentinel promotes the replica, and twlab follows the stream there (the promoted
// replica continues it: PSYNC2 keeps the old replication id). Writes before and after the
// failover arrive; the cluster ends key by key equal to the new master, verify clean.
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {startCli, TWLAB} from '../support/cli.js'
import {freePort, sleep, startRedis, stopAll, stopPid, tempDir, waitForPort, waitUntil, type RunningServer} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed} from '../migrate/dataset.js'
import {allKeys, assertSameKeys} from '../migrate/key-compare.js'

const KEYS = 5000

function streamApplied(checkpoint: string): boolean {
  if (!existsSync(checkpoint)) return false
  try {
    const positions = (JSON.parse(readFileSync(checkpoint, 'utf8')) as {replication?: Array<{snapshotLoaded: boolean; offset: number} | null>}).replication
    return positions?.every((p) => p?.snapshotLoaded && p.offset > 0) ?? false
  } catch {
    return false // caught mid-rename
  }
}

async function writeRound(client: Redis, round: number): Promise<void> {
  await client.pipeline().incr('counter').lpush('pushed', String(round)).set(`after:${round}`, 'x').append('text', `${round};`).exec()
}

describe('replication capture of a Sentinel group', () => {
  let master: RunningServer
  let replica: RunningServer
  let sentinel: ChildProcess
  let sentinelPort: number
  let target: TestCluster
  const dir = tempDir('twlab-repl-sentinel-')

  before(async () => {
    master = await startRedis()
    replica = await startRedis({args: ['--replicaof', '127.0.0.1', String(master.port)]})
    sentinelPort = await freePort()
    const conf = join(dir, 'sentinel.conf')
    writeFileSync(conf, [
      `port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor shop 127.0.0.1 ${master.port} 1`,
      'sentinel down-after-milliseconds shop 1000',
      // long enough that a promotion Sentinel sees late on a busy machine is not aborted (an aborted
      // failover leaves the replica a master that Sentinel never names)
      'sentinel failover-timeout shop 30000',
      '',
    ].join('\n'))
    sentinel = spawn('redis-sentinel', [conf], {stdio: 'ignore'})
    await waitForPort(sentinelPort)
    target = await startCluster({masters: 3})
    const client = new Redis({port: master.port})
    await fillMixed(client, 's', KEYS)
    client.disconnect()
    const replicaClient = new Redis({port: replica.port})
    await waitUntil(async () => (await replicaClient.dbsize()) === KEYS, 'the replica in sync', 20_000)
    replicaClient.disconnect()
  })

  after(async () => {
    if (sentinel) await stopPid(sentinel)
    await target?.stop()
    await stopAll()
  })

  test('the master is killed mid-stream: the stream is followed on the promoted replica', async () => {
    const checkpoint = join(dir, 'repl.json')
    const run = startCli(TWLAB, ['migrate', '--from-sentinel', `127.0.0.1:${sentinelPort}`, '--master', 'shop', '--to-cluster', target.address,
      '--online', '--capture', 'replication', '--quiet-for', '8', '--json', '--checkpoint', checkpoint], {timeoutMs: 100_000})
    let ended = ''
    void run.done.then((r) => (ended = `exit ${r.code}: ${r.stderr}${r.stdout}`))
    const first = new Redis({port: master.port})
    let round = 0
    const deadline = Date.now() + 90_000
    for (let i = 0; i < 5000 && Date.now() < deadline && !streamApplied(checkpoint); i++, round++) {
      if (ended) assert.fail(`the migration ended early (${ended})`)
      await writeRound(first, round)
      await sleep(20)
    }
    if (!streamApplied(checkpoint)) {
      first.disconnect()
      run.child.kill('SIGKILL')
      assert.fail(`the stream was not being applied within 90 s: ${(await run.done).stderr}`)
    }
    for (let i = 0; i < 10; i++, round++) await writeRound(first, round)
    await first.call('WAIT', '1', '5000')
    first.disconnect()
    master.child.kill('SIGKILL')

    const promoted = new Redis({port: replica.port, maxRetriesPerRequest: 1})
    await waitUntil(async () => ((await promoted.call('ROLE')) as unknown[])[0] === 'master', 'the replica promoted', 30_000)
    for (let i = 0; i < 20; i++, round++) await writeRound(promoted, round)
    const result = await run.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.equal(migration.capture.mode, 'replication')
    assert.match(migration.capture.notes.join('\n'), new RegExp(`failed over from 127.0.0.1:${master.port} to 127.0.0.1:${replica.port}`))
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    assert.equal(migration.verify.repaired, 0, 'nothing needed repair')
    const targetClient = new Cluster([{host: '127.0.0.1', port: target.masters[0].port}])
    try {
      const keys = await allKeys([promoted])
      let onTarget = 0
      for (const m of target.masters) {
        const node = new Redis({port: m.port})
        onTarget += await node.dbsize()
        node.disconnect()
      }
      await assertSameKeys(keys, () => promoted, () => targetClient, onTarget)
    } finally {
      targetClient.disconnect()
      promoted.disconnect()
    }
  })
})
