import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import type {Redis} from 'ioredis'
import {keySlot} from '../../src/hashing/index.js'
import {preflight} from '../../src/cluster/preflight.js'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {stopAll} from '../support/servers.js'
import {startCluster, type TestCluster} from './cluster-fixture.js'

const LIMIT = 100 * 1024
const ELEMENTS = 3000
const VALUE = 'v'.repeat(64)

/** Every key of `slots` on `client` whose MEMORY USAGE is over `limit`: what the preflight must report. */
async function keysOver(client: Redis, slots: number[], limit: number): Promise<string[]> {
  const over: string[] = []
  for (const slot of slots) {
    for (const key of (await client.call('CLUSTER', 'GETKEYSINSLOT', slot, 100_000)) as string[]) {
      if (Number(await client.call('MEMORY', 'USAGE', key)) > limit) over.push(key)
    }
  }
  return over.sort()
}

/** A hash tag whose slot is below 100 (owned by the first master), distinct for each `name`. */
function tagBelow100(name: string): string {
  for (let i = 0; i < 100_000; i++) if (keySlot(`${name}${i}`) < 100) return `${name}${i}`
  throw new Error(`no tag for ${name} below slot 100`)
}

// Slots 0-99 (owned by the first master) hold, for every type, one small key in its compact
// encoding and one big key over the limit in its general encoding; then, with the listpack and
// intset limits raised, big keys in compact encodings.
describe('reshard preflight: big keys of every type', () => {
  let cluster: TestCluster
  let target: ClusterTarget
  let first: Redis
  const slots = Array.from({length: 100}, (_, slot) => slot)

  before(async () => {
    cluster = await startCluster({masters: 2})
    first = cluster.admin.get(cluster.masters[0])!
    target = await ClusterTarget.connect(cluster.seed)
  })
  after(async () => {
    await target?.close()
    await cluster?.stop()
    await stopAll()
  })

  const moves = () => {
    const from = target.ownerOfSlot(0)!.id
    const to = target.masters().find((node) => node.id !== from)!.id
    return slots.map((slot) => ({slot, from, to}))
  }

  /** Writes a key of each type under `tag`: `count` elements each, members `size` bytes long (numbers for the set). */
  async function writeEveryType(tag: string, count: number, size: number): Promise<void> {
    const pipeline = first.pipeline()
    const member = (i: number) => `${i}:`.padEnd(size, 'm')
    pipeline.set(`{${tag}}:string`, 's'.repeat(count * size))
    for (let i = 0; i < count; i += 500) {
      const chunk = Array.from({length: Math.min(500, count - i)}, (_, k) => i + k)
      pipeline.hset(`{${tag}}:hash`, ...chunk.flatMap((n) => [member(n), VALUE.slice(0, size)]))
      pipeline.rpush(`{${tag}}:list`, ...chunk.map(member))
      pipeline.sadd(`{${tag}}:set`, ...chunk.map((n) => String(1_000_000_000_000 + n)))
      pipeline.zadd(`{${tag}}:zset`, ...chunk.flatMap((n) => [n, member(n)]))
      for (const n of chunk) pipeline.xadd(`{${tag}}:stream`, '*', 'f', member(n))
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error
  }

  const encodings = async (tag: string) => Object.fromEntries(await Promise.all(['string', 'hash', 'list', 'set', 'zset', 'stream']
    .map(async (type) => [type, String(await first.call('OBJECT', 'ENCODING', `{${tag}}:${type}`))])))

  test('a big key of each type is reported, the small ones of each type are not', async () => {
    const small = tagBelow100('small')
    const big = tagBelow100('big')
    await writeEveryType(small, 10, 16)
    await writeEveryType(big, ELEMENTS, 64)
    const bigEncodings = await encodings(big)
    assert.deepEqual(bigEncodings, {string: 'raw', hash: 'hashtable', list: 'quicklist', set: 'hashtable', zset: 'skiplist', stream: 'stream'})
    const pre = await preflight(target, moves(), LIMIT)
    const reported = pre.bigKeys.map((key) => key.key).sort()
    assert.deepEqual(reported, ['string', 'hash', 'list', 'set', 'zset', 'stream'].map((type) => `{${big}}:${type}`).sort())
    assert.deepEqual(reported, await keysOver(first, slots, LIMIT))
    for (const key of pre.bigKeys) assert.equal(key.slot, keySlot(key.key))
  })

  test('with the listpack and intset limits raised, big keys in compact encodings are reported', async () => {
    const raised = {'hash-max-listpack-entries': '100000', 'hash-max-listpack-value': '100000', 'zset-max-listpack-entries': '100000',
      'zset-max-listpack-value': '100000', 'set-max-intset-entries': '100000'}
    const before: Array<[string, string]> = await Promise.all(Object.keys(raised).map(async (name) => [name, ((await first.call('CONFIG', 'GET', name)) as string[])[1]] as [string, string]))
    for (const [name, value] of Object.entries(raised)) await first.call('CONFIG', 'SET', name, value)
    try {
      const packed = tagBelow100('packed')
      await writeEveryType(packed, ELEMENTS, 64)
      // 8-byte integers: an intset over the limit needs more members than the other types
      for (let i = 0; i < 15_000; i += 1000) await first.sadd(`{${packed}}:set`, ...Array.from({length: 1000}, (_, k) => String(2_000_000_000_000 + i + k)))
      const packedEncodings = await encodings(packed)
      assert.deepEqual([packedEncodings.hash, packedEncodings.set, packedEncodings.zset], ['listpack', 'intset', 'listpack'])
      const pre = await preflight(target, moves(), LIMIT)
      const reported = pre.bigKeys.map((key) => key.key).sort()
      for (const type of ['hash', 'set', 'zset']) assert.ok(reported.includes(`{${packed}}:${type}`), `${type} in ${reported.join(', ')}`)
      assert.deepEqual(reported, await keysOver(first, slots, LIMIT))
    } finally {
      for (const [name, value] of before) await first.call('CONFIG', 'SET', name, value)
    }
  })
})
