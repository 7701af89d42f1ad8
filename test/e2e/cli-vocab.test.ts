// One vocabulary across commands, run through the built CLI: `--lab NAME` wherever a lab is meant
// (--name still works), lab node names wherever a node is, `--cluster HOST:PORT` for a cluster and
// `-c` for a config file only; status of every lab, numbers kept as numbers in --json, cluster
// check ending with the command that fixes what it found, a cluster node given as a target
// recognised as one (MOVED never a success), and commands that create things asking first.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {makeLabHome, type LabHome} from '../lab/support.js'
import {startRedis, stopAll} from '../support/servers.js'
import {runConsistencyCheck} from '../../src/check/consistency.js'
import type {LabState} from '../../src/lab/state.js'
import {defaultCheckpointPath} from '../../src/migrate/checkpoint.js'

describe('one vocabulary', () => {
  let lab: LabHome
  let cluster: LabState
  let pool: LabState
  const port = (state: LabState, name: string) => state.nodes.find((node) => node.name === name)!.port

  before(async () => {
    lab = makeLabHome()
    const c = await lab.up(['--lab', 'c', '--cluster', '--masters', '3', '--replicas', '0', '--json'])
    assert.equal(c.result.code, 0, c.result.stderr)
    const p = await lab.up(['--name', 'p', '--proxy', 'twproxy', '--json'])
    assert.equal(p.result.code, 0, p.result.stderr)
    cluster = lab.state('c')
    pool = lab.state('p')
  })
  after(async () => {
    await lab.cleanup()
    await stopAll()
  })

  test('--lab names the lab on lab commands, --name and -n still do', async () => {
    for (const args of [['status', '--lab', 'c'], ['status', '--name', 'c'], ['status', '-n', 'c'], ['logs', 'm1', '--lab', 'c', '--lines', '1']]) {
      const result = await lab.run([...args, '--json'])
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`)
    }
    const status = JSON.parse((await lab.run(['status', '--lab', 'c', '--json'])).stdout)
    assert.equal(status.name, 'c')
  })

  test('status with no name shows every lab; memory stays a number of bytes', async () => {
    const human = await lab.run(['status'])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /Lab "c"/)
    assert.match(human.stdout, /Lab "p"/)
    const json = JSON.parse((await lab.run(['status', '--json'])).stdout)
    assert.deepEqual(json.labs.map((l: {name: string}) => l.name), ['c', 'p'])
    const m1 = json.labs[0].nodes.find((n: {name: string}) => n.name === 'm1')
    assert.equal(typeof m1.memory, 'number')
    assert.ok(m1.memory > 100_000)
    assert.equal(typeof m1.memoryHuman, 'string')
  })

  test('reshard takes --lab and lab node names for --from and --to', async () => {
    const result = await lab.run(['reshard', '--lab', 'c', '--from', 'm1', '--to', 'm2', '--slots', '5', '--yes', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const summary = JSON.parse(result.stdout)
    assert.equal(summary.result.slotsMoved, 5)
    const rebalance = await lab.run(['rebalance', '--lab', 'c', '--weight', 'm3=1', '--simulate', '--json'])
    assert.equal(rebalance.code, 0, rebalance.stderr)
  })

  test('a cluster is --cluster HOST:PORT (or the only cluster lab); -c is a config file only', async () => {
    const byAddress = await lab.run(['cluster', 'check', '--cluster', `127.0.0.1:${port(cluster, 'm1')}`, '--json'])
    assert.equal(byAddress.code, 0, byAddress.stderr)
    const onlyClusterLab = await lab.run(['cluster', 'check', '--json'])
    assert.equal(onlyClusterLab.code, 0, onlyClusterLab.stderr)
    const dashC = await lab.run(['cluster', 'check', '-c', `127.0.0.1:${port(cluster, 'm1')}`])
    assert.equal(dashC.code, 2, dashC.stderr)
    const poolLab = await lab.run(['cluster', 'check', '--lab', 'p'])
    assert.equal(poolLab.code, 1)
    assert.match(poolLab.stderr, /pool lab, not a Redis Cluster/)
  })

  test('cluster check ends with a summary and the command that fixes what it found', async () => {
    const admin = new Redis({port: port(cluster, 'm3'), maxRetriesPerRequest: 1})
    try {
      const to = String(await admin.call('CLUSTER', 'MYID'))
      const m1 = new Redis({port: port(cluster, 'm1'), maxRetriesPerRequest: 1})
      // 12 slots of m1 left half-moved, as a killed reshard leaves them
      for (let slot = 100; slot < 112; slot++) await m1.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', to)
      m1.disconnect()
    } finally {
      admin.disconnect()
    }
    const human = await lab.run(['cluster', 'check', '--lab', 'c'])
    assert.equal(human.code, 1)
    assert.equal((human.stdout.match(/\[open-slot\] slot/g) ?? []).length, 5)
    assert.match(human.stdout, /\.\.\. and 7 more/)
    assert.match(human.stdout, /Problems: 12 half-moved \(open\) slots\./)
    assert.match(human.stdout, /twlab cluster fix --lab c/)
    const json = JSON.parse((await lab.run(['cluster', 'check', '--lab', 'c', '--json'])).stdout)
    assert.equal(json.counts['open-slot'], 12)
    assert.ok(json.fix.some((step: string) => step.startsWith('twlab cluster fix --lab c')))
    const fixed = await lab.run(['cluster', 'fix', '--lab', 'c', '--yes'])
    assert.equal(fixed.code, 0, fixed.stderr)
    assert.equal((await lab.run(['cluster', 'check', '--lab', 'c'])).code, 0)
  })

  test('check consistency: a cluster node given as --target is checked as a cluster', async () => {
    const result = await lab.run(['check', 'consistency', '--target', `127.0.0.1:${port(cluster, 'm2')}`, '--duration', '1s', '--keys', '100', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.mode, 'cluster')
    assert.equal(report.failedWrites, 0)
    assert.ok(report.writes > 0)
    const byLab = await lab.run(['check', 'consistency', '--lab', 'c', '--duration', '500ms', '--keys', '50', '--json'])
    assert.equal(byLab.code, 0, byLab.stderr)
    assert.equal(JSON.parse(byLab.stdout).mode, 'cluster')
    // the old boolean spelling still works: the node is recognised anyway
    const old = await lab.run(['check', 'consistency', '--target', `127.0.0.1:${port(cluster, 'm2')}`, '--cluster', '--duration', '300ms', '--keys', '20', '--json'])
    assert.equal(old.code, 0, old.stderr)
  })

  test('check consistency: MOVED is never a success', async () => {
    const report = await runConsistencyCheck({
      host: '127.0.0.1', port: port(cluster, 'm1'), cluster: false, durationMs: 500, keys: 60, concurrency: 2, commandTimeoutMs: 1000, keep: false,
    })
    assert.ok(report.redirected > 0, JSON.stringify(report))
    assert.equal(report.consistent, false)
  })

  test('destroying a cluster that a proxy fronts is refused without --force; status shows the proxy in front of it', async () => {
    // what a cut-over leaves: the pool's servers: replaced by cluster: in the proxy's file
    const file = pool.proxy.configFile
    const before = readFileSync(file, 'utf8')
    writeFileSync(file, before.replace(/servers:\n(\s+- .*\n)+/, `cluster:\n    - 127.0.0.1:${port(cluster, 'm1')}\n`))
    const status = JSON.parse((await lab.run(['status', '--lab', 'p', '--json'])).stdout)
    assert.deepEqual(status.fronts, {seeds: [`127.0.0.1:${port(cluster, 'm1')}`], lab: 'c'})
    const human = await lab.run(['status', '--lab', 'p'])
    assert.match(human.stdout, /cut over: twproxy on 127\.0\.0\.1:\d+ fronts cluster lab "c"/)
    assert.doesNotMatch(human.stdout, /pool: 3 masters/)
    const refused = await lab.run(['destroy', '--lab', 'c', '--yes'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /fronts lab "c".*--force/s)
    assert.ok(existsSync(join(lab.home, 'labs', 'c')))
    writeFileSync(file, before)
  })

  test('migrate --to-cluster with no address asks before it creates a cluster; without a terminal it needs --yes', async () => {
    const result = await lab.run(['migrate', '--lab', 'p', '--to-cluster', '--base-port', '13000'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /Create lab "p-cluster".*from port 13000.*--yes/s)
    assert.equal(existsSync(join(lab.home, 'labs', 'p-cluster')), false)
  })

  test('pool add-server --dry-run prints its plan on stdout', async () => {
    const extra = await startRedis()
    const result = await lab.run(['pool', 'add-server', `127.0.0.1:${extra.port}`, '--lab', 'p', '--dry-run'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /Adding 127\.0\.0\.1:\d+ .* to pool alpha/)
    assert.match(result.stdout, /servers after:/)
    assert.doesNotMatch(result.stderr, /servers after:/)
  })

  test('migrate checkpoints live under $TWLAB_HOME, the same file from any directory', () => {
    const saved = {home: process.env.TWLAB_HOME, cwd: process.cwd()}
    process.env.TWLAB_HOME = lab.home
    try {
      const first = defaultCheckpointPath(['127.0.0.1:1', '127.0.0.1:2'], '127.0.0.1:3')
      process.chdir('/')
      assert.equal(defaultCheckpointPath(['127.0.0.1:1', '127.0.0.1:2'], '127.0.0.1:3'), first)
      assert.ok(first.startsWith(join(lab.home, 'migrate')), first)
    } finally {
      process.chdir(saved.cwd)
      if (saved.home === undefined) delete process.env.TWLAB_HOME
      else process.env.TWLAB_HOME = saved.home
    }
  })

  test('up refuses cluster bus ports in the ephemeral range and checks them as it checks client ports', async () => {
    const result = await lab.run(['up', '--lab', 'eph', '--cluster', '--replicas', '0', '--base-port', '31300'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /cluster bus ports \(41310\.\.\.\) in the kernel's ephemeral range/)
    assert.equal(existsSync(join(lab.home, 'labs', 'eph')), false)
    for (const node of cluster.nodes) assert.ok(node.busPort! < 32768, `${node.name}: bus port ${node.busPort}`)
  })
})
