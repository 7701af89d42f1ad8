// A pool lab end to end through the CLI: up behind a proxy with a password, write and read
// through it, faults on one node, the consistency checker across it, and a teardown that leaves
// no process behind.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {Redis} from 'ioredis'
import {alivePids, makeLabHome, type LabHome} from '../lab/support.js'
import type {LabStatus} from '../../src/lab/status.js'
import {twproxyAvailable} from '../../src/lab/binaries.js'

const PROXY = 'twproxy'

describe('pool lab', () => {
  let lab: LabHome
  let basePort = 0
  let pids: number[] = []

  before(async () => {
    lab = makeLabHome()
  })
  after(async () => {
    await lab.cleanup()
  })

  test('up starts 3 masters behind the proxy and returns while they keep running', async () => {
    const {result, basePort: base} = await lab.up(['--name', 'p', '--proxy', PROXY, '--password', 'sekret', '--json'])
    assert.equal(result.code, 0, result.stderr)
    basePort = base
    const up = JSON.parse(result.stdout)
    assert.equal(up.name, 'p')
    assert.equal(up.topology, 'pool')
    assert.equal(up.proxy.kind, PROXY)
    assert.equal(up.proxy.address, `127.0.0.1:${basePort}`)
    assert.deepEqual(up.nodes.map((n: {name: string}) => n.name), ['m1', 'm2', 'm3', 'proxy'])
    pids = lab.state('p').nodes.map((node) => node.pid)
    assert.equal(alivePids(pids).length, 4)
  })

  test('status --json is the contract: name, topology, proxy, nodes with name/role/host/port/pid/alive', async () => {
    const result = await lab.run(['status', '--name', 'p', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const status = JSON.parse(result.stdout) as LabStatus
    assert.equal(status.name, 'p')
    assert.equal(status.topology, 'pool')
    assert.equal(status.proxy.statsAddress, `127.0.0.1:${basePort + 1}`)
    assert.ok(status.proxy.configFile.endsWith('nutcracker.yml'))
    for (const node of status.nodes) {
      for (const field of ['name', 'role', 'host', 'port', 'pid', 'alive'] as const) assert.ok(field in node, `${node.name} lacks ${field}`)
      assert.equal(node.alive, true)
    }
    assert.deepEqual(status.nodes.filter((n) => n.role === 'master').map((n) => n.name), ['m1', 'm2', 'm3'])
  })

  test('keys written through the proxy (with AUTH) spread over the masters', async () => {
    const client = new Redis({port: basePort, password: 'sekret', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
    try {
      for (let i = 0; i < 300; i++) await client.set(`k:${i}`, String(i))
      assert.equal(await client.get('k:123'), '123')
    } finally {
      client.disconnect()
    }
    const status = JSON.parse((await lab.run(['status', '--name', 'p', '--json'])).stdout) as LabStatus
    const keys = status.nodes.filter((n) => n.role === 'master').map((n) => n.keys ?? 0)
    assert.equal(keys.reduce((a, b) => a + b, 0), 300)
    assert.ok(keys.every((count) => count > 0), `every master holds keys: ${keys}`)
  })

  test('the consistency checker runs through the proxy and finds nothing lost', async () => {
    const result = await lab.run(['check', 'consistency', '--target', `127.0.0.1:${basePort}`, '--password', 'sekret', '--duration', '2s', '--keys', '200', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.ok(report.reads > 0 && report.writes > 0, `reads ${report.reads}, writes ${report.writes}`)
    assert.equal(report.lostWrites, 0)
    assert.equal(report.failedWrites, 0)
  })

  test('kill, start, stop and pause act on one node by its pid', async () => {
    const m2 = lab.state('p').nodes.find((n) => n.name === 'm2')
    assert.ok(m2)
    assert.equal((await lab.run(['kill', 'm2', '--name', 'p'])).code, 0)
    assert.deepEqual(alivePids([m2.pid]), [])
    let status = JSON.parse((await lab.run(['status', '--name', 'p', '--json'])).stdout) as LabStatus
    assert.equal(status.nodes.find((n) => n.name === 'm2')?.alive, false)
    assert.equal(status.nodes.find((n) => n.name === 'm1')?.alive, true)
    const again = await lab.run(['kill', 'm2', '--name', 'p'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /m2 of lab "p" is not running/)

    assert.equal((await lab.run(['start', 'm2', '--name', 'p'])).code, 0)
    const restarted = lab.state('p').nodes.find((n) => n.name === 'm2')
    assert.ok(restarted && restarted.pid !== m2.pid && alivePids([restarted.pid]).length === 1)

    const paused = await lab.run(['pause', 'm3', '--for', '300ms', '--name', 'p', '--json'])
    assert.equal(paused.code, 0, paused.stderr)
    assert.equal(JSON.parse(paused.stdout).resumed, true)

    assert.equal((await lab.run(['pause', 'm3', '--name', 'p'])).code, 0)
    status = JSON.parse((await lab.run(['status', '--name', 'p', '--json'])).stdout) as LabStatus
    assert.deepEqual([status.nodes.find((n) => n.name === 'm3')?.paused, status.nodes.find((n) => n.name === 'm3')?.responding], [true, false])
    const resumed = await lab.run(['start', 'm3', '--name', 'p', '--json'])
    assert.equal(JSON.parse(resumed.stdout).action, 'resumed')

    assert.equal((await lab.run(['stop', 'm1', '--name', 'p'])).code, 0)
    status = JSON.parse((await lab.run(['status', '--name', 'p', '--json'])).stdout) as LabStatus
    assert.equal(status.nodes.find((n) => n.name === 'm1')?.alive, false)
    assert.equal((await lab.run(['start', 'm1', '--name', 'p'])).code, 0)
    pids = lab.recordedPids()
  })

  test('logs shows a node log; failover on a pool says why not', async () => {
    const logs = await lab.run(['logs', 'm1', '--name', 'p', '--lines', '5'])
    assert.equal(logs.code, 0)
    assert.match(logs.stdout, /Ready to accept connections/)
    const failover = await lab.run(['failover', '--name', 'p'])
    assert.equal(failover.code, 1)
    assert.match(failover.stderr, /pools have no failover/)
  })

  test('a second lab on busy ports fails in one sentence and leaves nothing behind', async () => {
    const result = await lab.run(['up', '--name', 'clash', '--proxy', PROXY, '--base-port', String(basePort)])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /already given to another lab|in use/)
    assert.doesNotMatch(result.stderr, /at .*\.js/)
    assert.equal(existsSync(`${lab.home}/labs/clash`), false)
    const ls = JSON.parse((await lab.run(['ls', '--json'])).stdout)
    assert.deepEqual(ls.labs.map((l: {name: string}) => l.name), ['p'])
  })

  test('down stops every recorded process; destroy needs --yes without a terminal', async () => {
    const down = await lab.run(['down', '--name', 'p'])
    assert.equal(down.code, 0, down.stderr)
    assert.deepEqual(alivePids(pids), [])
    assert.deepEqual(alivePids(lab.recordedPids()), [])
    // a stopped lab is started again (with its data) by the next `up` of the same name
    const again = await lab.run(['up', '--name', 'p', '--proxy', PROXY, '--base-port', String(basePort)])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stderr, /Starting the stopped lab "p" again/)
    const running = await lab.run(['up', '--name', 'p', '--proxy', PROXY])
    assert.equal(running.code, 1)
    assert.match(running.stderr, /already running/)
    const secondPids = lab.state('p').nodes.map((node) => node.pid)
    assert.equal(alivePids(secondPids).length, 4)
    assert.equal((await lab.run(['down', '--name', 'p'])).code, 0)
    assert.deepEqual(alivePids(secondPids), [])
    const refused = await lab.run(['destroy', '--name', 'p'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /--yes/)
    assert.ok(existsSync(`${lab.home}/labs/p`))
    const destroyed = await lab.run(['destroy', '--name', 'p', '--yes'])
    assert.equal(destroyed.code, 0)
    assert.equal(existsSync(`${lab.home}/labs/p`), false)
  })

  test('up with no flags: 3 masters behind the default proxy, fnv1a_64 and ketama', async () => {
    const {result, basePort: base} = await lab.up(['--json'])
    assert.equal(result.code, 0, result.stderr)
    const up = JSON.parse(result.stdout)
    assert.equal(up.name, 'default')
    // twproxy when this installation has it built, nutcracker otherwise (and it says so)
    assert.equal(up.proxy.kind, twproxyAvailable() ? 'twproxy' : 'nutcracker')
    assert.deepEqual([up.proxy.pool, up.proxy.hash, up.proxy.distribution], ['alpha', 'fnv1a_64', 'ketama'])
    assert.deepEqual(up.nodes.filter((n: {role: string}) => n.role === 'master').length, 3)
    const client = new Redis({port: base, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
    try {
      assert.equal(await client.set('through', 'proxy'), 'OK')
      assert.equal(await client.get('through'), 'proxy')
    } finally {
      client.disconnect()
    }
    const pidsNow = lab.state('default').nodes.map((node) => node.pid)
    assert.equal((await lab.run(['down'])).code, 0)
    assert.deepEqual(alivePids(pidsNow), [])
  })
})
