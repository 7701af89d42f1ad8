import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {chmod, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ConfigEditor, ConfigError, editConfigFile, parseConfig, renderConfig, type NutcrackerConfig} from '../../src/config/index.js'

const dirs: string[] = []
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true})
})
async function tempFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'twlab-config-'))
  dirs.push(dir)
  const file = join(dir, 'nutcracker.yml')
  await writeFile(file, text)
  return file
}

/** A config without line numbers, to compare what was parsed from two different texts. */
function withoutLines(config: NutcrackerConfig) {
  return config.pools.map((p) => ({...p, line: undefined, servers: p.servers.map((s) => ({...s, line: undefined}))}))
}

const RICH = `# the production pools
beta:
  listen: /tmp/twlab-beta.sock 0660
  hash: murmur
  hash_tag: "{}"
  distribution: modula
  timeout: 0
  redis: true
  redis_auth: "p@ss: #1"
  redis_db: 2
  auto_eject_hosts: true
  server_connections: 3
  server_retry_timeout: 1000
  server_failure_limit: 0
  tcpkeepalive: true
  servers:
    - 127.0.0.1:6379:1 server10
    - 127.0.0.1:6380:2 server2
    - /tmp/redis.sock:1
alpha:
  listen: 127.0.0.1:22121
  servers:
    - 127.0.0.1:11211:1
    - 127.0.0.1:06379:3
`

describe('renderConfig', () => {
  test('render then parse gives back the same config (round trip)', () => {
    const config = parseConfig(RICH)
    for (const allKeys of [false, true]) {
      const text = renderConfig(config, {allKeys})
      assert.deepEqual(withoutLines(parseConfig(text)), withoutLines(config), text)
    }
  })

  test('output is block style, never flow, and leaves out defaults unless asked', () => {
    const text = renderConfig(parseConfig(RICH))
    assert.doesNotMatch(text, /[[\]]/)
    assert.match(text, /^ {2}servers:\n {4}- /m)
    assert.match(text, /hash_tag: "\{\}"/)
    assert.doesNotMatch(renderConfig(parseConfig('a:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:6379:1\n')), /backlog/)
    assert.match(renderConfig(parseConfig('a:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:6379:1\n'), {allKeys: true}), /backlog: 512/)
  })

  test('a timeout of -1 (wait forever) is written by leaving the key out', () => {
    const text = renderConfig(parseConfig('a:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:6379:1\n'), {allKeys: true})
    assert.doesNotMatch(text, /^ +timeout:/m)
  })

  test('long server lists stay one entry per line', () => {
    const servers = Array.from({length: 40}, (_, i) => `    - 10.0.0.${i}:6379:1 a-very-long-server-name-to-tempt-line-folding-${i}\n`).join('')
    const config = parseConfig(`a:\n  listen: 127.0.0.1:1\n  servers:\n${servers}`)
    const text = renderConfig(config)
    assert.equal(text.split('\n').filter((l) => l.startsWith('    - ')).length, 40)
    assert.deepEqual(withoutLines(parseConfig(text)), withoutLines(config))
  })
})

