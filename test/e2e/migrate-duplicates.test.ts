// Keys on several --from servers: the first server listed wins, whichever copy reaches the
// target first (pages are written before the other servers are asked, duplicates.ts).
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {twlab} from '../support/cli.js'
import {fillMixed} from '../migrate/dataset.js'
import {startHarness, type Harness} from '../migrate/harness.js'

describe('twlab migrate with keys on several --from servers', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(3)
    for (const [i, client] of h.clients.entries()) await fillMixed(client, `s${i}`, 300)
    await h.clients[0].set('dup:a', 'first')
    await h.clients[2].set('dup:a', 'third')
    // As if the third server's copy had landed first.
    await h.target.set('dup:a', 'third')
    await h.clients[1].set('dup:b', 'one')
    await h.clients[2].set('dup:b', 'two')
    for (const client of h.clients) await client.set('dup:c', 'same')
    await h.clients[2].rpush('dup:d', 'x', 'y')
    await h.clients[1].set('dup:d', 'string on an earlier server')
  })

  after(async () => {
    await h?.stop()
  })

  test('the first server listed that holds a key wins, even over a later copy already on the target', async () => {
    const result = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--json',
      '--checkpoint', h.checkpoint('dups')], {timeoutMs: 180_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    assert.equal(await h.target.get('dup:a'), 'first')
    assert.equal(await h.target.get('dup:b'), 'one')
    assert.equal(await h.target.get('dup:c'), 'same')
    assert.equal(await h.target.get('dup:d'), 'string on an earlier server')
    assert.ok(migration.stats.duplicates >= 4, `duplicates: ${migration.stats.duplicates}`)
    const kept = new Map(migration.stats.examples.duplicates.map((d: {key: string; keptFrom: string}) => [d.key, d.keptFrom]))
    assert.equal(kept.get('dup:a'), `127.0.0.1:${h.sources[0].port}`)
    assert.equal(kept.get('dup:b'), `127.0.0.1:${h.sources[1].port}`)
    assert.equal(kept.get('dup:d'), `127.0.0.1:${h.sources[1].port}`)
  })

  test('migrate verify counts a key held by several servers once, and still names every extra key and every other expiry', async () => {
    const clean = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address, '--json'], {timeoutMs: 120_000})
    assert.equal(clean.code, 0, clean.stderr + clean.stdout)
    const report = JSON.parse(clean.stdout)
    // 3 x 300 keys, and dup:a, dup:b, dup:c, dup:d once each although they are on 2, 2, 3 and 2 servers
    assert.equal(report.checked, 904)
    assert.equal(report.targetKeys, 904)
    assert.deepEqual(report.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    // As many extra keys as the sources' keys were found more than once (5): counts alone cannot tell them apart.
    const extras = ['extra:1', 'extra:2', 'extra:3', 'extra:4', 'extra:5']
    for (const key of extras) await h.target.set(key, 'on no source')
    try {
      const dirty = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address, '--json'], {timeoutMs: 120_000})
      assert.equal(dirty.code, 1, dirty.stderr + dirty.stdout)
      const found = JSON.parse(dirty.stdout)
      assert.equal(found.counts.extra, 5)
      assert.deepEqual(found.mismatches.map((m: {key: string}) => m.key).sort(), extras)
    } finally {
      for (const key of extras) await h.target.del(key)
    }
    // an expiry the servers do not give, on a key of the second server (read by count, not per key)
    await h.target.pexpire('s1:1', 3_600_000)
    try {
      const ttl = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address, '--json'], {timeoutMs: 120_000})
      assert.equal(ttl.code, 1, ttl.stderr + ttl.stdout)
      assert.deepEqual(JSON.parse(ttl.stdout).mismatches.map((m: {kind: string; key: string}) => `${m.kind} ${m.key}`), ['ttl s1:1'])
    } finally {
      await h.target.persist('s1:1')
    }
  })

  test('--on-conflict replace keeps the same winners', async () => {
    await h.target.set('dup:b', 'two')
    const result = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--json', '--yes',
      '--on-conflict', 'replace', '--checkpoint', h.checkpoint('replace')], {timeoutMs: 180_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    assert.equal(await h.target.get('dup:a'), 'first')
    assert.equal(await h.target.get('dup:b'), 'one')
    assert.equal(await h.target.get('dup:d'), 'string on an earlier server')
  })
})
