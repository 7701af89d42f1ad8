// migrate verify reads a target key's expiry only when the source gives the key one; that the
// other keys have none on the target is settled by counting each master's keys with an expiry
// (expiry-count.ts). The saving is real (fewer PEXPIRETIME calls than keys on the target), and
// an expiry the source does not have is still found, whether or not the counts alone show it.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {twlab} from '../support/cli.js'
import {fillMixed} from '../migrate/dataset.js'
import {sourceKeyCount, startHarness, type Harness} from '../migrate/harness.js'

/** PEXPIRETIME calls the target masters answered since their stats were last reset (then reset). */
async function targetExpiryReads(h: Harness): Promise<number> {
  let calls = 0
  for (const master of h.cluster.masters) {
    const client = new Redis({host: '127.0.0.1', port: master.port})
    const stats = await client.info('commandstats')
    await client.config('RESETSTAT')
    client.disconnect()
    calls += Number(/^cmdstat_pexpiretime:calls=(\d+)/m.exec(stats)?.[1] ?? 0)
  }
  return calls
}

async function verify(h: Harness): Promise<{code: number | null; report: {checked: number; counts: Record<string, number>; mismatches: Array<{kind: string; key: string}>}}> {
  const result = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address, '--json'], {timeoutMs: 120_000})
  return {code: result.code, report: JSON.parse(result.stdout)}
}

describe('twlab migrate verify: expiries settled by count', () => {
  let h: Harness
  let volatileKeys = 0

  before(async () => {
    h = await startHarness(1)
    await fillMixed(h.clients[0], 's0', 1000) // every fifth key has an expiry
    volatileKeys = Number(/expires=(\d+)/.exec(await h.clients[0].info('keyspace'))?.[1])
    const copy = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--json', '--no-verify', '--checkpoint', h.checkpoint('copy')], {timeoutMs: 180_000})
    assert.equal(copy.code, 0, copy.stderr + copy.stdout)
    await targetExpiryReads(h)
  })

  after(async () => {
    await h?.stop()
  })

  test('a clean copy reads on the target only the expiries the source gives', async () => {
    const {code, report} = await verify(h)
    assert.equal(code, 0, JSON.stringify(report))
    assert.equal(report.checked, await sourceKeyCount(h))
    assert.equal(volatileKeys, 200)
    assert.equal(await targetExpiryReads(h), volatileKeys)
  })

  test('an expiry the source does not give is reported: the master\'s count differs', async () => {
    await h.target.pexpire('s0:1', 3_600_000)
    try {
      const {code, report} = await verify(h)
      assert.equal(code, 1)
      assert.deepEqual(report.mismatches.map((m) => `${m.kind} ${m.key}`), ['ttl s0:1'])
    } finally {
      await h.target.persist('s0:1')
    }
  })

  test('an expiry lost by one key and gained by another of the same master: both reported', async () => {
    await h.clients[0].set('{pair}:a', 'a', 'PX', 3_600_000)
    await h.clients[0].set('{pair}:b', 'b')
    await h.target.set('{pair}:a', 'a') // lost its expiry
    await h.target.set('{pair}:b', 'b', 'PX', 3_600_000) // gained one: the master's INFO count is unchanged
    try {
      const {code, report} = await verify(h)
      assert.equal(code, 1)
      assert.deepEqual(report.mismatches.map((m) => `${m.kind} ${m.key}`).sort(), ['ttl {pair}:a', 'ttl {pair}:b'])
    } finally {
      await h.clients[0].del('{pair}:a', '{pair}:b')
      await h.target.del('{pair}:a', '{pair}:b')
    }
  })
})
