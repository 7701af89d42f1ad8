import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {
  ConfigError, analyzeConfig, checkConfigText, compareNutcracker, formatProblem, nutcrackerAtoi, parseConfig,
  parseListen, parseServerEntry, registerExtension,
} from '../../src/config/index.js'

const pool = (extra = '', servers = ['127.0.0.1:6379:1']) =>
  `alpha:\n  listen: 127.0.0.1:22121\n${extra}  servers:\n${servers.map((s) => `    - ${s}\n`).join('')}`

/** The first problem nutcracker-exact parsing finds in `text`. */
function firstProblem(text: string) {
  const {problems} = analyzeConfig(text, 'nutcracker.yml')
  assert.ok(problems.length > 0, `expected a problem in:\n${text}`)
  return problems[0]
}

describe('parseConfig: defaults and values', () => {
  test('a minimal pool gets every nutcracker default', () => {
    const [p] = parseConfig(pool()).pools
    assert.deepEqual(
      {...p, servers: undefined, line: undefined},
      {
        name: 'alpha', listen: {kind: 'tcp', host: '127.0.0.1', port: 22121, text: '127.0.0.1:22121'},
        hash: 'fnv1a_64', distribution: 'ketama', timeout: -1, backlog: 512, clientConnections: 0,
        redis: false, redisDb: 0, preconnect: false, autoEjectHosts: false, serverConnections: 1,
        serverRetryTimeout: 30000, serverFailureLimit: 2, tcpkeepalive: false, reuseport: false,
        extensions: {}, servers: undefined, line: undefined,
      },
    )
    assert.equal(p.hashTag, undefined)
    assert.equal(p.redisAuth, undefined)
  })

  test('every key nutcracker knows is read', () => {
    const [p] = parseConfig(pool([
      'hash: murmur', 'hash_tag: "{}"', 'distribution: modula', 'timeout: 400', 'backlog: 1024',
      'client_connections: 100', 'redis: true', 'redis_auth: s3cret', 'redis_db: 3', 'preconnect: true',
      'auto_eject_hosts: true', 'server_connections: 4', 'server_retry_timeout: 2000', 'server_failure_limit: 5',
      'tcpkeepalive: true',
    ].map((l) => `  ${l}\n`).join(''))).pools
    assert.equal(p.hash, 'murmur')
    assert.equal(p.hashTag, '{}')
    assert.equal(p.distribution, 'modula')
    assert.equal(p.timeout, 400)
    assert.equal(p.backlog, 1024)
    assert.equal(p.clientConnections, 0, 'nutcracker 0.5.0 overwrites client_connections with 0')
    assert.equal(p.redis, true)
    assert.equal(p.redisAuth, 's3cret')
    assert.equal(p.redisDb, 3)
    assert.equal(p.preconnect, true)
    assert.equal(p.autoEjectHosts, true)
    assert.equal(p.serverConnections, 4)
    assert.equal(p.serverRetryTimeout, 2000)
    assert.equal(p.serverFailureLimit, 5)
    assert.equal(p.tcpkeepalive, true)
  })

  test('quoted values, comments and CRLF line ends read as their text', () => {
    const text = '# top\r\nalpha: # pool\r\n  listen: "127.0.0.1:22121"\r\n  redis: \'true\'\r\n  servers:\r\n    - 127.0.0.1:6379:1 # one\r\n'
    const [p] = parseConfig(text).pools
    assert.equal(p.redis, true)
    assert.equal(p.servers[0].name, '127.0.0.1:6379')
  })

  test('numbers are read as nutcracker reads them: digits only, wrapping at 32 bits', () => {
    assert.equal(nutcrackerAtoi('007'), 7)
    assert.equal(nutcrackerAtoi('2147483647'), 2147483647)
    assert.equal(nutcrackerAtoi('2147483648'), undefined)
    assert.equal(nutcrackerAtoi('4294967297'), 1)
    assert.equal(nutcrackerAtoi('99999999999'), 1215752191)
    for (const bad of ['', '-1', '+5', '1.5', '0x10', ' 5', '5 ']) assert.equal(nutcrackerAtoi(bad), undefined, bad)
    const analysis = analyzeConfig(pool('  timeout: 99999999999\n'))
    assert.equal(analysis.config!.pools[0].timeout, 1215752191)
    assert.match(analysis.warnings[0].problem, /wraps it around 2\^32 and reads 1215752191/)
  })

  test('a unix socket listen with and without a permission', () => {
    assert.deepEqual(parseListen('/tmp/tw.sock 0666'), {ok: true, listen: {kind: 'unix', path: '/tmp/tw.sock', perm: 0o666, text: '/tmp/tw.sock 0666'}})
    assert.deepEqual(parseListen('/tmp/tw.sock'), {ok: true, listen: {kind: 'unix', path: '/tmp/tw.sock', text: '/tmp/tw.sock'}})
    // strtol stops at the first non-octal digit, as nutcracker's does
    const quirk = parseListen('/tmp/tw.sock 0888')
    assert.ok(quirk.ok && quirk.listen.kind === 'unix' && quirk.listen.perm === 0)
    assert.equal(parseListen('/tmp/tw.sock 01000').ok, false)
    assert.equal(parseListen(`/${'x'.repeat(106)}`).ok, true)
    assert.equal(parseListen(`/${'x'.repeat(107)}`).ok, false)
  })

  test('listen host:port splits at the last colon', () => {
    assert.deepEqual(parseListen('::1:22121'), {ok: true, listen: {kind: 'tcp', host: '::1', port: 22121, text: '::1:22121'}})
  })
})

