// A target master dies in the middle of a migration: its replica takes over, the migration keeps
// going (writes are retried and follow the new slot map), and the final check re-copies what
// the dead master had acknowledged but not yet replicated. Verify ends clean.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {twlab} from '../support/cli.js'
import {sleep} from '../support/servers.js'
import {fillMixed} from '../migrate/dataset.js'
import {sourceKeyCount, startHarness, type Harness} from '../migrate/harness.js'

function scanned(checkpoint: string): number {
  if (!existsSync(checkpoint)) return 0
  try {
    return (JSON.parse(readFileSync(checkpoint, 'utf8')) as {stats: {scanned: number}}).stats.scanned
  } catch {
    return 0
  }
}

/** Keys on the masters the cluster has now (after the failover), asked of a surviving node. */
async function liveMasterKeys(port: number): Promise<number> {
  const seed = new Redis({host: '127.0.0.1', port})
  try {
    const lines = String(await seed.call('CLUSTER', 'NODES')).trim().split('\n')
    let total = 0
    for (const line of lines) {
      const [, address, flags] = line.split(' ')
      if (!flags.includes('master') || flags.includes('fail')) continue
      const node = new Redis({host: '127.0.0.1', port: Number(address.split('@')[0].split(':')[1])})
      total += await node.dbsize()
      node.disconnect()
    }
    return total
  } finally {
    seed.disconnect()
  }
}

describe('twlab migrate while a target master fails over', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(2, {replicasPerMaster: 1})
    await fillMixed(h.clients[0], 'a', 8_000)
    await fillMixed(h.clients[1], 'b', 8_000)
  })

  after(async () => {
    await h?.stop()
  })

  test('the migration rides through the failover and verifies clean', async () => {
    const checkpoint = h.checkpoint('failover')
    const run = twlab(['migrate', '--from', h.from, '--to-cluster', `127.0.0.1:${h.cluster.masters[1].port}`, '--json',
      '--checkpoint', checkpoint, '--scan-count', '50'], {timeoutMs: 240_000})
    const deadline = Date.now() + 60_000
    for (let i = 0; i < 6000 && Date.now() < deadline && scanned(checkpoint) < 3000; i++) await sleep(10)
    assert.ok(scanned(checkpoint) >= 3000, 'the copy was under way')
    h.cluster.masters[0].child.kill('SIGKILL')
    const result = await run
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    assert.ok(migration.stats.scanned < 2 * (await sourceKeyCount(h)), 'no restart from scratch')
    assert.equal(await liveMasterKeys(h.cluster.masters[1].port), await sourceKeyCount(h))
  })
})