describe('ConfigEditor', () => {
  test('an edit keeps comments, key order and untouched lines', () => {
    const editor = new ConfigEditor(RICH)
    editor.addServer('alpha', '127.0.0.1:6390:1 s3')
    const text = editor.toString()
    assert.match(text, /^# the production pools$/m)
    assert.match(text, /redis_auth: "p@ss: #1"/)
    assert.ok(text.indexOf('beta:') < text.indexOf('alpha:'), 'pool order as in the file')
    assert.match(text, / {4}- 127\.0\.0\.1:06379:3\n {4}- 127\.0\.0\.1:6390:1 s3\n/)
  })

  test('an editor with no changes writes the text back as it was', () => {
    assert.equal(new ConfigEditor(RICH).toString(), RICH)
  })

  test('add, remove and switch servers; set and delete keys', () => {
    const editor = new ConfigEditor(RICH)
    editor.addServer('alpha', {host: '127.0.0.1', port: 6391, weight: 2, name: 'n4'})
    editor.removeServer('beta', 'server2')
    editor.removeServer('alpha', '127.0.0.1:06379')
    editor.setKey('alpha', 'hash', 'md5').setKey('beta', 'timeout', 250).deleteKey('beta', 'tcpkeepalive')
    const config = parseConfig(editor.toString())
    const alpha = config.pools.find((p) => p.name === 'alpha')!
    const beta = config.pools.find((p) => p.name === 'beta')!
    assert.deepEqual(alpha.servers.map((s) => s.name), ['n4', '127.0.0.1'])
    assert.deepEqual(beta.servers.map((s) => s.name), ['server10', '/tmp/redis.sock:'])
    assert.equal(alpha.hash, 'md5')
    assert.equal(beta.timeout, 250)
    assert.equal(beta.tcpkeepalive, false)
    const lines = editor.toString().split('\n')
    assert.ok(lines.findIndex((l) => l.includes('hash: md5')) < lines.findIndex((l, i) => i > lines.indexOf('alpha:') && l.includes('servers:')), 'a new key goes before servers:')

    editor.setServers('beta', ['127.0.0.1:7000:1 c1', '127.0.0.1:7001:1 c2'])
    assert.deepEqual(parseConfig(editor.toString()).pools.find((p) => p.name === 'beta')!.servers.map((s) => s.address), ['127.0.0.1:7000', '127.0.0.1:7001'])
  })

  test('bad input is refused with a ConfigError that says why', () => {
    const editor = new ConfigEditor(RICH)
    assert.throws(() => editor.addServer('gamma', '127.0.0.1:1:1'), /there is no pool "gamma". Use one of: beta, alpha/)
    assert.throws(() => editor.addServer('alpha', '127.0.0.1:6379'), ConfigError)
    assert.throws(() => editor.removeServer('alpha', '10.9.9.9:1'), /no server "10.9.9.9:1" in this pool/)
  })
})

describe('editConfigFile', () => {
  test('writes atomically, keeps a .bak of the old file and the file mode', async () => {
    const file = await tempFile(RICH)
    await chmod(file, 0o640)
    const result = await editConfigFile(file, (e) => {
      e.addServer('alpha', '127.0.0.1:6392:1')
    })
    assert.equal(result.changed, true)
    assert.equal(result.backup, `${file}.bak`)
    assert.equal(await readFile(`${file}.bak`, 'utf8'), RICH)
    const now = await readFile(file, 'utf8')
    assert.match(now, /127\.0\.0\.1:6392:1/)
    assert.equal((await stat(file)).mode & 0o777, 0o640)
    assert.equal(result.config.pools.find((p) => p.name === 'alpha')!.servers.length, 3)
    const leftovers = (await readdir(join(file, '..'))).filter((name) => name.endsWith('.tmp'))
    assert.deepEqual(leftovers, [])
  })

  test('a timestamped backup when asked, none when told not to', async () => {
    const file = await tempFile(RICH)
    const stamped = await editConfigFile(file, (e) => e.setKey('alpha', 'hash', 'md5'), {backup: 'timestamp'})
    assert.match(stamped.backup!, /nutcracker\.yml\.\d{8}T\d{6}Z\.bak$/)
    const none = await editConfigFile(file, (e) => e.setKey('alpha', 'hash', 'crc32'), {backup: false})
    assert.equal(none.backup, undefined)
  })

  test('an edit that would make the file invalid writes nothing', async () => {
    const file = await tempFile(RICH)
    await assert.rejects(
      editConfigFile(file, (e) => {
        e.removeServer('alpha', '127.0.0.1').removeServer('alpha', '127.0.0.1:06379')
      }),
      /after this change, the pool has no servers.*Nothing was written/,
    )
    assert.equal(await readFile(file, 'utf8'), RICH)
    await assert.rejects(readFile(`${file}.bak`))
  })

  test('no change, no write', async () => {
    const file = await tempFile(RICH)
    const result = await editConfigFile(file, () => undefined)
    assert.equal(result.changed, false)
    await assert.rejects(readFile(`${file}.bak`))
  })
})
