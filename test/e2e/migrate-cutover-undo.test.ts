// What --cutover refuses, and what it undoes. Refused before anything is copied or created:
// nutcracker in front (it can neither reload nor talk to a cluster), bare servers (no pool to
// switch), -c without the proxy's pid. Undone when twproxy is not seen switching in time: the
// file is put back, twproxy reloads it, the sources take writes again, the exit is non-zero.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {makeLabHome, type LabHome} from '../lab/support.js'
import type {LabState} from '../../src/lab/state.js'
import {waitForPoolServers} from '../../src/migrate/cutover/proxy-stats.js'

function errorOf(stdout: string): string {
  return (JSON.parse(stdout) as {error: {message: string}}).error.message
}

describe('twlab migrate --cutover refuses and undoes', () => {
  let lab: LabHome
  let pool: LabState

  before(async () => {
    lab = makeLabHome()
    const up = await lab.up(['--name', 'shop', '--masters', '2', '--proxy', 'twproxy'])
    assert.equal(up.result.code, 0, up.result.stderr)
    pool = lab.state('shop')
  })

  after(async () => {
    await lab?.cleanup()
  })

  test('nutcracker in front: refused with the step that fixes it, no target created', async () => {
    const up = await lab.up(['--name', 'old', '--masters', '2', '--proxy', 'nutcracker'])
    assert.equal(up.result.code, 0, up.result.stderr)
    const result = await lab.run(['migrate', '--lab', 'old', '--to-cluster', '--cutover', '--yes', '--json'])
    assert.notEqual(result.code, 0)
    assert.match(errorOf(result.stdout), /nutcracker \(pid \d+\), which can neither reload/)
    assert.match(result.stdout, /twproxy .*-c .*nutcracker\.yml/)
    assert.equal((await lab.run(['ls', '--json'])).stdout.includes('old-cluster'), false)
    await lab.run(['down', '--name', 'old'])
  })

  test('bare servers cannot be cut over; -c needs the proxy pid; a bare --to-cluster needs a lab', async () => {
    const from = pool.nodes.filter((n) => n.role === 'master').map((n) => `${n.host}:${n.port}`).join(',')
    const fromCut = await lab.run(['migrate', '--from', from, '--to-cluster', '127.0.0.1:1', '--cutover', '--yes', '--json'])
    assert.notEqual(fromCut.code, 0)
    assert.match(errorOf(fromCut.stdout), /--from names bare servers/)
    const noPid = await lab.run(['migrate', '-c', pool.proxy.configFile, '--to-cluster', '127.0.0.1:1', '--cutover', '--yes', '--json'])
    assert.notEqual(noPid.code, 0)
    assert.match(errorOf(noPid.stdout), /needs the pid of the twproxy/)
    const noLab = await lab.run(['migrate', '--from', from, '--to-cluster', '--json'])
    assert.notEqual(noLab.code, 0)
    assert.match(errorOf(noLab.stdout), /source must be a lab/)
  })

  test('twproxy not seen switching: the file is put back, twproxy reloads it, writes resume', async () => {
    const cluster = await lab.up(['--name', 'dest', '--cluster', '--masters', '3', '--replicas', '0'])
    assert.equal(cluster.result.code, 0, cluster.result.stderr)
    const dest = lab.state('dest')
    const proxyNode = pool.nodes.find((n) => n.role === 'proxy')
    const masters = pool.nodes.filter((n) => n.role === 'master')
    // Stats that keep showing the old servers: to twlab, twproxy never switches.
    const oldStats = JSON.stringify({service: 'nutcracker', alpha: Object.fromEntries(masters.map((m) => [m.name, {requests: 0}]))})
    const stats = net.createServer((socket) => socket.end(oldStats))
    await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve))
    const statsPort = (stats.address() as net.AddressInfo).port
    // A client straight to a source: warned about, since its writes would not reach the cluster.
    const direct = new Redis({port: masters[0].port, connectionName: 'billing-job', maxRetriesPerRequest: 1, commandTimeout: 3000})
    const proxy = new Redis({port: pool.proxy.port, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1, commandTimeout: 3000})
    proxy.on('error', () => undefined)
    const before = readFileSync(pool.proxy.configFile, 'utf8')
    try {
      await direct.ping()
      for (let i = 0; i < 200; i++) await proxy.set(`u:${i}`, String(i))
      const result = await lab.run(['migrate', '-c', pool.proxy.configFile, '--to-cluster', `127.0.0.1:${dest.nodes[0].port}`,
        '--cutover', '--yes', '--proxy-pid', String(proxyNode?.pid), '--proxy-stats', `127.0.0.1:${statsPort}`,
        '--switch-timeout', '1', '--pause-limit', '6000'], 120_000)
      assert.notEqual(result.code, 0, result.stdout)
      assert.match(result.stderr, /The cut-over was undone: twproxy did not list the cluster's masters/)
      assert.match(result.stderr, /Warning: 127\.0\.0\.1:\d+ has 1 client\(s\) besides twproxy and twlab \(.*name=billing-job/)
      assert.equal(readFileSync(pool.proxy.configFile, 'utf8'), before, 'the file is as it was')
      assert.equal(readFileSync(`${pool.proxy.configFile}.bak`, 'utf8'), before, 'the backup holds it too')
      // Writes are not paused on the sources, and twproxy serves the pool from them again
      // (its real stats list the old servers once it has reloaded the restored file).
      const real = {host: '127.0.0.1', port: pool.proxy.statsPort as number, text: ''}
      assert.equal((await waitForPoolServers(real, 'alpha', masters.map((m) => m.name), 10_000)).switched, true)
      assert.equal(await direct.set('after:undo', '1', 'PX', 5000), 'OK')
      assert.equal(await proxy.set('u:0', 'again'), 'OK')
      const owners = await Promise.all(masters.map(async (m) => {
        const client = new Redis({port: m.port, maxRetriesPerRequest: 1})
        try {
          return await client.get('u:0')
        } finally {
          client.disconnect()
        }
      }))
      assert.deepEqual(owners.filter((v) => v !== null), ['again'])
      for (let i = 1; i < 200; i += 20) assert.equal(await proxy.get(`u:${i}`), String(i))
    } finally {
      direct.disconnect()
      proxy.disconnect()
      await new Promise((resolve) => stats.close(resolve))
    }
  })
})
