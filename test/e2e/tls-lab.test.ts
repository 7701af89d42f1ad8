// `twlab up --sentinel --tls --user --password --read-from replica` end to end: every node and
// twproxy speak TLS only, with the lab's own CA (status --json gives the files); redis-cli and
// ioredis reach the pool through twproxy over TLS as the ACL user (AUTH user password, and the
// plain AUTH password form); plain TCP is refused; reads land on the replicas (INFO commandstats)
// while writes stay on the master; a killed replica is skipped; the tools reach the lab with its
// own certificates and take --tls/--cacert themselves; a pool that requires client certificates
// refuses a client without one.
import {test, describe, before, beforeEach, after} from 'node:test'
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {promisify} from 'node:util'
import {Redis} from 'ioredis'
import {eventually, makeLabHome, type LabHome} from '../lab/support.js'
import type {LabStatus} from '../../src/lab/status.js'
import type {LabState} from '../../src/lab/state.js'
import {startTwproxy, stopTwproxies} from '../proxy/harness.js'
import {freePort} from '../support/servers.js'

const run = promisify(execFile)
const PASSWORD = 'pw-1'

describe('a TLS Sentinel lab with an ACL user and replica reads', () => {
  let lab: LabHome
  let state: LabState
  let tls: {caFile: string; certFile: string; keyFile: string}

  const port = (name: string) => state.nodes.find((node) => node.name === name)!.port
  /** redis-cli over TLS with the lab's CA; never throws (the reply or the error text) */
  const cli = async (nodePort: number, args: string[], extra: string[] = ['--tls', '--cacert', tls.caFile]): Promise<string> => {
    try {
      const {stdout, stderr} = await run('redis-cli', ['-p', String(nodePort), ...extra, ...args], {timeout: 10_000})
      return (stdout + stderr).trim()
    } catch (error) {
      const e = error as {stdout?: string; stderr?: string; message: string}
      return `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message
    }
  }
  /** each node's INFO replication and key count, for a failure message */
  const replicationStates = async (): Promise<string> => {
    const states: string[] = []
    for (const node of state.nodes.filter((n) => n.role === 'master' || n.role === 'replica')) {
      const info = await cli(node.port, ['-a', PASSWORD, '--no-auth-warning', 'INFO', 'replication'])
      const keys = await cli(node.port, ['-a', PASSWORD, '--no-auth-warning', 'DBSIZE'])
      states.push(`${node.name} :${node.port} keys=${keys} ${info.split('\n').filter((line) => /role|link|offset|sync|slave\d/.test(line)).map((line) => line.trim()).join(' ')}`)
    }
    return states.join('\n')
  }
  /** Waits (bounded) until every replica holds `key` with `value`: reads through twproxy may land on either. */
  const onEveryReplica = async (key: string, value: string): Promise<void> => {
    const replicas = state.nodes.filter((n) => n.role === 'replica')
    await eventually(`${key} on every replica`, 15_000, async () => {
      for (const replica of replicas) if (await cli(replica.port, ['-a', PASSWORD, '--no-auth-warning', 'GET', key]) !== value) return undefined
      return true
    }).catch(async (error: Error) => assert.fail(`${error.message}\n${await replicationStates()}`))
  }
  const commandCalls = async (nodePort: number, command: string): Promise<number> => {
    const info = await cli(nodePort, ['-a', PASSWORD, '--no-auth-warning', 'INFO', 'commandstats'])
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0)
  }

  // A failed `up` is reported by every test with the command's output and the nodes' logs, not as
  // a cancelled suite whose reason is easy to lose in a long run's output. It gets a second chance
  // in a fresh home (its first failure printed): twelve TLS links set up at once on a busy shared
  // machine are the slowest start of the suite.
  let upFailure: string | undefined
  before(async () => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      lab = makeLabHome()
      const {result} = await lab.up(['--sentinel', '--masters', '1', '--replicas', '2', '--tls', '--user', 'app', '--password', PASSWORD, '--read-from', 'replica', '--name', 'sec'], 120_000)
      if (result.code === 0) {
        upFailure = undefined
        state = lab.state('sec')
        return
      }
      upFailure = `twlab up exited ${result.code} (attempt ${attempt}): ${result.stderr}${result.stdout}\n${lab.logTails('sec')}`
      console.error(upFailure)
      await lab.cleanup()
    }
  })
  beforeEach(() => {
    if (upFailure !== undefined) assert.fail(upFailure)
  })
  after(async () => {
    await stopTwproxies()
    await lab.cleanup()
  })

  test('status --json gives the TLS files, the user and read_from; every node listens with TLS only', async () => {
    const status = JSON.parse((await lab.run(['status', '--lab', 'sec', '--json'])).stdout) as LabStatus
    assert.ok(status.tls, 'status has tls')
    tls = status.tls
    assert.match(readFileSync(tls.caFile, 'utf8'), /BEGIN CERTIFICATE/)
    assert.match(readFileSync(tls.certFile, 'utf8'), /BEGIN CERTIFICATE/)
    assert.match(readFileSync(tls.keyFile, 'utf8'), /PRIVATE KEY/)
    assert.equal(status.user, 'app')
    assert.equal(status.readFrom, 'replica')
    assert.ok(status.nodes.every((node) => node.alive), JSON.stringify(status.nodes.map((n) => [n.name, n.alive])))
    assert.equal(await cli(port('m1'), ['--user', 'app', '--pass', PASSWORD, '--no-auth-warning', 'PING']), 'PONG')
    // no plain port: a TCP client gets no answer
    assert.doesNotMatch(await cli(port('m1'), ['PING'], []), /PONG/)
    assert.doesNotMatch(await cli(state.proxy.port!, ['PING'], []), /PONG/)
  })

  test('redis-cli through twproxy over TLS, as the ACL user or with the plain password', async () => {
    const proxy = state.proxy.port!
    assert.equal(await cli(proxy, ['--user', 'app', '--pass', PASSWORD, '--no-auth-warning', 'SET', 'greeting', 'hello']), 'OK')
    // reads go to replicas (read_from: replica), which see the write a moment later
    assert.equal(await eventually('the write on the replicas', 5000, async () => (await cli(proxy, ['-a', PASSWORD, '--no-auth-warning', 'GET', 'greeting'])) || undefined), 'hello')
    assert.equal(await cli(proxy, ['AUTH', 'app', PASSWORD]), 'OK')
    assert.match(await cli(proxy, ['AUTH', 'app', 'wrong']), /WRONGPASS/)
    assert.match(await cli(proxy, ['AUTH', 'someone', PASSWORD]), /WRONGPASS/)
    assert.match(await cli(proxy, ['GET', 'greeting']), /NOAUTH/)
    // the servers see the proxy as the ACL user
    const clients = await cli(port('m1'), ['-a', PASSWORD, '--no-auth-warning', 'CLIENT', 'LIST'])
    assert.match(clients, /user=app/)
  })

  test('ioredis through twproxy with TLS and the ACL user', async () => {
    const client = new Redis({
      port: state.proxy.port!, host: '127.0.0.1', username: 'app', password: PASSWORD,
      tls: {ca: readFileSync(tls.caFile)}, maxRetriesPerRequest: 1, enableReadyCheck: false, disableClientInfo: true,
    })
    client.on('error', () => {})
    try {
      assert.equal(await client.set('lib', 'ioredis'), 'OK')
      // reads go to replicas (read_from: replica), which see the write a moment later
      assert.equal(await eventually('the write on the replicas', 5000, async () => (await client.get('lib')) ?? undefined), 'ioredis')
      await onEveryReplica('lib', 'ioredis')
      assert.deepEqual(await client.mget('lib', 'greeting'), ['ioredis', 'hello'], await replicationStates())
    } finally {
      client.disconnect()
    }
  })

  test('reads go to the replicas, writes to the master; a killed replica is skipped', async () => {
    const proxy = state.proxy.port!
    const auth = ['--user', 'app', '--pass', PASSWORD, '--no-auth-warning']
    await onEveryReplica('greeting', 'hello')
    const before = {m1: await commandCalls(port('m1'), 'get'), r1: await commandCalls(port('m1-r1'), 'get'), r2: await commandCalls(port('m1-r2'), 'get'), set: await commandCalls(port('m1'), 'set')}
    // one redis-cli, 40 GETs and 10 SETs
    const script = [...Array.from({length: 40}, () => 'GET greeting'), ...Array.from({length: 10}, (_, i) => `SET w${i} x`)].join('\n')
    const piped = (await new Promise<string>((resolve) => {
      const child = execFile('redis-cli', ['-p', String(proxy), '--tls', '--cacert', tls.caFile, ...auth], {timeout: 10_000}, (_e, stdout) => resolve(stdout))
      child.stdin!.end(script + '\n')
    })).trim().split('\n')
    assert.equal(piped.filter((line) => line === 'hello').length, 40, `${piped.join(' | ')}\n${await replicationStates()}`)
    const after = {m1: await commandCalls(port('m1'), 'get'), r1: await commandCalls(port('m1-r1'), 'get'), r2: await commandCalls(port('m1-r2'), 'get'), set: await commandCalls(port('m1'), 'set')}
    assert.equal(after.m1 - before.m1, 0, 'no GET on the master')
    assert.equal(after.r1 - before.r1 + after.r2 - before.r2, 40, 'every GET on a replica')
    assert.ok(after.r1 > before.r1 && after.r2 > before.r2, 'both replicas take reads')
    assert.equal(after.set - before.set, 10, 'every SET on the master')

    const killed = await lab.run(['kill', 'm1-r1', '--lab', 'sec'])
    assert.equal(killed.code, 0, killed.stderr)
    // a read sent to the dead replica before anyone noticed is answered by the master instead
    for (let i = 0; i < 5; i++) assert.equal(await cli(proxy, [...auth, 'GET', 'greeting']), 'hello')
    // the master reports the replica gone: twproxy says so, and reads go to the live one only
    const logFile = state.nodes.find((n) => n.role === 'proxy')!.logFile
    await eventually('reads to go to m1-r2 only', 10_000, async () => new RegExp(`go to replicas 127\\.0\\.0\\.1:${port('m1-r2')}$`, 'm').test(readFileSync(logFile, 'utf8')) || undefined)
    const r2Before = await commandCalls(port('m1-r2'), 'get')
    const m1Before = await commandCalls(port('m1'), 'get')
    for (let i = 0; i < 20; i++) assert.equal(await cli(proxy, [...auth, 'GET', 'greeting']), 'hello')
    assert.equal(await commandCalls(port('m1-r2'), 'get') - r2Before, 20, 'the live replica takes every read')
    assert.equal(await commandCalls(port('m1'), 'get') - m1Before, 0, 'none on the master')
  })

  test('the tools reach the TLS lab with its own certificates, and take --tls/--cacert themselves', async () => {
    const where = await lab.run(['keys', 'where', 'greeting', '--lab', 'sec', '--json'])
    assert.equal(where.code, 0, where.stderr)
    assert.match(where.stdout, /"exists":\s*true/)
    const configFile = state.proxy.configFile
    const plain = await lab.run(['keys', 'dist', '-c', configFile, '--json'])
    assert.notEqual(plain.code, 0, 'without --tls the servers do not answer')
    const flagged = await lab.run(['keys', 'dist', '-c', configFile, '--tls', '--cacert', tls.caFile, '--user', 'app', '--json'])
    assert.equal(flagged.code, 0, flagged.stderr + flagged.stdout)
  })

  test('a pool that requires client certificates refuses a client without one', async () => {
    const listen = await freePort()
    const config = `certs:\n  listen: 127.0.0.1:${listen}\n  redis: true\n  redis_auth: ${PASSWORD}\n  tls_cert_file: ${tls.certFile}\n  tls_key_file: ${tls.keyFile}\n` +
      `  tls_ca_cert_file: ${tls.caFile}\n  tls_auth_clients: true\n  tls_server: true\n  tls_server_ca_file: ${tls.caFile}\n  servers:\n    - 127.0.0.1:${port('m1')}:1 m1\n`
    await startTwproxy(config, listen)
    const withCert = ['--tls', '--cacert', tls.caFile, '--cert', tls.certFile, '--key', tls.keyFile]
    assert.equal(await cli(listen, ['-a', PASSWORD, '--no-auth-warning', 'GET', 'greeting'], withCert), 'hello')
    assert.doesNotMatch(await cli(listen, ['-a', PASSWORD, '--no-auth-warning', 'GET', 'greeting']), /hello/)
    const bare = new Redis({port: listen, host: '127.0.0.1', password: PASSWORD, tls: {ca: readFileSync(tls.caFile)}, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false, disableClientInfo: true})
    bare.on('error', () => {})
    const signed = new Redis({port: listen, host: '127.0.0.1', password: PASSWORD, tls: {ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile)}, maxRetriesPerRequest: 1, enableReadyCheck: false, disableClientInfo: true})
    signed.on('error', () => {})
    try {
      await assert.rejects(bare.get('greeting'))
      assert.equal(await signed.get('greeting'), 'hello')
    } finally {
      bare.disconnect()
      signed.disconnect()
    }
  })
})
