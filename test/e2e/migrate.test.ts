// twlab migrate / migrate verify end to end: three standalone sources holding every data type,
// expiries, binary keys, hash tags, big keys and a duplicate, into a three-master cluster.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {twlab} from '../support/cli.js'
import {BINARY_KEYS, fillMixed, fillSpecial} from '../migrate/dataset.js'
import {sourceKeyCount, startHarness, targetKeyCount, type Harness} from '../migrate/harness.js'

const BIG = 1500

describe('twlab migrate --from ... --to-cluster', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(3)
    for (const [i, client] of h.clients.entries()) {
      await fillMixed(client, `s${i}`, 800)
      await fillSpecial(client, `s${i}`, BIG)
    }
    // One key on two sources: without pool hashing, the first source listed wins.
    await h.clients[0].set('dup:key', 'first')
    await h.clients[2].set('dup:key', 'third')
  })

  after(async () => {
    await h?.stop()
  })

  test('--dry-run shows the plan and copies nothing', async () => {
    const result = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--dry-run', '--json',
      '--plan-sample', '0', '--big-key-bytes', '20000'])
    assert.equal(result.code, 0, result.stderr)
    const {plan} = JSON.parse(result.stdout)
    assert.equal(plan.totalKeys, await sourceKeyCount(h))
    assert.equal(plan.sources.length, 3)
    assert.ok(plan.sources.every((s: {exact: boolean; bigKeys: unknown[]}) => s.exact && s.bigKeys.length > 0))
    assert.equal(plan.target.length, 3)
    assert.equal(plan.target.reduce((n: number, m: {slots: number}) => n + m.slots, 0), 16384)
    assert.equal(await targetKeyCount(h), 0)
  })

  test('copies every type, expiry, binary key, hash tag and big key, and verifies clean', async () => {
    const result = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--json',
      '--big-key-bytes', '20000', '--checkpoint', h.checkpoint('main')], {timeoutMs: 180_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    assert.ok(migration.stats.bigKeys >= 3, `big keys chunked: ${migration.stats.bigKeys}`)
    assert.equal(migration.stats.duplicates, 1)
    assert.deepEqual(migration.stats.examples.duplicates[0], {key: 'dup:key', keptFrom: h.sources[0] && `127.0.0.1:${h.sources[0].port}`, alsoOn: `127.0.0.1:${h.sources[2].port}`})

    // Independent of verify: counts, values, expiries, read back by other means.
    assert.equal(await targetKeyCount(h), (await sourceKeyCount(h)) - 1)
    assert.equal(await h.target.get('dup:key'), 'first')
    for (const [i, key] of BINARY_KEYS.entries()) {
      const name = Buffer.concat([Buffer.from('s1:'), key])
      assert.deepEqual(await h.target.getBuffer(name), Buffer.from([i, 0, 255, 13, 10]))
    }
    assert.equal(Number(await h.target.call('PEXPIRETIME', 's0:abs-ttl')), Number(await h.clients[0].call('PEXPIRETIME', 's0:abs-ttl')))
    assert.equal(Number(await h.target.call('PEXPIRETIME', 's2:5')), Number(await h.clients[2].call('PEXPIRETIME', 's2:5')))
    assert.equal(await h.target.hlen('s0:big:hash'), BIG)
    assert.equal(Number(await h.target.call('PEXPIRETIME', 's0:big:hash')), Number(await h.clients[0].call('PEXPIRETIME', 's0:big:hash')))
    assert.equal(await h.target.llen('s1:big:list'), BIG)
    assert.deepEqual(await h.target.lrange('s1:big:list', 0, 2), await h.clients[1].lrange('s1:big:list', 0, 2))
    assert.equal(await h.target.zscore('s2:big:zset', 'member-7-wwwwwwwwwwwwwwwwwwww'), await h.clients[2].zscore('s2:big:zset', 'member-7-wwwwwwwwwwwwwwwwwwww'))
    assert.equal(await h.target.xlen('{s0}:big:stream'), BIG)
    assert.equal(await h.target.strlen('s1:big:string'), BIG * 40)
    const groups = (await h.target.xinfo('GROUPS', 's0:big:stream-group')) as unknown[][]
    assert.equal(groups.length, 1)
    assert.equal(groups[0][groups[0].indexOf('pending') + 1], 3)
    assert.equal(await h.target.get('{s0-user}:email'), 'ann@example.org')
    assert.equal(await h.target.pfcount('s2:hll'), 3)
  })

  test('a rerun finds every key already identical and copies nothing', async () => {
    const result = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--json',
      '--big-key-bytes', '20000', '--checkpoint', h.checkpoint('rerun')], {timeoutMs: 180_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.stats.copied, 0)
    assert.equal(migration.stats.identical, migration.stats.scanned - migration.stats.duplicates)
  })

  test('--on-conflict fail stops on a target key with another value; skip keeps the target value and verify reports it', async () => {
    await h.clients[0].set('conflict:k', 'from-source')
    await h.target.set('conflict:k', 'on-target')
    const failed = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address,
      '--checkpoint', h.checkpoint('conflict')], {timeoutMs: 180_000})
    assert.notEqual(failed.code, 0)
    assert.match(failed.stderr, /conflict:k/)
    assert.match(failed.stderr, /--on-conflict/)
    assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace')
    assert.equal(await h.target.get('conflict:k'), 'on-target')

    const skipped = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--json',
      '--on-conflict', 'skip', '--resume', '--checkpoint', h.checkpoint('conflict')], {timeoutMs: 180_000})
    assert.equal(skipped.code, 1, 'verify reports the value left different')
    const {migration} = JSON.parse(skipped.stdout)
    assert.equal(migration.stats.conflictsSkipped, 1)
    assert.deepEqual(migration.verify.mismatches, [{kind: 'value', key: 'conflict:k', detail: `string values differ (127.0.0.1:${h.sources[0].port} vs target)`}])
    assert.equal(await h.target.get('conflict:k'), 'on-target')
    await h.clients[0].del('conflict:k')
    await h.target.del('conflict:k')
  })

  test('migrate verify finds nothing on a clean copy', async () => {
    const result = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address])
    assert.equal(result.code, 0, result.stderr + result.stdout)
    assert.match(result.stdout, /No mismatches/)
  })

  test('migrate verify catches planted mismatches of every kind, with their keys', async () => {
    await h.target.hset('s0:4', 'n', 'tampered')                    // value
    await h.target.del('s1:1')                                      // missing
    await h.target.set('planted:extra', 'x')                        // extra
    await h.target.pexpire('s2:2', 86_400_000)                      // ttl (had none)
    await h.target.del('s0:0')
    await h.target.rpush('s0:0', 'not-a-string')                    // type
    await h.target.hset('s1:big:hash', 'field-5', 'tampered')       // value, in a big key
    await h.target.sadd('s0:8', 'planted')                          // value, a hash-table set (digested by members)
    const result = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address, '--json'])
    assert.equal(result.code, 1, result.stderr)
    const report = JSON.parse(result.stdout)
    const found = report.mismatches.map((m: {kind: string; key: string}) => `${m.kind} ${m.key}`).sort()
    assert.deepEqual(found, ['extra planted:extra', 'missing s1:1', 'ttl s2:2', 'type s0:0', 'value s0:4', 'value s0:8', 'value s1:big:hash'])
    assert.deepEqual(report.counts, {missing: 1, extra: 1, type: 1, value: 3, ttl: 1})

    const human = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address])
    assert.equal(human.code, 1)
    assert.match(human.stdout, /7 mismatch/)
    assert.match(human.stdout, /planted:extra/)
  })

  test('bad input gets one sentence naming the flag', async () => {
    const badFrom = await twlab(['migrate', '--from', 'nonsense', '--to-cluster', h.cluster.address])
    assert.notEqual(badFrom.code, 0)
    assert.match(badFrom.stderr, /--from "nonsense" is not HOST:PORT/)
    const notCluster = await twlab(['migrate', '--from', h.from, '--to-cluster', `127.0.0.1:${h.sources[0].port}`])
    assert.notEqual(notCluster.code, 0)
    assert.match(notCluster.stderr, /not a Redis Cluster node/)
    assert.doesNotMatch(notCluster.stderr, /\n\s+at /)
  })

  test('IPv6 addresses are read in brackets: --to-cluster and --from name the server, not the syntax', async () => {
    const toCluster = await twlab(['migrate', '--from', h.from, '--to-cluster', '[::1]:1', '--dry-run'])
    assert.notEqual(toCluster.code, 0)
    assert.doesNotMatch(toCluster.stderr, /not HOST:PORT/)
    assert.match(toCluster.stderr, /target cluster ::1:1/)
    const from = await twlab(['migrate', 'verify', '--from', '[::1]:1', '--to-cluster', h.cluster.address])
    assert.notEqual(from.code, 0)
    assert.doesNotMatch(from.stderr, /not HOST:PORT/)
    assert.match(from.stderr, /source ::1:1/)
  })
})
