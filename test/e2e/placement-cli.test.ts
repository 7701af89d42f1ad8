// `twlab keys where` as a user runs it: table and JSON output, pool choice, errors as one
// sentence, and --stdin streaming (results come out before the input ends).
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {KeyPlacer, keySlot} from '../../src/hashing/index.js'
import {TWLAB, twlab} from '../support/cli.js'
import {tempDir} from '../support/servers.js'

const CONFIG = `alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  redis: true
  servers:
   - 10.0.0.1:6379:1 server1
   - 10.0.0.2:6379:1 server2
   - 10.0.0.3:6379:1 server3
   - 10.0.0.4:6379:1 server4
beta:
  listen: 127.0.0.1:22122
  hash: murmur
  hash_tag: "{}"
  distribution: modula
  servers:
   - cache-a:11211:2
   - cache-b:11212:1
gamma:
  listen: 127.0.0.1:22123
  distribution: random
  servers:
   - 10.0.1.1:6379:1
   - 10.0.1.2:6379:1
`
const SINGLE = `only:
  listen: 127.0.0.1:22124
  servers:
   - 10.0.0.9:6379:1 solo
`

interface Placement {key: string; keyHex?: string; pool: string; server: string | null; address: string | null; hash: number; slot: number}

describe('twlab keys where', () => {
  let dir = ''
  let config = ''
  let single = ''
  before(() => {
    dir = tempDir('twlab-where-')
    config = join(dir, 'nutcracker.yml')
    single = join(dir, 'single.yml')
    writeFileSync(config, CONFIG)
    writeFileSync(single, SINGLE)
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  test('prints a table of pool, server, address, hash and slot per key', async () => {
    const result = await twlab(['keys', 'where', 'foo', 'bar', 'user:1', '-c', config, '--pool', 'alpha'])
    assert.equal(result.code, 0, result.stderr)
    const rows = result.stdout.split('\n').filter((line) => /│ (foo|bar|user:1) /.test(line))
    assert.equal(rows.length, 3)
    assert.match(rows[0]!, /│ foo +│ alpha +│ server1 +│ 10\.0\.0\.1:6379 +│ \d+ +│ 12182 +│/)
    assert.match(rows[1]!, /│ bar +│ alpha +│ server4 +│ 10\.0\.0\.4:6379 +│/)
    assert.match(rows[2]!, /│ user:1 +│ alpha +│ server3 +│ 10\.0\.0\.3:6379 +│/)
  })

  test('--json prints only a JSON array with key, pool, server, address, hash, slot', async () => {
    const result = await twlab(['keys', 'where', '{user7}:a', '{user7}:b', '-c', config, '--pool', 'beta', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const placed = JSON.parse(result.stdout) as Placement[]
    const placer = new KeyPlacer({hash: 'murmur', hashTag: '{}', distribution: 'modula', servers: [{name: 'cache-a', weight: 2}, {name: 'cache-b', weight: 1}]})
    const names = ['cache-a', 'cache-b']
    const addresses = ['cache-a:11211', 'cache-b:11212']
    assert.deepEqual(placed, ['{user7}:a', '{user7}:b'].map((key) => ({
      key, pool: 'beta', server: names[placer.serverIndex(key)], address: addresses[placer.serverIndex(key)],
      hash: placer.hashOf(key), slot: keySlot(key),
    })))
    // The hash tag keeps both keys together, in the pool and in a cluster.
    assert.equal(placed[0]!.server, placed[1]!.server)
    assert.equal(placed[0]!.slot, placed[1]!.slot)
  })

  test('--pool repeated places each key in each pool, in that order', async () => {
    const result = await twlab(['keys', 'where', 'k1', 'k2', '-c', config, '--pool', 'beta', '--pool', 'alpha', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const placed = JSON.parse(result.stdout) as Placement[]
    assert.deepEqual(placed.map((p) => `${p.key}@${p.pool}`), ['k1@beta', 'k1@alpha', 'k2@beta', 'k2@alpha'])
    const streamed = await twlab(['keys', 'where', '--stdin', '--json', '-c', config, '--pool', 'beta', '--pool', 'alpha'], {input: 'k1\nk2\n'})
    assert.deepEqual(JSON.parse(streamed.stdout), placed)
  })

  test('--pool is optional when the file has one pool', async () => {
    const result = await twlab(['keys', 'where', 'anything', '-c', single, '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal((JSON.parse(result.stdout) as Placement[])[0]!.server, 'solo')
  })

  test('random distribution names no server, and says why', async () => {
    const result = await twlab(['keys', 'where', 'k', '-c', config, '--pool', 'gamma', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const [placed] = JSON.parse(result.stdout) as Placement[]
    assert.equal(placed!.server, null)
    assert.equal(placed!.address, null)
    const human = await twlab(['keys', 'where', 'k', '-c', config, '--pool', 'gamma'])
    assert.match(human.stderr, /distribution random/)
  })

  test('user mistakes give one sentence and a non-zero exit code', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['keys', 'where', 'k', '-c', config], /has 3 pools: say which one with --pool NAME/],
      [['keys', 'where', 'k', '-c', config, '--pool', 'delta'], /has no pool named "delta"/],
      [['keys', 'where', 'k', '-c', join(dir, 'missing.yml')], /missing\.yml.*does not exist/],
      [['keys', 'where', '-c', config, '--pool', 'alpha'], /No keys given/],
    ]
    for (const [args, message] of cases) {
      const result = await twlab(args)
      assert.notEqual(result.code, 0, args.join(' '))
      assert.match(result.stderr, message)
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
      assert.equal(result.stdout, '')
    }
    const json = await twlab(['keys', 'where', 'k', '-c', config, '--json'])
    assert.notEqual(json.code, 0)
    assert.match((JSON.parse(json.stdout) as {error: {message: string}}).error.message, /--pool NAME/)
  })

  test('a config nutcracker would refuse is refused with the reason', async () => {
    const bad = join(dir, 'bad.yml')
    writeFileSync(bad, 'alpha:\n  listen: 127.0.0.1:22121\n  hash: sha1\n  servers:\n   - 10.0.0.1:6379:1\n')
    const result = await twlab(['keys', 'where', 'k', '-c', bad])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /hash/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  })

  test('--stdin: tab-separated lines under a header, CRLF accepted, bytes that are not UTF-8 kept exactly', async () => {
    const input = Buffer.concat([Buffer.from('foo\r\nbar\n'), Buffer.from([0x62, 0xff, 0x0a]), Buffer.from('user:1')])
    const result = await twlab(['keys', 'where', '--stdin', '-c', config, '--pool', 'alpha'], {input})
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stdout.trimEnd().split('\n')
    assert.equal(lines[0], 'key\tpool\tserver\taddress\thash\tslot')
    assert.equal(lines.length, 5)
    assert.match(lines[1]!, /^foo\talpha\tserver1\t10\.0\.0\.1:6379\t\d+\t12182$/)
    assert.match(lines[2]!, /^bar\talpha\tserver4\t/)
    assert.match(lines[4]!, /^user:1\talpha\tserver3\t/)
    const json = await twlab(['keys', 'where', '--stdin', '--json', '-c', config, '--pool', 'alpha'], {input})
    const placed = JSON.parse(json.stdout) as Placement[]
    assert.deepEqual(placed.map((p) => p.keyHex ?? p.key), ['foo', 'bar', '62ff', 'user:1'])
    const placer = new KeyPlacer({hash: 'fnv1a_64', distribution: 'ketama', servers: [1, 2, 3, 4].map((i) => ({name: `server${i}`, weight: 1}))})
    assert.equal(placed[2]!.server, `server${placer.serverIndex(Buffer.from([0x62, 0xff])) + 1}`)
    assert.equal(placed[2]!.hash, placer.hashOf(Buffer.from([0x62, 0xff])))
  })

  test('--stdin with no input prints an empty JSON array', async () => {
    const result = await twlab(['keys', 'where', '--stdin', '--json', '-c', config, '--pool', 'alpha'], {input: ''})
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), [])
  })

  test('--stdin streams: results arrive while the input is still open', async () => {
    const child = spawn(process.execPath, [TWLAB, 'keys', 'where', '--stdin', '--json', '-c', config, '--pool', 'alpha'], {stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const firstOutput = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk
        if (stdout.includes('"key":"first:999"')) resolve()
      })
    })
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    try {
      child.stdin.write(Array.from({length: 1000}, (_, i) => `first:${i}\n`).join(''))
      // Output for the first batch must come before we close stdin (bounded by the kill timer).
      await Promise.race([firstOutput, exited.then(() => assert.fail(`exited early: ${stderr}`))])
      const many = 50_000
      for (let at = 0; at < many; at += 10_000) {
        child.stdin.write(Array.from({length: 10_000}, (_, i) => `second:${at + i}\n`).join(''))
      }
      child.stdin.end()
      assert.equal(await exited, 0, stderr)
      const placed = JSON.parse(stdout) as Placement[]
      assert.equal(placed.length, 1000 + many)
      assert.equal(placed.at(-1)!.key, `second:${many - 1}`)
    } finally {
      clearTimeout(killer)
      child.kill('SIGKILL')
    }
  })
})
