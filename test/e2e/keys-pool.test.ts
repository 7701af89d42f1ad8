// keys dist / audit / fix on a live nutcracker pool. Keys are written through the real
// nutcracker, then some are moved by hand onto backends nutcracker does not route them to (the
// seed problem: data that was there before the proxy, or written around it). audit must find
// exactly those, fix must move them, and afterwards nutcracker must serve every key with its
// value, type and TTL.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import type {Redis} from 'ioredis'
import {twlab} from '../support/cli.js'
import {freePort, sleep, stopAll} from '../support/servers.js'
import {misplace, type PoolFixture, poolYaml, startPoolFixture} from '../keys/pool-fixture.js'

const PLAIN = 200
const STRAYS = 30
const CONFLICTS = 4

interface Expected {
  key: string | Buffer
  type: string
  value: unknown
  ttl: boolean
}

/** The value of a key read through a proxy, in a form deepEqual can compare. */
async function snapshot(proxy: Redis, key: string | Buffer): Promise<unknown> {
  const type = await proxy.type(key)
  switch (type) {
    case 'string': return proxy.getBuffer(key).then((value) => value?.toString('hex'))
    case 'hash': return proxy.hgetall(key)
    case 'list': return proxy.lrange(key, 0, -1)
    case 'set': return proxy.smembers(key).then((members) => members.sort())
    case 'zset': return proxy.zrange(key, 0, -1, 'WITHSCORES')
    default: return null
  }
}

