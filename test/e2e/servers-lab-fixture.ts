// The lab on a fetched server, for each server the tests cover: a pool behind twproxy, a
// cluster, and (where asked) a Sentinel lab with a failover, each checked through `twlab status
// --json` for the server and version every node runs, and torn down by PID.
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {Redis} from 'ioredis'
import {alivePids, eventually, makeLabHome, type LabHome} from '../lab/support.js'
import {linkFetchedServer} from '../support/fetched-servers.js'
import {parseInfo} from '../../src/lab/admin-client.js'
import type {LabStatus} from '../../src/lab/status.js'
import type {InstalledServer} from '../../src/servers/store.js'

export interface LabOnServerOptions {
  sentinel: boolean
}

export function describeLabsOn(serverName: string, options: LabOnServerOptions): void {
  describe(`labs on ${serverName}`, () => {
    let lab: LabHome
    let server: InstalledServer
    const status = async (name: string) => {
      const result = await lab.run(['status', '--name', name, '--json'])
      assert.equal(result.code, 0, result.stderr)
      return JSON.parse(result.stdout) as LabStatus
    }
    const expectServer = (now: LabStatus) => {
      for (const node of now.nodes.filter((n) => n.createdAs !== 'proxy')) {
        assert.equal(node.server, serverName, `${node.name} runs ${node.server}`)
        assert.equal(node.version, `${server.product} ${server.version}`, `${node.name} reports ${node.version}`)
      }
    }
    const port = (name: string, node: string) => lab.state(name).nodes.find((n) => n.name === node)?.port as number

    before(async () => {
      lab = makeLabHome()
      server = await linkFetchedServer(lab.home, serverName)
    })
    after(async () => {
      await lab.cleanup()
    })

    test('a pool behind twproxy: set and get through the proxy, status names the server', async () => {
      const {result} = await lab.up(['--name', 'p', '--masters', '2', '--server', serverName])
      assert.equal(result.code, 0, result.stderr)
      const state = lab.state('p')
      assert.ok(state.nodes.filter((n) => n.role === 'master').every((n) => n.server?.name === serverName && n.launch.args.includes('--library-path')))
      expectServer(await status('p'))
      const client = new Redis({port: state.proxy.port, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
      try {
        for (let i = 0; i < 20; i++) assert.equal(await client.set(`k${i}`, `v${i}`), 'OK')
        for (let i = 0; i < 20; i++) assert.equal(await client.get(`k${i}`), `v${i}`)
      } finally {
        client.disconnect()
      }
      const pids = lab.state('p').nodes.map((n) => n.pid)
      const down = await lab.run(['down', '--name', 'p'])
      assert.equal(down.code, 0, down.stderr)
      assert.deepEqual(alivePids(pids), [])
    })

    test('a cluster: 3 masters, CLUSTER INFO ok, kill and start a node, status names the server', async () => {
      const {result} = await lab.up(['--cluster', '--name', 'c', '--server', serverName])
      assert.equal(result.code, 0, result.stderr)
      const now = await status('c')
      expectServer(now)
      assert.equal(now.nodes.filter((n) => n.role === 'master').length, 3)
      const client = new Redis({port: port('c', 'm1'), maxRetriesPerRequest: 1})
      try {
        const info = parseInfo(String(await client.call('CLUSTER', 'INFO')))
        assert.equal(info.get('cluster_state'), 'ok')
        assert.equal(info.get('cluster_slots_assigned'), '16384')
        assert.equal(info.get('cluster_size'), '3')
      } finally {
        client.disconnect()
      }
      assert.equal((await lab.run(['kill', 'm3-r1', '--name', 'c'])).code, 0)
      const started = await lab.run(['start', 'm3-r1', '--name', 'c'])
      assert.equal(started.code, 0, started.stderr)
      const failover = await lab.run(['failover', 'm2', '--name', 'c'])
      assert.equal(failover.code, 0, failover.stderr)
      const after = await status('c')
      assert.equal(after.nodes.find((n) => n.name === 'm2-r1')?.role, 'master')
      const pids = lab.state('c').nodes.map((n) => n.pid)
      const destroyed = await lab.run(['destroy', '--name', 'c', '--yes'])
      assert.equal(destroyed.code, 0, destroyed.stderr)
      assert.deepEqual(alivePids(pids), [])
    })

    if (options.sentinel) {
      test('a Sentinel lab: the server\'s own sentinels agree, and a failover promotes the replica', async () => {
        const {result} = await lab.up(['--sentinel', '--masters', '1', '--name', 's', '--server', serverName])
        assert.equal(result.code, 0, result.stderr)
        const before = await status('s')
        expectServer(before)
        assert.deepEqual(before.groups?.map((g) => [g.group, g.masterNode, g.agreeing]), [['alpha-1', 'm1', 3]])
        const failover = await lab.run(['failover', '--name', 's'])
        assert.equal(failover.code, 0, failover.stderr)
        await eventually('m1-r1 to be the master Sentinel reports', 30_000, async () => {
          const now = await status('s')
          return now.groups?.[0]?.masterNode === 'm1-r1' && now.nodes.find((n) => n.name === 'm1-r1')?.role === 'master' ? now : undefined
        })
        const proxied = new Redis({port: lab.state('s').proxy.port, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 2})
        try {
          await eventually('twproxy to write to the new master', 20_000, async () => (await proxied.set('after', 'failover').catch(() => undefined)) === 'OK' ? true : undefined)
          assert.equal(await proxied.get('after'), 'failover')
        } finally {
          proxied.disconnect()
        }
        const pids = lab.state('s').nodes.map((n) => n.pid)
        assert.equal((await lab.run(['down', '--name', 's'])).code, 0)
        assert.deepEqual(alivePids(pids), [])
      })
    }
  })
}
