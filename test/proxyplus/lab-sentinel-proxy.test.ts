// `twlab up --sentinel` with twproxy in front: the pool file uses the sentinels extension, and
// `twlab kill` of a master during `twlab check consistency` through the proxy shows the proxy
// following the failover: some writes fail during the switch, none acknowledged is lost.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {makeLabHome, type LabHome} from '../lab/support.js'
import {sleep} from '../support/servers.js'
import {eventually, sentinelCall} from './sentinel-support.js'

describe('sentinel lab behind twproxy', () => {
  let lab: LabHome

  before(() => {
    lab = makeLabHome()
  })
  after(async () => {
    await lab?.cleanup()
  })

  test('kill a master under check consistency: the proxy follows, zero lost acknowledged writes', async () => {
    const {result, basePort} = await lab.up(['--sentinel', '--masters', '2', '--replicas', '1', '--proxy', 'twproxy', '--name', 'hp'])
    assert.equal(result.code, 0, result.stderr)
    const state = lab.state('hp')
    const poolFile = readFileSync(state.proxy.configFile, 'utf8')
    assert.match(poolFile, /sentinels:\n\s+- 127\.0\.0\.1:\d+/)
    assert.match(poolFile, /:1 alpha-1\n/)
    const check = lab.run(['check', 'consistency', '--target', `127.0.0.1:${basePort}`, '--duration', '15s', '--keys', '200', '--concurrency', '2', '--json'], 90_000)
    await sleep(2000)
    const killed = await lab.run(['kill', 'm1', '--name', 'hp'])
    assert.equal(killed.code, 0, killed.stderr)
    const sentinel = state.nodes.find((node) => node.role === 'sentinel')!
    const replica = state.nodes.find((node) => node.name === 'm1-r1')!
    await eventually('alpha-1 to fail over to m1-r1', 30_000, async () => {
      const addr = await sentinelCall<string[]>(sentinel.port, 'get-master-addr-by-name', 'alpha-1')
      return Number(addr[1]) === replica.port ? true : undefined
    })
    const done = await check
    assert.equal(done.code, 0, done.stdout + done.stderr)
    const report = JSON.parse(done.stdout) as {writes: number; failedWrites: number; lostWrites: number}
    assert.equal(report.lostWrites, 0)
    assert.ok(report.writes > 0)
    const log = readFileSync(state.nodes.find((node) => node.role === 'proxy')!.logFile, 'utf8')
    assert.match(log, new RegExp(`master 'alpha-1' moved from .* to 127\\.0\\.0\\.1:${replica.port}`))
    process.stderr.write(`# lab failover through twproxy: ${report.writes} writes, ${report.failedWrites} failed during the switch, ${report.lostWrites} lost\n`)
  })
})