describe('keys dist, audit and fix on a nutcracker pool', () => {
  let fixture: PoolFixture
  const expected: Expected[] = []
  const strayNames = new Set<string>()
  const conflictNames: string[] = []
  // where nutcracker routes each misplaced key, and where it was put instead
  const ownerOf = new Map<string, string>()
  const placedOn = new Map<string, string>()
  const target = () => ['-c', fixture.configFile]

  before(async () => {
    fixture = await startPoolFixture()
    const {proxy} = fixture
    for (let i = 0; i < PLAIN; i++) await proxy.set(`user:${i}`, `value-${i}`)
    // strays of every type, a third with a TTL, one key that is not UTF-8
    const strayKeys: Array<string | Buffer> = []
    for (let i = 0; i < STRAYS - 1; i++) {
      const key = `stray:${i}`
      switch (i % 5) {
        case 0: await proxy.set(key, `s${i}`); break
        case 1: await proxy.hmset(key, {a: String(i), b: 'x'}); break
        case 2: await proxy.rpush(key, 'a', 'b', String(i)); break
        case 3: await proxy.sadd(key, 'm1', 'm2', String(i)); break
        default: await proxy.zadd(key, 1, 'one', i, 'other')
      }
      if (i % 3 === 0) await proxy.pexpire(key, 600_000)
      strayKeys.push(key)
    }
    const binary = Buffer.from([0x62, 0x69, 0x6e, 0xff, 0x80, 0x01])
    await proxy.set(binary, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 'PX', 900_000)
    strayKeys.push(binary)

    for (const key of strayKeys) {
      expected.push({key, type: await proxy.type(key), value: await snapshot(proxy, key), ttl: (await proxy.pttl(key)) > 0})
      const owner = await fixture.whereIs(key)
      assert.ok(owner >= 0, `nutcracker stored ${key.toString()}`)
      const wrong = (owner + 1) % fixture.direct.length
      await misplace(fixture.direct[owner], fixture.direct[wrong], key)
      // a binary key shows as redis-cli prints it: quoted, with \xNN escapes
      const name = Buffer.isBuffer(key) ? '"bin\\xff\\x80\\x01"' : key
      strayNames.add(name)
      ownerOf.set(name, fixture.names[owner])
      placedOn.set(name, fixture.names[wrong])
    }
    // conflicts: the owner has the key (written through nutcracker), a stale copy sits elsewhere
    for (let i = 0; i < CONFLICTS; i++) {
      const key = `both:${i}`
      await proxy.set(key, 'owner-old')
      const owner = await fixture.whereIs(key)
      await fixture.direct[(owner + 2) % fixture.direct.length].set(key, 'stray-value')
      conflictNames.push(key)
      ownerOf.set(key, fixture.names[owner])
      placedOn.set(key, fixture.names[(owner + 2) % fixture.direct.length])
    }
  })

  after(async () => {
    await fixture?.stop()
    await stopAll()
  })

  test('strays are invisible through nutcracker and twproxy before the fix', async () => {
    for (const {key} of expected) {
      assert.equal(await fixture.proxy.exists(key), 0)
      assert.equal(await fixture.twproxy.exists(key), 0)
    }
  })

  test('dist counts every key on every server and predicts by ketama arcs', async () => {
    const result = await twlab(['keys', 'dist', ...target(), '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    const sizes = await Promise.all(fixture.direct.map((client) => client.dbsize()))
    assert.equal(report.totalKeys, sizes.reduce((a, b) => a + b, 0))
    assert.equal(report.totalKeys, PLAIN + STRAYS + CONFLICTS * 2)
    assert.deepEqual(report.nodes.map((node: {name: string}) => node.name).sort(), [...fixture.names].sort())
    for (const node of report.nodes) assert.equal(node.keys, sizes[fixture.names.indexOf(node.name)])
    const predicted = report.nodes.map((node: {predictedShare: number}) => node.predictedShare)
    assert.ok(Math.abs(predicted.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-9)
    // blue has weight 2 of 4: about half the continuum
    const blue = report.nodes.find((node: {name: string}) => node.name === 'blue')
    assert.ok(blue.predictedShare > 0.4 && blue.predictedShare < 0.6, String(blue.predictedShare))
    assert.ok(report.spread.maxOverMean >= 1)
  })

  test('dist --memory --top lists the largest keys with their sizes', async () => {
    const result = await twlab(['keys', 'dist', ...target(), '--top', '3', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.top.length, 3)
    assert.ok(report.totalMemoryBytes > 0)
    assert.ok(report.top[0].bytes >= report.top[1].bytes && report.top[1].bytes >= report.top[2].bytes)
  })

  test('dist --sample places generated keys without scanning, matching nutcracker', async () => {
    const result = await twlab(['keys', 'dist', ...target(), '--sample', '300', '--prefix', 'user:', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.mode, 'sample')
    assert.equal(report.totalKeys, 300)
    // user:0..199 were written through nutcracker: the sample must put them where it did
    const actual = new Map<string, number>(fixture.names.map((name) => [name, 0]))
    for (let i = 0; i < PLAIN; i++) {
      const at = await fixture.whereIs(`user:${i}`)
      actual.set(fixture.names[at], actual.get(fixture.names[at])! + 1)
    }
    const sample = await twlab(['keys', 'dist', ...target(), '--sample', String(PLAIN), '--prefix', 'user:', '--json'])
    const sampled = JSON.parse(sample.stdout)
    for (const node of sampled.nodes) assert.equal(node.keys, actual.get(node.name), node.name)
  })

  test('audit finds exactly the misplaced keys, says where they belong, and exits 1', async () => {
    const result = await twlab(['keys', 'audit', ...target(), '--limit', '1000', '--json'])
    assert.equal(result.code, 1, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.totalMisplaced, STRAYS + CONFLICTS)
    const found = new Map<string, {node: string; owner: string}>(report.keys.map((entry: {key: string; node: string; owner: string}) => [entry.key, entry]))
    assert.deepEqual([...found.keys()].sort(), [...strayNames, ...conflictNames].sort())
    for (const [name, entry] of found) {
      assert.equal(entry.owner, ownerOf.get(name), `owner of ${name}`)
      assert.equal(entry.node, placedOn.get(name), `place of ${name}`)
    }
    const binary = report.keys.find((entry: {keyBase64?: string}) => entry.keyBase64)
    assert.equal(Buffer.from(binary.keyBase64, 'base64').toString('hex'), '62696eff8001')
    const perNode = report.nodes.reduce((sum: number, node: {misplaced: number}) => sum + node.misplaced, 0)
    assert.equal(perNode, STRAYS + CONFLICTS)
  })

  test('audit in human form names the count and the fix', async () => {
    const result = await twlab(['keys', 'audit', ...target()])
    assert.equal(result.code, 1)
    assert.match(result.stdout, new RegExp(`${STRAYS + CONFLICTS} misplaced keys`))
    assert.match(result.stdout, /twlab keys fix/)
  })

  test('where --live tells a misplaced key from a placed one, with type, TTL and memory', async () => {
    const stray = expected.find((entry) => entry.key === 'stray:0')!
    const result = await twlab(['keys', 'where', 'stray:0', 'user:1', 'nothing:here', ...target(), '--live', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const [misplaced, placed, missing] = JSON.parse(result.stdout)
    assert.equal(misplaced.status, 'misplaced')
    assert.equal(misplaced.server, ownerOf.get('stray:0'))
    assert.deepEqual(misplaced.foundOn, [placedOn.get('stray:0')])
    assert.equal(misplaced.type, stray.type)
    assert.ok(misplaced.ttlMs > 0, 'stray:0 has a TTL')
    assert.ok(misplaced.memoryBytes > 0)
    assert.equal(typeof misplaced.hash, 'number')
    assert.equal(placed.status, 'ok')
    assert.equal(placed.type, 'string')
    assert.equal(placed.ttlMs, -1)
    assert.deepEqual(placed.foundOn, [placed.server])
    assert.equal(missing.status, 'missing')
    assert.equal(missing.exists, false)
    const human = await twlab(['keys', 'where', 'stray:0', ...target(), '--live'])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, new RegExp(`misplaced: on ${placedOn.get('stray:0')}`))
  })

  test('fix refuses without a terminal and without --yes, changing nothing', async () => {
    const result = await twlab(['keys', 'fix', ...target()])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /--yes/)
    for (const {key} of expected) assert.equal(await fixture.proxy.exists(key), 0)
  })

  test('fix --dry-run shows the plan and changes nothing', async () => {
    const result = await twlab(['keys', 'fix', ...target(), '--dry-run', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const plan = JSON.parse(result.stdout)
    assert.equal(plan.dryRun, true)
    assert.equal(plan.counts.move, STRAYS)
    assert.equal(plan.counts['skip-conflict'], CONFLICTS)
    for (const {key} of expected) assert.equal(await fixture.proxy.exists(key), 0)
  })

  test('fix --yes moves every stray; nutcracker and twproxy then serve each with value, type and TTL', async () => {
    const result = await twlab(['keys', 'fix', ...target(), '--yes', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.counts.move, STRAYS)
    assert.equal(report.counts['skip-conflict'], CONFLICTS)
    assert.equal(report.counts.error, 0)
    for (const entry of expected) {
      for (const [name, proxy] of [['nutcracker', fixture.proxy], ['twproxy', fixture.twproxy]] as const) {
        const what = `${entry.key.toString()} through ${name}`
        assert.equal(await proxy.type(entry.key), entry.type, what)
        assert.deepEqual(await snapshot(proxy, entry.key), entry.value, what)
        const ttl = await proxy.pttl(entry.key)
        if (entry.ttl) assert.ok(ttl > 0 && ttl <= 900_000, `${what}: ttl ${ttl}`)
        else assert.equal(ttl, -1, what)
      }
      // and only on its owner
      const holders = await Promise.all(fixture.direct.map((client) => client.exists(entry.key)))
      assert.equal(holders.reduce((a, b) => a + b, 0), 1)
    }
    for (let i = 0; i < PLAIN; i++) {
      assert.equal(await fixture.proxy.get(`user:${i}`), `value-${i}`)
      assert.equal(await fixture.twproxy.get(`user:${i}`), `value-${i}`)
    }
    // conflicts were skipped: owner's value kept, the stray still there
    for (const key of conflictNames) assert.equal(await fixture.proxy.get(key), 'owner-old')
  })

  test('fix --on-conflict keep-newer keeps the copy touched last; replace makes the stray win', async () => {
    // both:0 and both:1: the stray copies are rewritten after a pause, so they are newer
    await sleep(2200)
    for (const key of conflictNames.slice(0, 2)) {
      const stray = fixture.direct[fixture.names.indexOf(placedOn.get(key)!)]
      await stray.set(key, 'stray-newer')
    }
    // both:2 and both:3: touch the owners' copies now, so the strays are the older ones
    for (const key of conflictNames.slice(2)) await fixture.proxy.get(key)
    const newer = await twlab(['keys', 'fix', ...target(), '--yes', '--on-conflict', 'keep-newer', '--json'])
    assert.equal(newer.code, 0, newer.stderr)
    const report = JSON.parse(newer.stdout)
    assert.equal(report.counts.replace, 2)
    assert.equal(report.counts.discard, 2)
    for (const key of conflictNames.slice(0, 2)) assert.equal(await fixture.proxy.get(key), 'stray-newer')
    for (const key of conflictNames.slice(2)) assert.equal(await fixture.proxy.get(key), 'owner-old')

    // a fresh conflict resolved by replace
    const owner = await fixture.whereIs('user:7')
    await fixture.direct[(owner + 1) % 3].set('user:7', 'from-the-stray')
    const replaced = await twlab(['keys', 'fix', ...target(), '--yes', '--on-conflict', 'replace', '--json'])
    assert.equal(replaced.code, 0, replaced.stderr)
    assert.equal(JSON.parse(replaced.stdout).counts.replace, 1)
    assert.equal(await fixture.proxy.get('user:7'), 'from-the-stray')

    const audit = await twlab(['keys', 'audit', ...target(), '--json'])
    assert.equal(audit.code, 0, audit.stdout)
    assert.equal(JSON.parse(audit.stdout).totalMisplaced, 0)
  })

  test('a wrong pool name, or a server that is down, is one sentence', async () => {
    const bad = await twlab(['keys', 'audit', '-c', fixture.configFile, '--pool', 'nope'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /no pool named "nope"/)
    assert.doesNotMatch(bad.stderr, /\n\s+at /)

    const port = await freePort()
    const file = join(fixture.dir, 'down.yml')
    writeFileSync(file, poolYaml('beta', 22121, [port], ['gone'], [1]))
    const down = await twlab(['keys', 'dist', '-c', file])
    assert.equal(down.code, 1)
    assert.match(down.stderr, new RegExp(`gone \\(127\\.0\\.0\\.1:${port}\\) refused the connection`))
    assert.doesNotMatch(down.stderr, /\n\s+at /)
  })
})
