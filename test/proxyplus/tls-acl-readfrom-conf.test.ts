// The pool keys of TLS, ACL users and replica reads: refused as nutcracker refuses them unless
// extensions are on, explained by `conf test --extensions`, and checked with reasons (a key
// needs its partner, read_from needs Sentinel or a cluster).
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {analyzeConfig, listenerTlsOf, readFromOf, redisUserOf, serverTlsOf} from '../../src/config/index.js'
import {twlab} from '../support/cli.js'
import {tempDir} from '../support/servers.js'

const POOL = `secure:
  listen: 127.0.0.1:22121
  redis: true
  redis_auth: secret
  redis_user: app
  tls_cert_file: /etc/twlab/proxy.crt
  tls_key_file: /etc/twlab/proxy.key
  tls_ca_cert_file: /etc/twlab/ca.crt
  tls_auth_clients: true
  tls_server: true
  tls_server_ca_file: /etc/twlab/ca.crt
  tls_server_name: redis.internal
  read_from: prefer-replica
  replica_max_lag: 5
  sentinels:
    - 127.0.0.1:26379
  servers:
    - 127.0.0.1:6379:1 alpha
`
const NEW_KEYS = ['redis_user', 'tls_cert_file', 'tls_key_file', 'tls_ca_cert_file', 'tls_auth_clients', 'tls_server', 'tls_server_ca_file', 'tls_server_name', 'read_from', 'replica_max_lag']

test('each new key is an unknown directive to nutcracker, and read with extensions on', () => {
  const strict = analyzeConfig(POOL, 'n.yml')
  assert.equal(strict.config, undefined)
  const reasons = strict.problems.map((p) => p.nutcracker)
  for (const key of NEW_KEYS) assert.ok(reasons.includes(`conf: directive "${key}" is unknown`), `${key}: ${reasons.join('; ')}`)
  const open = analyzeConfig(POOL, 'n.yml', {extensions: true})
  assert.deepEqual(open.problems, [])
  const pool = open.config!.pools[0]
  assert.deepEqual(listenerTlsOf(pool), {certFile: '/etc/twlab/proxy.crt', keyFile: '/etc/twlab/proxy.key', caFile: '/etc/twlab/ca.crt', authClients: true})
  assert.deepEqual(serverTlsOf(pool), {caFile: '/etc/twlab/ca.crt', serverName: 'redis.internal', certFile: undefined, keyFile: undefined})
  assert.equal(redisUserOf(pool), 'app')
  assert.equal(readFromOf(pool), 'prefer-replica')
  for (const key of NEW_KEYS) assert.ok(open.extensionsUsed.some((use) => use.key === key), key)
})

test('a key without its partner, or on the wrong pool, is refused with the fix', () => {
  const problem = (text: string) => analyzeConfig(text, 'n.yml', {extensions: true}).problems[0]
  assert.match(problem(POOL.replace('  tls_key_file: /etc/twlab/proxy.key\n', '')).problem, /tls_cert_file is set without tls_key_file/)
  assert.match(problem(POOL.replace('  tls_ca_cert_file: /etc/twlab/ca.crt\n', '')).problem, /tls_auth_clients is set without tls_ca_cert_file/)
  assert.match(problem(POOL.replace('  tls_server: true\n', '')).fix ?? '', /tls_server: true/)
  assert.match(problem(POOL.replace('  redis_auth: secret\n', '')).problem, /redis_user is set without redis_auth/)
  const noSentinels = problem(POOL.replace(/  sentinels:\n.*\n/, ''))
  assert.match(noSentinels.problem, /read_from is set on a pool without sentinels or cluster/)
  assert.match(problem(POOL.replace('read_from: prefer-replica', 'read_from: slaves')).problem, /"slaves" is not a read_from value/)
  assert.match(problem(POOL.replace('tls_server: true', 'tls_server: yes')).problem, /"yes" is not "true" or "false"/)
})

test('twlab conf test refuses the keys, and explains each with --extensions', async () => {
  const dir = tempDir()
  try {
    const file = join(dir, 'nutcracker.yml')
    writeFileSync(file, POOL)
    const strict = await twlab(['conf', 'test', '-c', file])
    assert.equal(strict.code, 1)
    assert.match(strict.stdout, /tls_cert_file is a twlab extension that nutcracker does not know/)
    const open = await twlab(['conf', 'test', '-c', file, '--extensions'])
    assert.equal(open.code, 0, open.stdout + open.stderr)
    for (const key of NEW_KEYS) assert.match(open.stdout, new RegExp(`uses the twlab extension "${key}" \\(`), key)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
