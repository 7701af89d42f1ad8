// The keys commands on labs: a pool lab (password, twproxy in front) found with no target flag
// when it is the only lab running, and a cluster lab by --lab. Strays are planted by moving
// keys between the lab's masters by hand; audit finds them, fix moves them back, the proxy
// serves them again.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {makeLabHome, type LabHome} from '../lab/support.js'
import {misplace} from '../keys/pool-fixture.js'

const PASSWORD = 'lab-secret'
const KEYS = 120
const STRAYS = 6

describe('keys commands on labs', () => {
  let lab: LabHome
  let proxyPort = 0
  const masters: Redis[] = []

  before(async () => {
    lab = makeLabHome()
    const {result} = await lab.up(['--name', 'kp', '--password', PASSWORD, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const state = lab.state('kp')
    proxyPort = state.proxy.port!
    for (const node of state.nodes.filter((candidate) => candidate.role === 'master')) {
      masters.push(new Redis({host: node.host, port: node.port, password: PASSWORD, maxRetriesPerRequest: 1}))
    }
  })

  after(async () => {
    for (const client of masters) client.disconnect()
    await lab?.cleanup()
  })

  test('with one lab running and no target flag, audit and fix work on that lab', async () => {
    const proxy = new Redis({port: proxyPort, password: PASSWORD, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
    try {
      for (let i = 0; i < KEYS; i++) await proxy.set(`lab:${i}`, `v${i}`, 'EX', 3600)
      for (let i = 0; i < STRAYS; i++) {
        const key = `lab:${i}`
        const holders = await Promise.all(masters.map((client) => client.exists(key)))
        const at = holders.indexOf(1)
        await misplace(masters[at], masters[(at + 1) % masters.length], key)
        assert.equal(await proxy.get(key), null)
      }

      const audit = await lab.run(['keys', 'audit', '--json'])
      assert.equal(audit.code, 1, audit.stderr)
      const report = JSON.parse(audit.stdout)
      assert.match(report.target, /lab kp/)
      assert.equal(report.totalMisplaced, STRAYS)

      const fix = await lab.run(['keys', 'fix', '--lab', 'kp', '--yes', '--json'])
      assert.equal(fix.code, 0, fix.stderr)
      assert.equal(JSON.parse(fix.stdout).counts.move, STRAYS)
      for (let i = 0; i < KEYS; i++) {
        assert.equal(await proxy.get(`lab:${i}`), `v${i}`)
        const ttl = await proxy.ttl(`lab:${i}`)
        assert.ok(ttl > 0 && ttl <= 3600, `lab:${i} ttl ${ttl}`)
      }
      const again = await lab.run(['keys', 'audit'])
      assert.equal(again.code, 0, again.stderr)
    } finally {
      proxy.disconnect()
    }
  })

  test('a cluster lab by --lab; with two labs running a missing target is one sentence', async () => {
    const {result} = await lab.up(['--name', 'kc', '--cluster', '--masters', '3', '--replicas', '0', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const dist = await lab.run(['keys', 'dist', '--lab', 'kc', '--json'])
    assert.equal(dist.code, 0, dist.stderr)
    const report = JSON.parse(dist.stdout)
    assert.equal(report.kind, 'cluster')
    assert.equal(report.nodes.length, 3)
    const owned = report.nodes.reduce((sum: number, node: {predictedShare: number}) => sum + node.predictedShare, 0)
    assert.ok(Math.abs(owned - 1) < 1e-9)

    const none = await lab.run(['keys', 'dist'])
    assert.equal(none.code, 1)
    assert.match(none.stderr, /2 labs are running \(kc, kp\): say which with --lab NAME/)
  })
})
