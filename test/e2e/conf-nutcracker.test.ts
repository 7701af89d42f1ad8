// Differential test: the real nutcracker -t decides which files are valid; twlab must agree on
// every one. The corpus is generated here: valid files in many shapes, and files that break
// each rule nutcracker enforces (YAML subset, structure, each key's value, post-parse checks).
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {checkConfigFile, formatProblem, nutcrackerTestOutput} from '../../src/config/index.js'
import {twlab} from '../support/cli.js'

const LISTEN = '  listen: 127.0.0.1:22121\n'
const SERVER = '  servers:\n    - 127.0.0.1:6379:1\n'
const withKeys = (...lines: string[]) => `alpha:\n${LISTEN}${lines.map((l) => `  ${l}\n`).join('')}${SERVER}`
const withListen = (listen: string) => `alpha:\n  listen: ${listen}\n${SERVER}`
const withServers = (...servers: string[]) => `alpha:\n${LISTEN}  servers:\n${servers.map((s) => `    - ${s}\n`).join('')}`
const twoPools = (a: string, b: string) => `${a}${b}`
const named = (name: string, listen: string) => `${name}:\n  listen: ${listen}\n${SERVER}`

function corpus(): Array<{name: string; text: string}> {
  const cases: Array<[string, string]> = [
    // valid shapes
    ['minimal', withKeys()],
    ['quoted values', `alpha:\n  listen: "127.0.0.1:22121"\n  hash: 'md5'\n  redis: "true"\n${SERVER}`],
    ['comments everywhere', `# top\nalpha: # pool\n  # inside\n  listen: 127.0.0.1:22121 # c\n  servers: # c\n    - 127.0.0.1:6379:1 # c\n# end\n`],
    ['CRLF line ends', withKeys('hash: md5').replace(/\n/g, '\r\n')],
    ['lone CR line ends', withKeys('hash: md5').replace(/\n/g, '\r')],
    ['byte order mark', `\ufeff${withKeys()}`],
    ['every key', withKeys('hash: murmur', 'hash_tag: "{}"', 'distribution: modula', 'timeout: 400', 'backlog: 1024', 'client_connections: 10', 'redis: true', 'redis_auth: pw', 'redis_db: 3', 'preconnect: true', 'auto_eject_hosts: true', 'server_connections: 2', 'server_retry_timeout: 2000', 'server_failure_limit: 3', 'tcpkeepalive: true')],
    ['every hash', ['one_at_a_time', 'md5', 'crc16', 'crc32', 'crc32a', 'fnv1_64', 'fnv1a_64', 'fnv1_32', 'fnv1a_32', 'hsieh', 'murmur', 'jenkins'].map((h, i) => `p${i}:\n  listen: 127.0.0.1:${22200 + i}\n  hash: ${h}\n${SERVER}`).join('')],
    ['random distribution', withKeys('distribution: random')],
    ['numbers with leading zeros', withKeys('timeout: 007', 'backlog: 0')],
    ['number that wraps to a positive', withKeys('timeout: 99999999999')],
    ['largest int', withKeys('server_retry_timeout: 2147483647')],
    ['server_connections that wraps to 1', withKeys('server_connections: 4294967297')],
    ['two byte utf-8 hash_tag', withKeys('hash_tag: "é"')],
    ['hash_tag of two letters', withKeys('hash_tag: ab')],
    ['localhost listen', withListen('localhost:22121')],
    ['ipv6 listen without brackets', withListen('::1:22121')],
    ['listen 0.0.0.0 and port 65535', withListen('0.0.0.0:65535')],
    ['listen port with a leading zero', withListen('127.0.0.1:022121')],
    ['unix listen', withListen('/tmp/twlab-conf-test.sock')],
    ['unix listen with permission', withListen('/tmp/twlab-conf-test.sock 0666')],
    ['unix listen with odd permission text', withListen('/tmp/twlab-conf-test.sock 0888')],
    ['unix listen 107 bytes', withListen(`/${'x'.repeat(106)}`)],
    ['named servers', withServers('127.0.0.1:6379:1 server1', '127.0.0.1:6380:2 server2')],
    ['11211 and named alias', withServers('127.0.0.1:11211:1 x', '127.0.0.1:11212:1 127.0.0.1')],
    ['same address, different names', withServers('127.0.0.1:6379:1 a', '127.0.0.1:6379:1 b')],
    ['unix server', withServers('/tmp/redis.sock:1', '/tmp/redis.sock:1 named')],
    ['ipv6 server', withServers('::1:6379:1')],
    ['server with an extra colon', withServers('127.0.0.1:6379:1:2')],
    ['server with an empty host', withServers(':6379:1')],
    ['unresolvable server host (resolved lazily)', withServers('nosuchhost.invalid:6379:1')],
    ['server port that wraps', withServers('127.0.0.1:4294973675:1')],
    ['server with trailing space name', withServers('"127.0.0.1:6379:1 "')],
    ['compact sequence indentation', `alpha:\n${LISTEN}  servers:\n  - 127.0.0.1:6379:1\n`],
    ['tab after a value', `alpha:\n  listen: 127.0.0.1:22121\t\n${SERVER}`],
    ['two pools', twoPools(named('a', '127.0.0.1:22121'), named('b', '127.0.0.1:22122'))],
    ['same address written two ways', twoPools(named('a', '127.0.0.1:22121'), named('b', 'localhost:22121'))],
    ['listen as a one-item list', `alpha:\n  listen:\n    - 127.0.0.1:22121\n  servers: 127.0.0.1:6379:1\n`],
    ['redis_auth before redis', withKeys('redis_auth: pw', 'redis: true')],
    // YAML subset
    ['empty file', ''],
    ['comment only', '# nothing\n'],
    ['document start', `---\n${withKeys()}`],
    ['document end', `${withKeys()}...\n`],
    ['two documents', `${withKeys()}---\n${named('b', '127.0.0.1:22122')}`],
    ['version directive', `%YAML 1.1\n---\n${withKeys()}`],
    ['flow sequence', `alpha:\n${LISTEN}  servers: [127.0.0.1:6379:1]\n`],
    ['flow mapping', 'alpha: {listen: 127.0.0.1:22121}\n'],
    ['anchor', withKeys('hash: &h md5')],
    ['alias', `alpha:\n  listen: &l 127.0.0.1:22121\n  hash: *l\n${SERVER}`],
    ['tag', withKeys('hash: !!str md5')],
    ['unclosed quote', `alpha:\n  listen: "127.0.0.1:22121\n${SERVER}`],
    ['tab indentation', `alpha:\n\tlisten: 127.0.0.1:22121\n${SERVER}`],
    ['tab on a blank line', `${withKeys()}\t\n`],
    ['tab after a dash', `alpha:\n${LISTEN}  servers:\n    -\t127.0.0.1:6379:1\n`],
    ['control character', `${withKeys()}# \u0001\n`],
    ['NEL inside a comment', `${withKeys()}# a\u0085 b\n`],
    // structure
    ['root list', '- a\n'],
    ['root scalar', 'hello\n'],
    ['pool without settings', 'alpha:\n'],
    ['pool with a scalar', 'alpha: beta\n'],
    ['pool that is a list', 'alpha:\n  - x\n'],
    ['nested mapping', 'alpha:\n  listen:\n    host: x\n'],
    ['server ending with a colon', withServers('127.0.0.1:6379:')],
    ['nested list', withServers('- 127.0.0.1:6379:1')],
    ['no servers list', `alpha:\n${LISTEN}`],
    ['servers as a block scalar', `alpha:\n${LISTEN}  servers: |\n    127.0.0.1:6379:1\n`],
    ['two lists', `${withKeys()}  other:\n    - x\n`],
    ['servers twice', `${withKeys()}  servers:\n    - 127.0.0.1:6380:1\n`],
    ['list under a key but no servers', `alpha:\n${LISTEN}  hash:\n    - md5\n`],
    // values
    ['empty value', withKeys('hash:')],
    ['empty quoted value', withKeys('hash: ""')],
    ['empty list item', withServers('127.0.0.1:6379:1', '""')],
    ['empty pool name', `"":\n${LISTEN}${SERVER}`],
    ['unknown key', withKeys('hahs: md5')],
    ['key in upper case', withKeys('Hash: md5')],
    ['sentinels key', withKeys('sentinels: 127.0.0.1:26379')],
    ['reuseport key', withKeys('reuseport: true')],
    ['bad hash', withKeys('hash: fnv2')],
    ['hash in upper case', withKeys('hash: MD5')],
    ['bad distribution', withKeys('distribution: vnode')],
    ['hash_tag of one char', withKeys('hash_tag: "{"')],
    ['hash_tag of three chars', withKeys('hash_tag: "{}}"')],
    ['negative timeout', withKeys('timeout: -1')],
    ['signed number', withKeys('backlog: +5')],
    ['decimal number', withKeys('timeout: 1.5')],
    ['hex number', withKeys('timeout: 0x10')],
    ['number that wraps negative', withKeys('timeout: 2147483648')],
    ['boolean yes', withKeys('redis: yes')],
    ['boolean True', withKeys('redis: True')],
    ['boolean 1', withKeys('preconnect: 1')],
    ['duplicate key', withKeys('hash: md5', 'hash: md5')],
    ['duplicate listen key', `${withKeys()}${LISTEN}`],
    ['server_connections 0', withKeys('server_connections: 0')],
    ['server_connections that wraps to 0', withKeys('server_connections: 4294967296')],
    ['redis_auth on memcache', withKeys('redis_auth: pw')],
    ['redis_auth with redis false', withKeys('redis_auth: pw', 'redis: false')],
    ['listen without port', withListen('127.0.0.1')],
    ['listen port 0', withListen('127.0.0.1:0')],
    ['listen port 65536', withListen('127.0.0.1:65536')],
    ['listen port not a number', withListen('127.0.0.1:x')],
    ['listen with empty port', withListen('"127.0.0.1:"')],
    ['listen without host', withListen('":22121"')],
    ['listen with brackets', withListen('"[::1]:22121"')],
    ['listen host that does not resolve', withListen('nosuchhost.invalid:22121')],
    ['listen with leading space', withListen('" 127.0.0.1:22121"')],
    ['listen with trailing space', withListen('"127.0.0.1:22121 "')],
    ['folded listen (ends with a newline)', `alpha:\n  listen: >\n    127.0.0.1:22121\n${SERVER}`],
    ['relative socket path', withListen('twlab.sock')],
    ['socket permission over 0777', withListen('/tmp/twlab-conf-test.sock 01000')],
    ['negative socket permission', withListen('/tmp/twlab-conf-test.sock -1')],
    ['socket path 108 bytes', withListen(`/${'x'.repeat(107)}`)],
    ['two listens in a list', `alpha:\n  listen:\n    - 127.0.0.1:22121\n    - 127.0.0.1:22122\n  servers: 127.0.0.1:6379:1\n`],
    ['missing listen', `alpha:\n${SERVER}`],
    ['server without weight', withServers('127.0.0.1:6379')],
    ['server weight 0', withServers('127.0.0.1:6379:0')],
    ['server weight that wraps to 0', withServers('127.0.0.1:6379:4294967296')],
    ['server weight negative', withServers('127.0.0.1:6379:-1')],
    ['server weight text', withServers('127.0.0.1:6379:x')],
    ['server name with spaces', withServers('127.0.0.1:6379:1 my server')],
    ['server name after a tab', withServers('127.0.0.1:6379:1\tname')],
    ['server port 0', withServers('127.0.0.1:0:1')],
    ['server port 65536', withServers('127.0.0.1:65536:1')],
    ['server empty port', withServers('127.0.0.1::1')],
    ['unix server without weight', withServers('/tmp/redis.sock')],
    ['unix server path with a colon', withServers('/tmp/a:b.sock:1')],
    ['duplicate servers', withServers('127.0.0.1:6379:1', '127.0.0.1:6379:2')],
    ['duplicate 11211 servers', withServers('127.0.0.1:11211:1', '127.0.0.1:011211:1')],
    ['duplicate names', withServers('127.0.0.1:6379:1 a', '127.0.0.1:6380:1 a')],
    ['duplicate listen', twoPools(named('a', '127.0.0.1:22121'), named('b', '127.0.0.1:22121'))],
    ['duplicate pool name', twoPools(named('a', '127.0.0.1:22121'), named('a', '127.0.0.1:22122'))],
  ]
  return [...cases.map(([name, text]) => ({name, text})), ...mutations(cases.slice(0, 40).map(([, text]) => text), 120)]
}

