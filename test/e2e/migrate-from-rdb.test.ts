// RDB files restored straight into a cluster, no server started for them: a backup written by the
// system's redis-server (mixed types, expiries, binary keys, big keys, a stream group), with a
// second database, keys already expired and a function library; verified both ways by the run and
// by `migrate verify --from-rdb`, key by key equal afterwards; Ctrl-C then --resume; a module type
// refused with one sentence.
import assert from 'node:assert/strict'
import {copyFileSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {startCli, TWLAB, twlab} from '../support/cli.js'
import {sleep, startRedis, stopAll, tempDir, type RunningServer} from '../support/servers.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {fillMixed, fillSpecial} from '../migrate/dataset.js'
import {allKeys, assertSameKeys} from '../migrate/key-compare.js'
import {moduleId, rdbFile, str, u64le} from '../protocol/rdb/fixture-writer.js'

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

async function flushTarget(cluster: TestCluster): Promise<void> {
  for (const master of cluster.masters) {
    const client = new Redis({port: master.port, maxRetriesPerRequest: 1})
    await client.flushall()
    client.disconnect()
  }
}

/** SAVE on the server, the dump copied to `file`. */
async function saveTo(server: RunningServer, client: Redis, file: string): Promise<void> {
  await client.save()
  copyFileSync(join(server.dir, 'dump.rdb'), file)
}

describe('twlab migrate --from-rdb', () => {
  let server: RunningServer
  let client: Redis
  let target: TestCluster
  let targetClient: Cluster
  const dir = tempDir('twlab-from-rdb-')
  const backup = join(dir, 'backup.rdb')

  before(async () => {
    server = await startRedis()
    client = new Redis({port: server.port})
    target = await startCluster({masters: 3})
    targetClient = new Cluster([{host: '127.0.0.1', port: target.masters[0].port}])
    await fillMixed(client, 'r', 6000)
    await fillSpecial(client, 'r', 2000)
    const gone = client.pipeline()
    for (let i = 0; i < 20; i++) gone.set(`gone:${i}`, 'soon').pexpire(`gone:${i}`, 300)
    await gone.exec()
    await client.call('FUNCTION', 'LOAD', "#!lua name=twlabtest\nredis.register_function('hello', function() return 'hi' end)")
    await client.select(1)
    for (let i = 0; i < 7; i++) await client.set(`other-db:${i}`, 'x')
    await client.select(0)
    await saveTo(server, client, backup)
    await sleep(400) // the gone:* keys are expired in the backup by now
  })

  after(async () => {
    client?.disconnect()
    targetClient?.disconnect()
    await target?.stop()
    await stopAll()
  })

  test('a backup is restored into a cluster: db 0 only, expired keys skipped, functions reported, key by key equal', async () => {
    const result = await twlab(['migrate', '--from-rdb', backup, '--to-cluster', target.address, '--json', '--checkpoint', join(dir, 'a.json')], {timeoutMs: 240_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.equal(migration.rdb.expired, 20)
    assert.deepEqual(migration.rdb.skippedDbs, {1: 7})
    assert.equal(migration.rdb.functions, 1)
    assert.equal(migration.rdb.functionsLoaded, false)
    assert.equal(migration.rdb.files[0].version, 10)
    const keys = await allKeys([client])
    assert.equal(migration.stats.copied, keys.length)
    await assertSameKeys(keys, () => client, () => targetClient, await keyCount(target))
    const node = new Redis({port: target.masters[0].port})
    const functions = await node.call('FUNCTION', 'LIST') as unknown[]
    node.disconnect()
    assert.equal(functions.length, 0, 'functions are not loaded unless asked')
  })

  test('migrate verify --from-rdb compares both ways', async () => {
    const clean = await twlab(['migrate', 'verify', '--from-rdb', backup, '--to-cluster', target.address, '--json'], {timeoutMs: 120_000})
    assert.equal(clean.code, 0, clean.stderr + clean.stdout)
    assert.deepEqual(JSON.parse(clean.stdout).counts, EMPTY)
    await targetClient.set('r:2', 'changed')
    await targetClient.set('not-in-the-file', 'x')
    const dirty = await twlab(['migrate', 'verify', '--from-rdb', backup, '--to-cluster', target.address, '--json'], {timeoutMs: 120_000})
    assert.equal(dirty.code, 1)
    const report = JSON.parse(dirty.stdout)
    assert.deepEqual(report.counts, {...EMPTY, type: 1, extra: 1})
    assert.ok(report.mismatches.some((m: {kind: string; key: string}) => m.kind === 'extra' && m.key === 'not-in-the-file'))
  })

  test('--load-functions loads the libraries on every master', async () => {
    await flushTarget(target)
    const result = await twlab(['migrate', '--from-rdb', backup, '--to-cluster', target.address, '--json', '--no-verify', '--load-functions', '--checkpoint', join(dir, 'f.json')], {timeoutMs: 120_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    for (const master of target.masters) {
      const node = new Redis({port: master.port})
      assert.equal(await node.fcall('hello', 0), 'hi')
      node.disconnect()
    }
  })

  test('Ctrl-C keeps a checkpoint (keys and byte offset); --resume reads the file again and passes over what was done', async () => {
    await flushTarget(target)
    const big = join(dir, 'big.rdb')
    const many = new Redis({port: server.port, db: 2})
    for (let start = 0; start < 150_000; start += 10_000) {
      const p = many.pipeline()
      for (let i = start; i < start + 10_000; i++) p.set(`many:${i}`, `value-${i}`)
      await p.exec()
    }
    await saveTo(server, client, big)
    const checkpoint = join(dir, 'resume.json')
    const run = startCli(TWLAB, ['migrate', '--from-rdb', big, '--db', '2', '--to-cluster', target.address, '--json', '--no-verify', '--checkpoint', checkpoint], {timeoutMs: 240_000})
    const done = () => {
      if (!existsSync(checkpoint)) return 0
      try {
        return Number(JSON.parse(readFileSync(checkpoint, 'utf8')).sources[0].cursor.split(':')[0])
      } catch {
        return 0
      }
    }
    for (let i = 0; i < 3000 && done() === 0; i++) await sleep(10)
    run.child.kill('SIGINT')
    const stopped = await run.done
    assert.equal(stopped.code, 130, stopped.stderr + stopped.stdout)
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8'))
    const [keysDone, offset] = saved.sources[0].cursor.split(':').map(Number)
    assert.ok(keysDone > 0 && keysDone < 150_000, `stopped part way (${keysDone} keys)`)
    assert.ok(offset > 0)
    const resumed = await twlab(['migrate', '--from-rdb', big, '--db', '2', '--to-cluster', target.address, '--json', '--resume', '--checkpoint', checkpoint], {timeoutMs: 240_000})
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout)
    const {migration} = JSON.parse(resumed.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, EMPTY)
    assert.ok(migration.stats.copied + migration.stats.identical >= 150_000)
    assert.ok(migration.scannedThisRun <= 150_000 - keysDone + 5000, 'what was done is passed over, not written again')
    assert.equal(await keyCount(target), 150_000)
    many.disconnect()
  })

  test('a module type is refused with the reader\'s sentence, no stack trace', async () => {
    const file = rdbFile([Buffer.from([7]), str('doc:1'), Buffer.from([0x81]), u64le(0).fill(0), Buffer.alloc(0)])
    file.writeBigUInt64BE(moduleId('ReJSON-RL', 3), 9 + 1 + 6 + 1)
    const path = join(dir, 'module.rdb')
    writeFileSync(path, file)
    const result = await twlab(['migrate', '--from-rdb', path, '--to-cluster', target.address, '--checkpoint', join(dir, 'm.json'), '--yes'], {timeoutMs: 60_000})
    assert.equal(result.code, 1)
    assert.match(result.stderr, /key doc:1 in db 0 holds a value of module type 'ReJSON-RL'/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  })
})
