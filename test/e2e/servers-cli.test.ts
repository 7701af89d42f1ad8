// `twlab servers add | ls | rm` as a user runs them, with a real fetch from Debian's archive.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {tempDir} from '../support/servers.js'
import {twlab} from '../support/cli.js'

interface Listed {
  name: string
  product: string
  version?: string
  path?: string
  default: boolean
}

describe('twlab servers', () => {
  let home: string
  const run = (args: string[]) => twlab(args, {env: {TWLAB_HOME: home, CI: '1'}, timeoutMs: 240_000})
  const listed = async () => (JSON.parse((await run(['servers', 'ls', '--json'])).stdout) as {servers: Listed[]}).servers

  before(() => {
    home = tempDir('twlab-servers-cli-')
  })
  after(() => {
    rmSync(home, {recursive: true, force: true})
  })

  test('ls shows the system redis-server as the default before anything is added', async () => {
    const servers = await listed()
    assert.equal(servers.length, 1)
    assert.equal(servers[0].name, 'system')
    assert.equal(servers[0].default, true)
    assert.match(servers[0].version ?? '', /^\d+\.\d+\.\d+$/)
  })

  test('add valkey-9.1 fetches it, with progress on stderr and a JSON result', async () => {
    const result = await run(['servers', 'add', 'valkey-9.1', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const added = JSON.parse(result.stdout) as {name: string; product: string; version: string; path: string; fetched: boolean; packages: Array<{name: string}>}
    assert.equal(added.name, 'valkey-9.1')
    assert.equal(added.product, 'valkey')
    assert.match(added.version, /^9\.1\.\d+$/)
    assert.equal(added.path, join(home, 'servers', 'valkey-9.1'))
    assert.equal(added.fetched, true)
    assert.ok(added.packages.some((pkg) => pkg.name === 'libc6'))
    const human = await run(['servers', 'add', 'valkey-9.1'])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /valkey-9\.1 is installed already: valkey 9\.1\.\d+/)
  })

  test('ls lists it with its version and folder', async () => {
    const valkey = (await listed()).find((server) => server.name === 'valkey-9.1')
    assert.ok(valkey)
    assert.match(valkey.version ?? '', /^9\.1\.\d+$/)
    assert.equal(valkey.path, join(home, 'servers', 'valkey-9.1'))
    const human = await run(['servers', 'ls'])
    assert.match(human.stdout, /valkey-9\.1 +│ valkey 9\.1\.\d+/)
    assert.match(human.stdout, /system +│ redis /)
  })

  test('rm needs --yes without a terminal, then removes it', async () => {
    const refused = await run(['servers', 'rm', 'valkey-9.1'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /pass --yes/)
    assert.ok(existsSync(join(home, 'servers', 'valkey-9.1')))
    const removed = await run(['servers', 'rm', 'valkey-9.1', '--yes'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(existsSync(join(home, 'servers', 'valkey-9.1')), false)
    assert.deepEqual((await listed()).map((server) => server.name), ['system'])
    const again = await run(['servers', 'rm', 'valkey-9.1', '--yes'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /^Error: Server valkey-9\.1 is not installed: see `twlab servers ls`\.$/m)
  })
})
