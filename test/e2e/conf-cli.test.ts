// twlab conf test / conf show as a user runs them: exit codes, stdout/stderr, --json.
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtemp, mkdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {twlab} from '../support/cli.js'

const VALID = `# two pools
cache:
  listen: 127.0.0.1:22122
  servers:
    - 127.0.0.1:11211:1
sessions:
  listen: 127.0.0.1:22121
  redis: true
  hash: murmur
  hash_tag: "{}"
  servers:
    - 127.0.0.1:6379:1 server10
    - 127.0.0.1:6380:1 server2
`
const INVALID = `alpha:
  listen: 127.0.0.1:22121
  hash: fnv2
  redis: yes
  servers:
    - 127.0.0.1:6379:1
`

let dir: string
let valid: string
let invalid: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'twlab-conf-cli-'))
  valid = join(dir, 'valid.yml')
  invalid = join(dir, 'invalid.yml')
  await writeFile(valid, VALID)
  await writeFile(invalid, INVALID)
})
after(async () => {
  if (dir) await rm(dir, {recursive: true, force: true})
})

describe('twlab conf test', () => {
  test('a valid file: exit 0 and nutcracker\'s ok line', async () => {
    const run = await twlab(['conf', 'test', '-c', valid])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, `nutcracker: configuration file '${valid}' syntax is ok\n`)
  })

  test('an invalid file: exit 1, the invalid line, then every reason with line, pool, key and fix', async () => {
    const run = await twlab(['conf', 'test', '-c', invalid])
    assert.equal(run.code, 1)
    const lines = run.stdout.trimEnd().split('\n')
    assert.equal(lines[0], `nutcracker: configuration file '${invalid}' syntax is invalid`)
    assert.match(lines[1], new RegExp(`^  ${invalid}:3: pool "alpha", key "hash": "fnv2" is not a valid hash\\. Use one of: one_at_a_time, md5,`))
    assert.match(lines[2], /:4: pool "alpha", key "redis": "yes" is not "true" or "false"\. Write true or false/)
    assert.equal(lines.length, 3)
  })

  test('--json: only JSON on stdout, with the problems, and exit 1', async () => {
    const run = await twlab(['conf', 'test', '-c', invalid, '--json'])
    assert.equal(run.code, 1)
    const out = JSON.parse(run.stdout)
    assert.equal(out.valid, false)
    assert.deepEqual(out.problems.map((p: {line: number; key: string}) => [p.line, p.key]), [[3, 'hash'], [4, 'redis']])
    assert.equal(out.problems[0].nutcracker, 'conf: directive "hash" is not a valid hash')
  })

  test('a missing file is invalid, with the reason, like nutcracker -t', async () => {
    const missing = join(dir, 'nope.yml')
    const run = await twlab(['conf', 'test', '-c', missing])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /syntax is invalid\n {2}.*nope\.yml: the configuration file does not exist\. Pass the right path with -c FILE/)
  })

  test('-c defaults to conf/nutcracker.yml, and --extensions accepts twlab keys with a note', async () => {
    const cwd = join(dir, 'project')
    await mkdir(join(cwd, 'conf'), {recursive: true})
    await writeFile(join(cwd, 'conf', 'nutcracker.yml'), VALID.replace('  redis: true\n', '  redis: true\n  reuseport: true\n'))
    const bin = join(process.cwd(), 'bin', 'run.js')
    const run = (args: string[]) => new Promise<{code: number; stdout: string}>((resolve) => {
      execFile(process.execPath, [bin, ...args], {cwd, timeout: 60_000}, (error, stdout) => resolve({code: error ? (error as {code?: number}).code ?? 1 : 0, stdout}))
    })
    const strict = await run(['conf', 'test'])
    assert.equal(strict.code, 1)
    assert.match(strict.stdout, /conf\/nutcracker\.yml:9: pool "sessions", key "reuseport": reuseport is a twlab extension .*Pass --extensions/)
    const relaxed = await run(['conf', 'test', '--extensions'])
    assert.equal(relaxed.code, 0)
    assert.match(relaxed.stdout, /syntax is ok\n {2}note: .*uses the twlab extension "reuseport".*nutcracker itself rejects this file/)
  })
})

describe('twlab conf show', () => {
  test('--json: the effective config, defaults filled in, pools and servers in nutcracker\'s order', async () => {
    const run = await twlab(['conf', 'show', '-c', valid, '--json'])
    assert.equal(run.code, 0, run.stderr)
    const config = JSON.parse(run.stdout)
    assert.deepEqual(config.pools.map((p: {name: string}) => p.name), ['cache', 'sessions'])
    const sessions = config.pools[1]
    assert.deepEqual(sessions.servers.map((s: {name: string}) => s.name), ['server2', 'server10'])
    assert.equal(sessions.hash, 'murmur')
    assert.equal(sessions.distribution, 'ketama')
    assert.equal(sessions.serverRetryTimeout, 30000)
    assert.equal(config.pools[0].servers[0].name, '127.0.0.1')
  })

  test('human output: settings and a servers table per pool; --format yaml is a file nutcracker accepts', async () => {
    const table = await twlab(['conf', 'show', '-c', valid])
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /^pool cache\n {2}listen +127\.0\.0\.1:22122\n {2}protocol +memcache/m)
    assert.match(table.stdout, /│ 0 │ server2 +│ 127\.0\.0\.1:6380 │ 1 +│/)
    const yaml = await twlab(['conf', 'show', '-c', valid, '--format', 'yaml'])
    assert.equal(yaml.code, 0, yaml.stderr)
    assert.match(yaml.stdout, /server_retry_timeout: 30000/)
    const effective = join(dir, 'effective.yml')
    await writeFile(effective, yaml.stdout)
    const nutcracker = await new Promise<boolean>((resolve) => execFile('nutcracker', ['-t', '-c', effective], {timeout: 20_000}, (error) => resolve(!error)))
    assert.equal(nutcracker, true)
  })

  test('an invalid file: exit 1 and one sentence on stderr, nothing on stdout', async () => {
    const run = await twlab(['conf', 'show', '-c', invalid])
    assert.equal(run.code, 1)
    assert.equal(run.stdout, '')
    assert.match(run.stderr, /^Error: .*invalid\.yml:3: pool "alpha", key "hash": "fnv2" is not a valid hash\..*\(1 more: run twlab conf test -c .* to see them all\)\n$/)
  })
})