describe('parseConfig: order and server names', () => {
  test('compareNutcracker puts the shorter string first, then bytewise', () => {
    assert.deepEqual(['server10', 'server2', 'b', 'aa', 'a'].sort(compareNutcracker), ['a', 'b', 'aa', 'server2', 'server10'])
  })

  test('pools are sorted by name and servers by name', () => {
    const text = `zz:\n  listen: 127.0.0.1:3\n  servers:\n    - 127.0.0.1:6379:1\n` +
      `aaa:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:6379:1 server10\n    - 127.0.0.1:6380:1 server2\n` +
      `b:\n  listen: 127.0.0.1:2\n  servers:\n    - 127.0.0.1:6379:1\n`
    const config = parseConfig(text)
    assert.deepEqual(config.pools.map((p) => p.name), ['b', 'zz', 'aaa'])
    assert.deepEqual(config.pools[2].servers.map((s) => s.name), ['server2', 'server10'])
    assert.deepEqual(config.pools[2].servers.map((s) => s.line), [9, 8])
  })

  test('names: explicit, host alone for 11211, host:port as written, path: for unix sockets', () => {
    const [p] = parseConfig(pool('', ['127.0.0.1:11211:1', '127.0.0.1:06379:2', '10.0.0.1:6379:1 cache-a', '/tmp/redis.sock:3'])).pools
    const byAddress = Object.fromEntries(p.servers.map((s) => [s.address, s]))
    assert.equal(byAddress['127.0.0.1:11211'].name, '127.0.0.1')
    assert.equal(byAddress['127.0.0.1:06379'].name, '127.0.0.1:06379')
    assert.equal(byAddress['127.0.0.1:06379'].port, 6379)
    assert.equal(byAddress['127.0.0.1:06379'].weight, 2)
    assert.equal(byAddress['10.0.0.1:6379'].name, 'cache-a')
    assert.equal(byAddress['10.0.0.1:6379'].pname, '10.0.0.1:6379:1')
    assert.equal(byAddress['/tmp/redis.sock'].name, '/tmp/redis.sock:')
    assert.equal(byAddress['/tmp/redis.sock'].path, '/tmp/redis.sock')
    assert.equal(byAddress['/tmp/redis.sock'].port, 0)
  })

  test('server entries parse from the right, like nutcracker', () => {
    const ipv6 = parseServerEntry('::1:6379:1')
    assert.ok(ipv6.ok && ipv6.server.host === '::1' && ipv6.server.port === 6379)
    const extraColon = parseServerEntry('127.0.0.1:6379:1:2')
    assert.ok(extraColon.ok && extraColon.server.host === '127.0.0.1:6379' && extraColon.server.port === 1 && extraColon.server.weight === 2)
    const nameLikeAddress = parseServerEntry('127.0.0.1:6379:1 127.0.0.1:6380')
    assert.ok(nameLikeAddress.ok && nameLikeAddress.server.name === '127.0.0.1:6380')
    assert.equal(parseServerEntry('/tmp/a:b.sock:1').ok, false)
  })

  test('two different names on one host:port are allowed', () => {
    assert.equal(parseConfig(pool('', ['127.0.0.1:6379:1 a', '127.0.0.1:6379:1 b'])).pools[0].servers.length, 2)
  })
})

