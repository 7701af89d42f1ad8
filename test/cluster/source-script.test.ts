// Slot moves where the source runs GETKEYSINSLOT + MIGRATE itself (source-script.ts): many small
// slots per script call, one large slot over several calls, TTLs kept, a key on both sides
// (identical: overwritten; different: the move stops and says so), the client path taking over
// when scripts are not allowed, and with a password (MIGRATE authenticating as the same user).
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import type {Redis} from 'ioredis'
import {keySlot} from '../../src/hashing/index.js'
import {Journal} from '../../src/cluster/journal.js'
import {preflight} from '../../src/cluster/preflight.js'
import {runMoves} from '../../src/cluster/run.js'
import {groupSlots} from '../../src/cluster/source-script.js'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {stopAll} from '../support/servers.js'
import {startCluster, waitClusterStable, type TestCluster} from './cluster-fixture.js'

describe('reshard: keys moved by a script on the source', () => {
  let cluster: TestCluster
  let home: string
  let first: Redis
  let second: Redis
  let journals = 0

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'twlab-source-script-'))
    cluster = await startCluster({masters: 2})
    first = cluster.admin.get(cluster.masters[0])!
    second = cluster.admin.get(cluster.masters[1])!
  })
  after(async () => {
    await cluster?.stop()
    await stopAll()
    rmSync(home, {recursive: true, force: true})
  })

  /** Writes `count` keys into `slot` (sharing a hash tag found for it) on `client`; returns their names. */
  async function fillSlot(client: Redis, slot: number, count: number, prefix: string): Promise<string[]> {
    let tag = ''
    for (let i = 0; tag === '' && i < 1_000_000; i++) if (keySlot(`t${i}`) === slot) tag = `t${i}`
    assert.notEqual(tag, '')
    const keys = Array.from({length: count}, (_, i) => `${prefix}:{${tag}}:${i}`)
    const pipeline = client.pipeline()
    for (const key of keys) pipeline.set(key, `value of ${key}`)
    await pipeline.exec()
    return keys
  }

  /** Moves `slots` from the node owning the first to the other master, as reshard does after its preflight. */
  async function move(slots: number[], auth: {username?: string; password?: string} = {}, batch = 100) {
    const target = await ClusterTarget.connect(cluster.seed, auth)
    try {
      const from = target.ownerOfSlot(slots[0])!.id
      const to = target.masters().find((node) => node.id !== from)!.id
      const moves = slots.map((slot) => ({slot, from, to}))
      const pre = await preflight(target, moves, 0)
      const journal = Journal.create({operation: 'test', seed: cluster.seed, nodes: {}, moves}, join(home, `journal-${++journals}.jsonl`))
      const result = await runMoves(target, moves, journal, {batch, parallel: 16, timeoutMs: 10_000, replace: false, expectedKeys: pre.keysBySlot})
      return {result, to}
    } finally {
      await target.close()
    }
  }

  test('packs small slots into one call and splits a large one, by the expected key counts', () => {
    const expected = new Map([[1, 10], [2, 10], [3, 250], [4, 0]])
    assert.deepEqual(groupSlots([1, 2, 3, 4, 5], (slot) => expected.get(slot), 100), [[1, 2], [3], [4], [5]])
    assert.deepEqual(groupSlots([1, 2, 4], (slot) => expected.get(slot), 100), [[1, 2, 4]])
  })

  test('moves many small slots and one larger than several batches, keeping values and TTLs', async () => {
    const small: string[] = []
    for (let slot = 0; slot < 40; slot++) small.push(...await fillSlot(first, slot, 3, 'small'))
    const large = await fillSlot(first, 40, 350, 'large')
    await first.pexpire(large[0], 600_000)
    await first.call('CONFIG', 'RESETSTAT')
    const {result} = await move(Array.from({length: 41}, (_, slot) => slot))
    assert.equal(result.status, 'complete', JSON.stringify(result.failed))
    assert.equal(result.keysMoved, small.length + large.length)
    assert.equal(Number(await first.call('CLUSTER', 'COUNTKEYSINSLOT', 40)), 0)
    assert.equal(Number(await second.call('CLUSTER', 'COUNTKEYSINSLOT', 40)), 350)
    const values = await second.mget(...small.filter((key) => keySlot(key) === 7))
    assert.deepEqual(values, small.filter((key) => keySlot(key) === 7).map((key) => `value of ${key}`))
    const ttl = await second.pttl(large[0])
    assert.ok(ttl > 500_000 && ttl <= 600_000, `TTL after the move: ${ttl}`)
    // the source ran the MIGRATEs (one per slot at least), in far fewer script calls than slots
    const stats = await commandStats(first)
    assert.ok((stats.get('migrate')?.calls ?? 0) >= 41, JSON.stringify([...stats]))
    assert.ok((stats.get('eval')?.calls ?? 0) > 0 && stats.get('eval')!.calls < 20, JSON.stringify([...stats]))
    await waitClusterStable(cluster)
  })

  test('a key already on the target: identical is overwritten, different stops the move with the key named', async () => {
    // slots 100 and 101 belong to the first master; the second holds copies it could only have
    // got from an earlier, cut-short move
    const [same] = await fillSlot(first, 100, 1, 'same')
    const [diff] = await fillSlot(first, 101, 1, 'diff')
    const firstId = String(await first.call('CLUSTER', 'MYID'))
    for (const [slot, key, value] of [[100, same, `value of ${same}`], [101, diff, 'something else']] as const) {
      await second.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', firstId)
      await second.call('ASKING')
      await second.set(key, value)
    }
    const identical = await move([100])
    assert.equal(identical.result.status, 'complete', JSON.stringify(identical.result.failed))
    assert.equal(await second.get(same), `value of ${same}`)

    const different = await move([101])
    assert.equal(different.result.status, 'failed')
    assert.match(different.result.failed[0].error, /different values/)
    assert.ok(different.result.failed[0].error.includes(diff), different.result.failed[0].error)
    // nothing was overwritten: each side still holds its own value
    assert.equal(await first.get(diff), `value of ${diff}`)
    await second.call('ASKING')
    assert.equal(await second.get(diff), 'something else')
    // settle it as a user would, keeping the source's value, so the next test starts clean
    const [host, port] = cluster.masters[1].split(':')
    await first.call('MIGRATE', host, Number(port), '', 0, 5000, 'REPLACE', 'KEYS', diff)
    const secondId = String(await second.call('CLUSTER', 'MYID'))
    for (const client of [second, first]) await client.call('CLUSTER', 'SETSLOT', 101, 'NODE', secondId)
    await waitClusterStable(cluster)
  })

  test('without permission to run scripts, the client moves the keys', async () => {
    const keys = await fillSlot(first, 200, 120, 'noperm')
    try {
      for (const client of cluster.admin.values()) await client.call('ACL', 'SETUSER', 'default', '-eval', '-evalsha')
      await first.call('CONFIG', 'RESETSTAT')
      const {result} = await move([200], {}, 50)
      assert.equal(result.status, 'complete', JSON.stringify(result.failed))
      assert.equal(result.keysMoved, keys.length)
      assert.equal(Number(await second.call('CLUSTER', 'COUNTKEYSINSLOT', 200)), 120)
      const stats = await commandStats(first)
      assert.equal(stats.get('eval')?.calls ?? 0, 0, 'no script ran')
      assert.ok((stats.get('eval')?.failed ?? 0) > 0, 'the script was tried and refused')
      assert.ok((stats.get('migrate')?.calls ?? 0) >= 3, 'the client sent MIGRATE in batches of 50')
    } finally {
      for (const client of cluster.admin.values()) await client.call('ACL', 'SETUSER', 'default', '+@all')
    }
    await waitClusterStable(cluster)
  })

  test('with a password, MIGRATE authenticates as the same user and no script carries the password', async () => {
    for (const client of cluster.admin.values()) {
      await client.call('ACL', 'SETUSER', 'mover', 'on', '>mover-secret', '~*', '+@all')
    }
    const keys = await fillSlot(first, 300, 120, 'auth')
    await first.call('CONFIG', 'RESETSTAT')
    // every command into SLOWLOG, which hides MIGRATE's AUTH argument but not a script's
    await first.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0')
    await first.call('SLOWLOG', 'RESET')
    try {
      const {result} = await move([300], {username: 'mover', password: 'mover-secret'}, 50)
      assert.equal(result.status, 'complete', JSON.stringify(result.failed))
      assert.equal(result.keysMoved, keys.length)
    } finally {
      await first.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000')
    }
    assert.equal(Number(await second.call('CLUSTER', 'COUNTKEYSINSLOT', 300)), 120)
    const logged = JSON.stringify(await first.call('SLOWLOG', 'GET', '-1'))
    assert.ok(logged.includes('MIGRATE') || logged.includes('migrate'), 'the slow log saw the MIGRATEs')
    assert.ok(!logged.includes('mover-secret'), 'the password is in the slow log')
    assert.ok(((await commandStats(first)).get('migrate')?.calls ?? 0) >= 3)
    await waitClusterStable(cluster)
  })
})

/** INFO commandstats as name -> {calls, failed}. */
async function commandStats(client: Redis): Promise<Map<string, {calls: number; failed: number}>> {
  const stats = new Map<string, {calls: number; failed: number}>()
  for (const line of String(await client.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),.*?rejected_calls=(\d+),failed_calls=(\d+)/.exec(line.trim())
    if (match) stats.set(match[1], {calls: Number(match[2]), failed: Number(match[3]) + Number(match[4])})
  }
  return stats
}