/**
 * Seeded random edits of valid files (insert, delete or replace a YAML-significant character),
 * so the corpus also holds the odd files nobody thought to write by hand.
 */
function mutations(seeds: string[], count: number): Array<{name: string; text: string}> {
  const pieces = [' ', ':', '-', '\t', '"', "'", '#', '\n', '[', '{', '&', '*', '!', '|', '>', '%', '?', ',', '0', '9', 'a', '\\', '\r', ': ', '- ', '\n  ', '\n    - ']
  let state = 20261121
  const random = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff
    return state % n
  }
  return Array.from({length: count}, (_, i) => {
    let text = seeds[random(seeds.length)]
    for (let edits = 1 + random(4); edits > 0; edits--) {
      const at = random(text.length + 1)
      const piece = pieces[random(pieces.length)]
      const op = random(3)
      text = op === 0 ? text.slice(0, at) + piece + text.slice(at) : op === 1 ? text.slice(0, at) + text.slice(at + 1 + random(3)) : text.slice(0, at) + piece + text.slice(at + 1)
    }
    return {name: `mutation ${i}: ${JSON.stringify(text)}`, text}
  })
}

/** Runs fn over items with at most `limit` in flight. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const workers = Array.from({length: Math.min(limit, items.length)}, async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index], index)
    }
  })
  await Promise.all(workers)
  return results
}

function nutcrackerTest(file: string): Promise<{ok: boolean; stderr: string}> {
  return new Promise((resolve) => {
    execFile('nutcracker', ['-t', '-c', file], {timeout: 20_000}, (error, _stdout, stderr) => {
      resolve({ok: !error, stderr})
    })
  })
}

describe('nutcracker -t and twlab agree on every file', () => {
  let dir: string
  const files: Array<{name: string; text: string; file: string}> = []
  let verdicts: Array<{nutcracker: boolean; twlab: boolean; reasons: string[]; nutcrackerStderr: string; twlabStderr: string}> = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twlab-conf-diff-'))
    for (const [index, c] of corpus().entries()) {
      const file = join(dir, `case-${String(index).padStart(3, '0')}.yml`)
      await writeFile(file, c.text)
      files.push({...c, file})
    }
    verdicts = await mapLimit(files, 4, async ({file}) => {
      const [nutcracker, twlabCheck] = await Promise.all([nutcrackerTest(file), checkConfigFile(file)])
      return {nutcracker: nutcracker.ok, twlab: twlabCheck.ok, reasons: twlabCheck.problems.map(formatProblem), nutcrackerStderr: nutcracker.stderr, twlabStderr: nutcrackerTestOutput(twlabCheck).stderr}
    })
  })

  after(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  test('the corpus is large and has both valid and invalid files', () => {
    assert.ok(files.length >= 250, `${files.length} cases`)
    const valid = verdicts.filter((v) => v.nutcracker).length
    assert.ok(valid >= 30 && files.length - valid >= 60, `${valid} valid, ${files.length - valid} invalid`)
  })

  test('every file: same verdict, and a reason for every rejection', () => {
    const disagreements = files
      .map((f, i) => ({...f, ...verdicts[i]}))
      .filter((v) => v.nutcracker !== v.twlab)
      .map((v) => `${v.name}: nutcracker says ${v.nutcracker ? 'ok' : 'invalid'}, twlab says ${v.twlab ? 'ok' : 'invalid'} ${v.reasons.join(' | ')}`)
    assert.deepEqual(disagreements, [])
    for (const [i, v] of verdicts.entries()) {
      if (!v.twlab) assert.ok(v.reasons.length > 0, `${files[i].name} is rejected with a reason`)
    }
  })

  test('nutcrackerTestOutput gives the exact stderr of nutcracker -t, missing files included', async () => {
    const differ = files
      .map((f, i) => ({...f, ...verdicts[i]}))
      .filter((v) => v.nutcrackerStderr !== v.twlabStderr)
      .map((v) => `${v.name}: ${JSON.stringify(v.nutcrackerStderr)} vs ${JSON.stringify(v.twlabStderr)}`)
    assert.deepEqual(differ, [])
    const missing = join(dir, 'missing.yml')
    const [nutcracker, check] = await Promise.all([nutcrackerTest(missing), checkConfigFile(missing)])
    assert.equal(nutcrackerTestOutput(check).stderr, nutcracker.stderr)
    assert.equal(nutcrackerTestOutput(check).exitCode, nutcracker.ok ? 0 : 1)
  })

  test('twlab conf test exits as nutcracker -t does and prints its verdict line', async () => {
    const sample = ['minimal', 'unix listen with permission', 'bad hash', 'flow sequence', 'duplicate servers']
    await mapLimit(sample, 2, async (name) => {
      const index = files.findIndex((f) => f.name === name)
      assert.ok(index >= 0, name)
      const {file} = files[index]
      const nutcracker = await nutcrackerTest(file)
      const run = await twlab(['conf', 'test', '-c', file])
      assert.equal(run.code, nutcracker.ok ? 0 : 1, `${name}: ${run.stdout}${run.stderr}`)
      const verdict = `nutcracker: configuration file '${file}' syntax is ${nutcracker.ok ? 'ok' : 'invalid'}`
      assert.equal(run.stdout.split('\n')[0], verdict)
      assert.ok(nutcracker.stderr.includes(verdict), 'the same line nutcracker prints')
      if (!nutcracker.ok) assert.match(run.stdout.split('\n')[1], new RegExp(`^ {2}${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`))
    })
  })
})
