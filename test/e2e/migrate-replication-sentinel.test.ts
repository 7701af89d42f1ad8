// Replication capture of a Sentinel group, the default for an online migration of one: twlab a
// replica of its master; the master is killed mid-stream, Sentinel promotes the replica, and twlab
// follows the stream there (the promoted replica continues it: PSYNC2 keeps the old replication
// id). Writes before and after the failover arrive; the cluster ends key by key equal to the new
// master, verify clean. Killed while its snapshot loads, the promoted replica's snapshot is loaded
// instead.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {startCli, TWLAB} from '../support/cli.js'
import {sleep, stopAll, tempDir, waitUntil} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed} from '../migrate/dataset.js'
import {allKeys, assertSameKeys} from '../migrate/key-compare.js'
import {startSentinelGroup, type SentinelGroup} from '../migrate/sentinel-group.js'

const KEYS = 5000
/** enough that the snapshot is still loading a moment after it began */
const SNAPSHOT_KEYS = 20_000

interface Position {
  snapshotLoaded: boolean
  offset: number
}

function positions(checkpoint: string): Array<Position | null> | undefined {
  if (!existsSync(checkpoint)) return undefined
  try {
    return (JSON.parse(readFileSync(checkpoint, 'utf8')) as {replication?: Array<Position | null>}).replication
  } catch {
    return undefined // caught mid-rename
  }
}

function streamApplied(checkpoint: string): boolean {
  return positions(checkpoint)?.every((p) => p?.snapshotLoaded && p.offset > 0) ?? false
}

function snapshotBegun(checkpoint: string): boolean {
  const now = positions(checkpoint)
  return now !== undefined && now.length === 1 && now[0] !== null && !now[0].snapshotLoaded
}

/** The cluster holds the promoted master's keys, key by key, and nothing else. */
async function assertTargetEquals(promoted: Redis, target: TestCluster): Promise<void> {
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
  }
}

async function writeRound(client: Redis, round: number): Promise<void> {
  await client.pipeline().incr('counter').lpush('pushed', String(round)).set(`after:${round}`, 'x').append('text', `${round};`).exec()
}

describe('replication capture of a Sentinel group (the default)', () => {
  let group: SentinelGroup
  let target: TestCluster
  const dir = tempDir('twlab-repl-sentinel-')

  before(async () => {
    group = await startSentinelGroup({fill: (client) => fillMixed(client, 's', KEYS)})
    target = await startCluster({masters: 3})
  })

  after(async () => {
    await group?.stop()
    await target?.stop()
    await stopAll()
  })

  test('the master is killed mid-stream: the stream is followed on the promoted replica', () => group.withLog(async () => {
    const {master, replica} = group
    const checkpoint = join(dir, 'repl.json')
    // no --capture: replication is the default for a Sentinel group
    const run = startCli(TWLAB, ['migrate', '--from-sentinel', group.sentinel, '--master', 'shop', '--to-cluster', target.address,
      '--online', '--quiet-for', '8', '--json', '--checkpoint', checkpoint], {timeoutMs: 100_000})
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
    try {
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
      await assertTargetEquals(promoted, target)
    } finally {
      promoted.disconnect()
    }
  }))
})

describe('replication capture of a Sentinel group: a failover mid-snapshot', () => {
  let group: SentinelGroup
  let target: TestCluster
  const dir = tempDir('twlab-repl-sentinel-snapshot-')

  before(async () => {
    group = await startSentinelGroup({fill: (client) => fillMixed(client, 's', SNAPSHOT_KEYS)})
    target = await startCluster({masters: 3})
  })

  after(async () => {
    await group?.stop()
    await target?.stop()
    await stopAll()
  })

  test('the master is killed while its snapshot loads: the promoted replica\'s snapshot is loaded instead', () => group.withLog(async () => {
    const {master, replica} = group
    const checkpoint = join(dir, 'snapshot.json')
    // once the snapshot has begun, the target's writes are held, so it cannot finish loading
    // before the failover (held from the start, twlab would wait on it before the snapshot too)
    const masters = target.masters.map((m) => new Redis({host: '127.0.0.1', port: m.port}))
    const hold = (...args: string[]) => Promise.all(masters.map((m) => m.call('CLIENT', ...args)))
    const run = startCli(TWLAB, ['migrate', '--from-sentinel', group.sentinel, '--master', 'shop', '--to-cluster', target.address,
      '--online', '--quiet-for', '3', '--json', '--checkpoint', checkpoint], {timeoutMs: 150_000})
    const promoted = new Redis({port: replica.port, maxRetriesPerRequest: 1})
    try {
      await waitUntil(() => snapshotBegun(checkpoint), 'the snapshot to begin', 60_000, 10)
      await hold('PAUSE', '60000', 'WRITE')
      assert.ok(snapshotBegun(checkpoint), `the snapshot of ${SNAPSHOT_KEYS} keys was still loading when the target was held`)
      master.child.kill('SIGKILL')
      await waitUntil(async () => ((await promoted.call('ROLE')) as unknown[])[0] === 'master', 'the replica promoted', 30_000)
    } finally {
      await hold('UNPAUSE')
      masters.forEach((m) => m.disconnect())
    }
    try {
      const result = await run.done
      assert.equal(result.code, 0, result.stderr + result.stdout)
      const {migration} = JSON.parse(result.stdout)
      assert.equal(migration.status, 'done')
      assert.equal(migration.capture.mode, 'replication')
      assert.match(migration.capture.notes.join('\n'), new RegExp(`failed over from 127.0.0.1:${master.port} to 127.0.0.1:${replica.port}`))
      assert.equal(migration.capture.fullResyncs, 2, 'a snapshot of each master')
      assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
      await assertTargetEquals(promoted, target)
    } finally {
      promoted.disconnect()
    }
  }))
})