describe('parseConfig: every rejection says where, what and how to fix it', () => {
  const cases: Array<{name: string; text: string; line?: number; key?: string; problem: RegExp; nutcracker?: RegExp}> = [
    {name: 'empty file', text: '', problem: /no pools/, nutcracker: /found 0 documents/},
    {name: 'comments only', text: '# nothing\n', problem: /no pools/},
    {name: 'document start marker', text: `---\n${pool()}`, line: 1, problem: /"---" is not allowed/, nutcracker: /document start token/},
    {name: 'document end marker', text: `${pool()}...\n`, line: 5, problem: /"\.\.\." is not allowed/, nutcracker: /document end token/},
    {name: 'two documents', text: `${pool()}---\n${pool()}`, problem: /"---"|2 YAML documents/},
    {name: 'version directive', text: `%YAML 1.1\n---\n${pool()}`, line: 1, problem: /directives/, nutcracker: /version directive/},
    {name: 'flow sequence', text: 'alpha:\n  listen: 127.0.0.1:22121\n  servers: [127.0.0.1:6379:1]\n', line: 3, problem: /flow style lists/, nutcracker: /flow sequence start/},
    {name: 'flow mapping', text: 'alpha: {listen: 127.0.0.1:22121}\n', line: 1, problem: /flow style mappings/, nutcracker: /flow mapping start/},
    {name: 'anchor', text: pool('  hash: &h md5\n'), line: 3, problem: /anchor "&h"/, nutcracker: /anchor token/},
    {name: 'tag', text: pool('  hash: !!str md5\n'), line: 3, problem: /tag "!!str"/, nutcracker: /tag token/},
    {name: 'YAML syntax error', text: 'alpha:\n  listen: "127.0.0.1:22121\n', problem: /not valid YAML/},
    {name: 'tab indentation', text: `${pool()}\t# x\n`, line: 5, problem: /tab/},
    {name: 'root is a list', text: '- a\n', problem: /is a list/, nutcracker: /sequence at depth 0/},
    {name: 'root is a scalar', text: 'hello\n', problem: /plain value/},
    {name: 'pool with no settings', text: 'alpha:\n', line: 1, problem: /no settings/, nutcracker: /invalid mapping/},
    {name: 'pool with a scalar value', text: 'alpha: beta\n', line: 1, problem: /plain value "beta"/},
    {name: 'pool that is a list', text: 'alpha:\n  - x\n', line: 1, problem: /is a list/, nutcracker: /sequence at depth 1/},
    {name: 'nested mapping', text: 'alpha:\n  listen:\n    host: x\n  servers:\n    - 127.0.0.1:6379:1\n', line: 2, key: 'listen', problem: /one level deep/, nutcracker: /depth greater than 2/},
    {name: 'server entry with a trailing colon', text: pool('', ['127.0.0.1:6379:']), line: 4, key: 'servers', problem: /mapping, not a plain value/},
    {name: 'no servers list', text: 'alpha:\n  listen: 127.0.0.1:22121\n', line: 1, problem: /no "servers:" list/, nutcracker: /missing sequence directive/},
    {name: 'two lists', text: `${pool()}  more:\n    - x\n`, line: 5, problem: /second list/, nutcracker: /more than one sequence/},
    {name: 'empty value', text: pool('  hash:\n'), line: 3, key: 'hash', problem: /value is empty/},
    {name: 'empty list item', text: pool('', ['127.0.0.1:6379:1', '""']), line: 5, key: 'servers', problem: /value is empty/},
    {name: 'unknown key', text: pool('  hahs: md5\n'), line: 3, key: 'hahs', problem: /not a nutcracker setting/, nutcracker: /directive "hahs" is unknown/},
    {name: 'key in the wrong case', text: pool('  Hash: md5\n'), key: 'Hash', problem: /not a nutcracker setting/},
    {name: 'bad hash', text: pool('  hash: fnv2\n'), line: 3, key: 'hash', problem: /"fnv2" is not a valid hash/, nutcracker: /is not a valid hash$/},
    {name: 'bad distribution', text: pool('  distribution: vnode\n'), key: 'distribution', problem: /not a valid distribution/},
    {name: 'hash_tag of one character', text: pool('  hash_tag: "{"\n'), key: 'hash_tag', problem: /not two characters/},
    {name: 'hash_tag of three characters', text: pool('  hash_tag: "{}}"\n'), key: 'hash_tag', problem: /not two characters/},
    {name: 'negative number', text: pool('  timeout: -1\n'), key: 'timeout', problem: /"-1" is not a number/, nutcracker: /is not a number/},
    {name: 'signed number', text: pool('  backlog: +5\n'), key: 'backlog', problem: /not a number/},
    {name: 'decimal number', text: pool('  timeout: 1.5\n'), key: 'timeout', problem: /not a number/},
    {name: 'number that overflows to negative', text: pool('  timeout: 2147483648\n'), key: 'timeout', problem: /not a number/},
    {name: 'boolean yes', text: pool('  redis: yes\n'), key: 'redis', problem: /not "true" or "false"/},
    {name: 'boolean True', text: pool('  preconnect: True\n'), key: 'preconnect', problem: /not "true" or "false"/},
    {name: 'duplicate key', text: pool('  hash: md5\n  hash: crc32\n'), line: 4, key: 'hash', problem: /set twice/, nutcracker: /is a duplicate/},
    {name: 'listen without port', text: 'alpha:\n  listen: 127.0.0.1\n  servers:\n    - 127.0.0.1:6379:1\n', key: 'listen', problem: /not "host:port"/},
    {name: 'listen port 0', text: 'alpha:\n  listen: 127.0.0.1:0\n  servers:\n    - 127.0.0.1:6379:1\n', key: 'listen', problem: /not a valid port/},
    {name: 'listen port 65536', text: 'alpha:\n  listen: 127.0.0.1:65536\n  servers:\n    - 127.0.0.1:6379:1\n', key: 'listen', problem: /not a valid port/},
    {name: 'listen without host', text: 'alpha:\n  listen: ":22121"\n  servers:\n    - 127.0.0.1:6379:1\n', key: 'listen', problem: /no host/},
    {name: 'relative socket path', text: 'alpha:\n  listen: tw.sock\n  servers:\n    - 127.0.0.1:6379:1\n', key: 'listen', problem: /not "host:port"/},
    {name: 'socket permission above 0777', text: 'alpha:\n  listen: /tmp/tw.sock 01000\n  servers:\n    - 127.0.0.1:6379:1\n', key: 'listen', problem: /not a valid socket permission/},
    {name: 'missing listen', text: 'alpha:\n  servers:\n    - 127.0.0.1:6379:1\n', line: 1, problem: /no "listen:"/, nutcracker: /"listen:" is missing/},
    {name: 'server without weight', text: pool('', ['127.0.0.1:6379']), line: 4, key: 'servers', problem: /is not "host:port:weight \[name\]"/},
    {name: 'server weight 0', text: pool('', ['127.0.0.1:6379:0']), key: 'servers', problem: /zero weight/},
    {name: 'server weight negative', text: pool('', ['127.0.0.1:6379:-1']), key: 'servers', problem: /not a valid weight/},
    {name: 'server name with a space', text: pool('', ['127.0.0.1:6379:1 my server']), key: 'servers', problem: /not a valid weight/},
    {name: 'server port 0', text: pool('', ['127.0.0.1:0:1']), key: 'servers', problem: /not a valid port/},
    {name: 'unix server path with a colon', text: pool('', ['/tmp/a:b.sock:1']), key: 'servers', problem: /cannot contain ':'/},
    {name: 'duplicate server', text: pool('', ['127.0.0.1:6379:1', '127.0.0.1:6379:2']), line: 5, key: 'servers', problem: /two servers have the name "127.0.0.1:6379" \(lines 4 and 5\)/, nutcracker: /servers with same name/},
    {name: 'duplicate 11211 hosts', text: pool('', ['127.0.0.1:11211:1', '127.0.0.1:11211:1']), key: 'servers', problem: /name "127.0.0.1"/},
    {name: 'server_connections 0', text: pool('  server_connections: 0\n'), line: 3, key: 'server_connections', problem: /is 0/, nutcracker: /cannot be 0/},
    {name: 'redis_auth on memcache', text: pool('  redis_auth: pw\n'), line: 3, key: 'redis_auth', problem: /memcache pool/, nutcracker: /only valid for a redis pool/},
    {name: 'no servers at all', text: 'alpha:\n  listen: 127.0.0.1:22121\n  hash:\n    - md5\n', problem: /no servers/, nutcracker: /has no servers/},
    {name: 'duplicate listen', text: `${pool()}beta:\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n`, line: 6, key: 'listen', problem: /both listen on "127.0.0.1:22121"/, nutcracker: /have the same listen address/},
    {name: 'duplicate pool name', text: `${pool()}alpha:\n  listen: 127.0.0.1:22122\n  servers:\n    - 127.0.0.1:6379:1\n`, line: 5, problem: /another pool named "alpha"/, nutcracker: /pools with same name/},
    {name: 'reuseport (not in 0.5.0)', text: pool('  reuseport: true\n'), key: 'reuseport', problem: /twlab extension/, nutcracker: /directive "reuseport" is unknown/},
  ]
  for (const c of cases) {
    test(c.name, () => {
      const p = firstProblem(c.text)
      assert.match(p.problem, c.problem)
      if (c.line !== undefined) assert.equal(p.line, c.line, formatProblem(p))
      if (c.key !== undefined) assert.equal(p.key, c.key)
      if (c.nutcracker) assert.match(p.nutcracker ?? '', c.nutcracker)
      assert.equal(p.file, 'nutcracker.yml')
      assert.ok(p.fix && p.fix.length > 10, `a fix is offered for ${c.name}`)
      assert.throws(() => parseConfig(c.text, 'nutcracker.yml'), ConfigError)
    })
  }
})

