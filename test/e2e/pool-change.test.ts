// twlab pool add-server / remove-server on a 3-server ketama pool behind twproxy, while the
// consistency checker INCRs through twproxy: no acknowledged write is lost, every key written
// before is readable through twproxy after (value and TTL), each on its new owner only.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {runConsistencyCheck, type ConsistencyReport} from '../../src/check/consistency.js'
import {parseConfig} from '../../src/config/index.js'
import {KeyPlacer} from '../../src/hashing/index.js'
import {twlab} from '../support/cli.js'
import {missingOrWrong, preload, startPoolFixture, type PoolFixture} from './pool-fixture.js'


async function underLoad(fixture: PoolFixture, work: () => Promise<void>): Promise<ConsistencyReport> {
  const abort = new AbortController()
  const checker = runConsistencyCheck({
    host: '127.0.0.1', port: fixture.proxyPort, cluster: false, durationMs: 120_000, keys: 300,
    concurrency: 8, commandTimeoutMs: 5000, keep: false, signal: abort.signal,
  })
  try {
    // let the checker get going so writes are in flight when the switch happens
    await new Promise((resolve) => setTimeout(resolve, 300))
    await work()
    await new Promise((resolve) => setTimeout(resolve, 300))
  } finally {
    abort.abort()
  }
  return checker
}

/** For every key: the servers (by index into fixture.redis) that hold it, directly. */
async function holders(fixture: PoolFixture, keys: string[]): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>(keys.map((key) => [key, []]))
  for (let i = 0; i < fixture.redis.length; i++) {
    const client = fixture.direct(i)
    const exists = await Promise.all(keys.map((key) => client.exists(key)))
    keys.forEach((key, j) => {
      if (exists[j] === 1) result.get(key)!.push(i)
    })
  }
  return result
}

describe('pool add-server and remove-server through twproxy', () => {
  let fixture: PoolFixture
  let keys: Awaited<ReturnType<typeof preload>>

  before(async () => {
    fixture = await startPoolFixture({total: 4, inPool: 3, proxy: 'twproxy'})
    keys = await preload(fixture.proxyClient(), 'pool:test', 3000)
  })

  after(async () => {
    await fixture?.stop()
  })

  test('--dry-run shows the plan and changes nothing', async () => {
    const text = readFileSync(fixture.configFile, 'utf8')
    const result = await twlab(['pool', 'add-server', fixture.address(3), 's4', '-c', fixture.configFile, '--proxy-pid', String(fixture.proxy.pid), '--dry-run', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const plan = JSON.parse(result.stdout)
    assert.equal(plan.status, 'dry-run')
    assert.equal(plan.scanned, 3000)
    const moving = plan.pairs.reduce((sum: number, pair: {keys: number}) => sum + pair.keys, 0)
    assert.ok(moving > 300 && moving < 1500, `about a quarter of the keys move, not ${moving}`)
    assert.ok(plan.pairs.every((pair: {to: string}) => pair.to === 's4'))
    assert.equal(readFileSync(fixture.configFile, 'utf8'), text)
  })

  test('without a terminal or --yes it refuses', async () => {
    const result = await twlab(['pool', 'add-server', fixture.address(3), 's4', '-c', fixture.configFile, '--proxy-pid', String(fixture.proxy.pid)])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /--yes/)
  })

  test('add-server under writes: no lost write, every key readable on its new owner', async () => {
    let result: Awaited<ReturnType<typeof twlab>> | undefined
    const report = await underLoad(fixture, async () => {
      result = await twlab(['pool', 'add-server', fixture.address(3), 's4', '-c', fixture.configFile, '--proxy-pid', String(fixture.proxy.pid), '--yes', '--json'], {timeoutMs: 60_000})
    })
    assert.equal(result!.code, 0, result!.stderr)
    const summary = JSON.parse(result!.stdout)
    assert.equal(summary.status, 'done')
    assert.ok(summary.moved > 300, `moved ${summary.moved}`)
    assert.equal(report.lostWrites, 0, JSON.stringify(report))
    assert.ok(report.writes > 100, `the checker kept writing (${report.writes} writes)`)
    assert.deepEqual(await missingOrWrong(fixture.proxyClient(), keys), [])

    const config = parseConfig(readFileSync(fixture.configFile, 'utf8'), fixture.configFile)
    const pool = config.pools[0]
    assert.deepEqual(pool.servers.map((s) => s.name), ['s1', 's2', 's3', 's4'])
    assert.ok(!readFileSync(fixture.configFile, 'utf8').includes('fallback_servers'))
    assert.match(readFileSync(fixture.configFile, 'utf8'), /^# pool under test/)
    assert.ok(existsSync(`${fixture.configFile}.bak`))
    assert.ok(!existsSync(`${fixture.configFile}.alpha.pool-change.json`))

    const placer = new KeyPlacer(pool)
    const where = await holders(fixture, [...keys.keys()])
    for (const [key, servers] of where) assert.deepEqual(servers, [placer.serverIndex(key)], `${key} is on ${servers}`)
  })

  test('remove-server under writes: no lost write, the removed server ends empty', async () => {
    let result: Awaited<ReturnType<typeof twlab>> | undefined
    const report = await underLoad(fixture, async () => {
      result = await twlab(['pool', 'remove-server', 's2', '-c', fixture.configFile, '--proxy-pid', String(fixture.proxy.pid), '--yes', '--json'], {timeoutMs: 60_000})
    })
    assert.equal(result!.code, 0, result!.stderr)
    const summary = JSON.parse(result!.stdout)
    assert.equal(summary.status, 'done')
    assert.ok(summary.moved > 300, `moved ${summary.moved}`)
    assert.equal(report.lostWrites, 0, JSON.stringify(report))
    assert.deepEqual(await missingOrWrong(fixture.proxyClient(), keys), [])
    assert.equal(await fixture.direct(1).dbsize(), 0)

    const pool = parseConfig(readFileSync(fixture.configFile, 'utf8'), fixture.configFile).pools[0]
    assert.deepEqual(pool.servers.map((s) => s.name), ['s1', 's3', 's4'])
    const placer = new KeyPlacer(pool)
    const index = (name: string) => Number(name.slice(1)) - 1
    const where = await holders(fixture, [...keys.keys()])
    for (const [key, servers] of where) assert.deepEqual(servers, [index(pool.servers[placer.serverIndex(key)].name)], `${key} is on ${servers}`)
  })

  test('a server that is already in the pool is refused in one sentence', async () => {
    const result = await twlab(['pool', 'add-server', fixture.address(0), 'again', '-c', fixture.configFile, '--proxy-pid', String(fixture.proxy.pid), '--yes'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /already has 127\.0\.0\.1:\d+ named "s1"/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  })
})
