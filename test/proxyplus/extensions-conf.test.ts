// The twlab-only pool keys of twproxy (sentinels, health_check): refused as nutcracker refuses
// them unless extensions are on, and checked with reasons when they are.
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {analyzeConfig, clusterSeedsOf, healthCheckOf, sentinelsOf} from '../../src/config/index.js'
import {twlab} from '../support/cli.js'
import {tempDir} from '../support/servers.js'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const SENTINEL_POOL = `ha:
  listen: 127.0.0.1:22121
  redis: true
  health_check: true
  sentinels:
    - 127.0.0.1:26379
    - 127.0.0.1:26380
  servers:
    - 127.0.0.1:6379:1 alpha
    - 127.0.0.1:6380:1 beta
`

test('sentinels and health_check are unknown directives unless extensions are on', () => {
  const strict = analyzeConfig(SENTINEL_POOL, 'n.yml')
  assert.equal(strict.config, undefined)
  const reasons = strict.problems.map((p) => p.nutcracker)
  assert.ok(reasons.includes('conf: directive "sentinels" is unknown'), reasons.join('; '))
  assert.ok(reasons.includes('conf: directive "health_check" is unknown'), reasons.join('; '))
  const open = analyzeConfig(SENTINEL_POOL, 'n.yml', {extensions: true})
  assert.deepEqual(open.problems, [])
  const pool = open.config!.pools[0]
  assert.deepEqual(sentinelsOf(pool), [{host: '127.0.0.1', port: 26379}, {host: '127.0.0.1', port: 26380}])
  assert.equal(healthCheckOf(pool), true)
  assert.deepEqual(pool.servers.map((s) => s.name), ['beta', 'alpha'], 'nutcracker order: shorter names first')
  assert.deepEqual(open.extensionsUsed.map((u) => u.key).sort(), ['health_check', 'sentinels'])
})

test('a sentinel pool needs master names on its servers and host:port sentinels', () => {
  const unnamed = analyzeConfig(SENTINEL_POOL.replace(':1 beta', ':1'), 'n.yml', {extensions: true})
  assert.equal(unnamed.config, undefined)
  assert.match(unnamed.problems[0].problem, /server "127\.0\.0\.1:6380:1" has no Sentinel master name/)
  assert.match(unnamed.problems[0].fix ?? '', /127\.0\.0\.1:6379:1 mymaster/)
  const badSentinel = analyzeConfig(SENTINEL_POOL.replace('127.0.0.1:26380', 'sentinel-two'), 'n.yml', {extensions: true})
  assert.match(badSentinel.problems[0].problem, /"sentinel-two" is not a sentinel address/)
  const memcache = analyzeConfig(SENTINEL_POOL.replace('  redis: true\n', ''), 'n.yml', {extensions: true})
  assert.match(memcache.problems[0].problem, /sentinels is set on a memcache pool/)
  const badBool = analyzeConfig(SENTINEL_POOL.replace('health_check: true', 'health_check: yes'), 'n.yml', {extensions: true})
  assert.match(badBool.problems[0].problem, /"yes" is not "true" or "false"/)
})

test('twlab conf test explains the keys with --extensions and refuses them without', async () => {
  const dir = tempDir()
  try {
    const file = join(dir, 'nutcracker.yml')
    writeFileSync(file, SENTINEL_POOL)
    const strict = await twlab(['conf', 'test', '-c', file])
    assert.equal(strict.code, 1)
    assert.match(strict.stdout, /sentinels is a twlab extension that nutcracker does not know/)
    const open = await twlab(['conf', 'test', '-c', file, '--extensions'])
    assert.equal(open.code, 0, open.stdout + open.stderr)
    assert.match(open.stdout, /uses the twlab extension "sentinels" \(servers are Sentinel masters/)
    assert.match(open.stdout, /uses the twlab extension "health_check"/)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})

test('sentinels and cluster seeds take an IPv6 host bare or in brackets, as every address flag does', () => {
  const bracketed = analyzeConfig(SENTINEL_POOL.replace('127.0.0.1:26380', '"[::1]:26380"'), 'n.yml', {extensions: true})
  assert.deepEqual(bracketed.problems, [])
  assert.deepEqual(sentinelsOf(bracketed.config!.pools[0]), [{host: '127.0.0.1', port: 26379}, {host: '::1', port: 26380}])
  const bare = analyzeConfig(SENTINEL_POOL.replace('127.0.0.1:26380', '::1:26380'), 'n.yml', {extensions: true})
  assert.deepEqual(sentinelsOf(bare.config!.pools[0])![1], {host: '::1', port: 26380})
  const cluster = analyzeConfig('c:\n  listen: 127.0.0.1:22121\n  redis: true\n  cluster:\n    - "[::1]:7000"\n', 'n.yml', {extensions: true})
  assert.deepEqual(cluster.problems, [])
  assert.deepEqual(clusterSeedsOf(cluster.config!.pools[0]), [{host: '::1', port: 7000}])
  const noPort = analyzeConfig(SENTINEL_POOL.replace('127.0.0.1:26380', '"[::1]"'), 'n.yml', {extensions: true})
  assert.match(noPort.problems[0].problem, /"\[::1\]" is not a sentinel address/)
})
