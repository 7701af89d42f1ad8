// twlab migrate -c nutcracker.yml: the pool's own hashing decides which copy of a key found on
// two servers wins, misplaced keys are still copied, and the plan sees hash_tag groups that the
// cluster will split across slots.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {PoolTarget, pickPool} from '../../src/targets/index.js'
import {readPoolConfig} from '../../src/targets/pool-config.js'
import {twlab} from '../support/cli.js'
import {freePort} from '../support/servers.js'
import {sourceKeyCount, startHarness, targetKeyCount, type Harness} from '../migrate/harness.js'

describe('twlab migrate -c nutcracker.yml', () => {
  let h: Harness
  let config: string
  let pool: PoolTarget
  const serverIndex = new Map<string, number>()

  before(async () => {
    h = await startHarness(3)
    config = join(h.dir, 'nutcracker.yml')
    writeFileSync(config, [
      'alpha:',
      `  listen: 127.0.0.1:${await freePort()}`,
      '  hash: fnv1a_64',
      '  distribution: ketama',
      '  hash_tag: "[]"',
      '  redis: true',
      '  servers:',
      ...h.sources.map((s) => `   - 127.0.0.1:${s.port}:1`),
      '',
    ].join('\n'))
    pool = new PoolTarget(pickPool(await readPoolConfig(config), undefined))
    for (const [i, s] of h.sources.entries()) serverIndex.set(`127.0.0.1:${s.port}`, i)
    const owner = (key: string) => serverIndex.get(pool.ownerOf(key).address) as number
    for (let i = 0; i < 600; i++) await h.clients[owner(`k:${i}`)].set(`k:${i}`, `v${i}`)
    for (const member of ['a', 'b', 'c', 'd']) await h.clients[owner(`[grp1]${member}`)].set(`[grp1]${member}`, member)
    const dupOwner = owner('dup')
    await h.clients[dupOwner].set('dup', 'owner-value')
    await h.clients[(dupOwner + 1) % 3].set('dup', 'stale-value')
    await h.clients[(owner('stray') + 1) % 3].set('stray', 'only here')
  })

  after(async () => {
    await pool?.close()
    await h?.stop()
  })

  test('the plan reports hash_tag groups that land in several cluster slots', async () => {
    const result = await twlab(['migrate', '-c', config, '--to-cluster', h.cluster.address, '--dry-run', '--json', '--plan-sample', '0'])
    assert.equal(result.code, 0, result.stderr)
    const {plan} = JSON.parse(result.stdout)
    assert.equal(plan.crossSlot.poolHashTag, '[]')
    assert.equal(plan.crossSlot.split, 1)
    assert.equal(plan.crossSlot.splitExamples[0].tag, 'grp1')
    assert.deepEqual(plan.sources.map((s: {name: string}) => s.name).sort(), h.sources.map((s) => `127.0.0.1:${s.port}`).sort())
  })

  test('the copy on the server hashing routes a key to wins; misplaced keys are copied and reported', async () => {
    const result = await twlab(['migrate', '-c', config, '--to-cluster', h.cluster.address, '--json',
      '--checkpoint', h.checkpoint('pool')], {timeoutMs: 120_000})
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.equal(migration.stats.duplicates, 1)
    assert.equal(migration.stats.examples.duplicates[0].key, 'dup')
    assert.equal(migration.stats.examples.duplicates[0].keptFrom, pool.ownerOf('dup').name)
    assert.equal(migration.stats.misplaced, 1)
    assert.equal(migration.stats.examples.misplaced[0].key, 'stray')
    assert.equal(await h.target.get('dup'), 'owner-value')
    assert.equal(await h.target.get('stray'), 'only here')
    assert.equal(await targetKeyCount(h), (await sourceKeyCount(h)) - 1)
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})

    const verify = await twlab(['migrate', 'verify', '-c', config, '--to-cluster', h.cluster.address])
    assert.equal(verify.code, 0, verify.stderr + verify.stdout)
  })

  test('no source at all is one sentence naming the flags', async () => {
    const result = await twlab(['migrate', '--to-cluster', h.cluster.address], {env: {TWLAB_HOME: h.dir}})
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /No source to migrate from: give -c nutcracker.yml/)
  })
})