describe('ConfigError', () => {
  test('the message names the file, line, pool, key, the problem and the fix', () => {
    const error = (() => {
      try {
        parseConfig(pool('  hash: fnv2\n'), 'nutcracker.yml')
      } catch (e) {
        return e as ConfigError
      }
      return undefined
    })()
    assert.ok(error instanceof ConfigError)
    assert.equal(error.message, 'nutcracker.yml:3: pool "alpha", key "hash": "fnv2" is not a valid hash. Use one of: one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins.')
    assert.deepEqual([error.file, error.line, error.pool, error.key], ['nutcracker.yml', 3, 'alpha', 'hash'])
  })

  test('every problem in the file is reported, in file order', () => {
    const {problems} = analyzeConfig(pool('  hash: fnv2\n  redis: yes\n', ['127.0.0.1:6379:0']), 'n.yml')
    assert.deepEqual(problems.map((p) => [p.line, p.key]), [[3, 'hash'], [4, 'redis'], [6, 'servers']])
    assert.throws(() => parseConfig(pool('  hash: fnv2\n  redis: yes\n')), /\(1 more problem in this file\)/)
  })
})

describe('extensions', () => {
  test('registered keys are rejected by default and accepted with {extensions: true}', () => {
    const text = pool('  reuseport: true\n')
    assert.throws(() => parseConfig(text), /reuseport is a twlab extension that nutcracker does not know/)
    const analysis = analyzeConfig(text, 'n.yml', {extensions: true})
    assert.deepEqual(analysis.problems, [])
    assert.equal(analysis.config!.pools[0].reuseport, true)
    assert.deepEqual(analysis.config!.pools[0].extensions, {reuseport: true})
    assert.equal(analysis.extensionsUsed[0].key, 'reuseport')
    assert.equal(analysis.extensionsUsed[0].line, 3)
  })

  test('an extension value is checked by the extension', () => {
    assert.match(firstProblemWith(pool('  reuseport: yes\n')).problem, /not "true" or "false"/)
  })

  test('a sequence extension that provides servers may stand in for servers:', () => {
    registerExtension({
      key: 'test_backends', description: 'backends found elsewhere (test only)', value: 'sequence', providesServers: true,
      parse: (value) => value,
    })
    const text = 'alpha:\n  listen: 127.0.0.1:22121\n  test_backends:\n    - 127.0.0.1:26379\n    - 127.0.0.1:26380\n'
    assert.throws(() => parseConfig(text))
    const config = parseConfig(text, 'n.yml', {extensions: true})
    assert.deepEqual(config.pools[0].extensions.test_backends, ['127.0.0.1:26379', '127.0.0.1:26380'])
    assert.deepEqual(config.pools[0].servers, [])
  })

  function firstProblemWith(text: string) {
    return analyzeConfig(text, 'n.yml', {extensions: true}).problems[0]
  }
})

describe('warnings: legal, but probably not meant', () => {
  test('client_connections is ignored; a list under listen is read as repeats', () => {
    const {warnings} = analyzeConfig('alpha:\n  listen:\n    - 127.0.0.1:22121\n  client_connections: 10\n  servers: 127.0.0.1:6379:1\n')
    assert.deepEqual(warnings.map((w) => w.key), ['listen', 'client_connections', 'servers'])
  })
})

describe('listen host resolution', () => {
  test('IP literals and localhost resolve; the file is then valid', async () => {
    const check = await checkConfigText('alpha:\n  listen: localhost:22121\n  servers:\n    - 127.0.0.1:6379:1\n')
    assert.equal(check.ok, true)
  })

  test('a host that does not resolve makes the file invalid', async () => {
    const check = await checkConfigText('alpha:\n  listen: "[::1]:22121"\n  servers:\n    - 127.0.0.1:6379:1\n', 'n.yml')
    assert.equal(check.ok, false)
    assert.match(check.problems[0].problem, /"\[::1\]" does not resolve/)
    assert.equal(check.problems[0].line, 2)
  })
})
