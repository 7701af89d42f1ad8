// Every tool on one server version, one lean end-to-end scenario each: a pool lab behind twproxy
// and a 4-master cluster lab, both on that server. Pool: keys dist / where --live / audit / fix,
// pool add-server and remove-server, check consistency through twproxy. Cluster: reshard
// (MIGRATE path), cluster del-node (drains) and add-node, rebalance onto the empty master with
// check consistency running, an open slot closed by cluster fix, cluster check. Last, migrate
// --online --cutover moves the pool into the cluster under twproxy. Run once per version by
// test/e2e/versions-tools-*.test.ts, so the versions run side by side.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import type {LabHome} from '../lab/support.js'
import {client, labHomeWith, labUp, masterPorts, nodePort} from './support.js'

function parsed(result: {code: number | null; stdout: string; stderr: string}, what: string, code = 0): Record<string, unknown> {
  assert.equal(result.code, code, `${what}: ${result.stderr}${result.stdout}`)
  return JSON.parse(result.stdout) as Record<string, unknown>
}

export function describeToolsOn(server: string): void {
  describe(`the tools on ${server}`, () => {
    let lab: LabHome
    const run = (args: string[], what = args.slice(0, 2).join(' ')) => lab.run(args, 180_000).then((result) => parsed(result, `${what} on ${server}`))

    before(async () => {
      lab = await labHomeWith(server)
      await labUp(lab, server, ['--name', 'p', '--masters', '3', '--proxy', 'twproxy'])
      await labUp(lab, server, ['--name', 'spare', '--masters', '1', '--proxy', 'none'])
      await labUp(lab, server, ['--cluster', '--name', 'c', '--masters', '4', '--replicas', '0'])
    })
    after(async () => {
      await lab?.cleanup()
    })

    test('pool: keys dist, where --live, audit and fix, add-server and remove-server, check consistency', async () => {
      const proxy = client(lab.state('p').proxy.port as number)
      try {
        for (let i = 0; i < 600; i++) await proxy.set(`k:${i}`, `v${i}`)
      } finally {
        proxy.disconnect()
      }
      const dist = await run(['keys', 'dist', '--lab', 'p', '--json'])
      assert.ok(JSON.stringify(dist).includes('600') || Object.keys(dist).length > 0)
      const where = await run(['keys', 'where', 'k:1', '--lab', 'p', '--live', '--json'])
      assert.match(JSON.stringify(where), /k:1/)
      // a key on a server twemproxy hashing does not route it to
      const ports = masterPorts(lab, 'p')
      const stray = client(ports[0])
      const strayKey = Array.from({length: 200}, (_, i) => `stray:${i}`)
      try {
        for (const key of strayKey) await stray.set(key, 'x')
      } finally {
        stray.disconnect()
      }
      // misplaced keys found: exit code 1
      const audit = parsed(await lab.run(['keys', 'audit', '--lab', 'p', '--json'], 120_000), `keys audit on ${server}`, 1)
      assert.match(JSON.stringify(audit), /stray:/)
      await run(['keys', 'fix', '--lab', 'p', '--yes', '--json'])
      const clean = await run(['keys', 'audit', '--lab', 'p', '--json'])
      assert.doesNotMatch(JSON.stringify(clean), /stray:/)

      const spare = nodePort(lab, 'spare', 'm1')
      const added = await run(['pool', 'add-server', `127.0.0.1:${spare}`, 'spare', '--lab', 'p', '--yes', '--json'])
      assert.equal(added.status, 'done')
      const removed = await run(['pool', 'remove-server', 'spare', '--lab', 'p', '--yes', '--json'])
      assert.equal(removed.status, 'done')
      const check = await run(['check', 'consistency', '--target', `127.0.0.1:${lab.state('p').proxy.port}`, '--duration', '3s', '--keys', '200', '--json'])
      assert.equal(check.lostWrites, 0)
      const proxyAgain = client(lab.state('p').proxy.port as number)
      try {
        for (let i = 0; i < 600; i += 37) assert.equal(await proxyAgain.get(`k:${i}`), `v${i}`)
      } finally {
        proxyAgain.disconnect()
      }
    })

    test('cluster: reshard, del-node and add-node, rebalance under check consistency, fix, check', async () => {
      const seed = `127.0.0.1:${nodePort(lab, 'c', 'm1')}`
      const [m1, m2, , m4] = ['m1', 'm2', 'm3', 'm4'].map((node) => `127.0.0.1:${nodePort(lab, 'c', node)}`)
      const filler = client(nodePort(lab, 'c', 'm1'))
      const {Cluster} = await import('ioredis')
      const cluster = new Cluster([{host: '127.0.0.1', port: nodePort(lab, 'c', 'm1')}], {redisOptions: {maxRetriesPerRequest: 2}})
      cluster.on('error', () => {})
      try {
        for (let i = 0; i < 1500; i++) await cluster.set(`ck:${i}`, `v${i}`)
        const reshard = await run(['reshard', '--cluster', seed, '--from', m1, '--to', m2, '--slots', '200', '--yes', '--json'])
        assert.match(JSON.stringify(reshard), /200/)
        await run(['cluster', 'del-node', m4, '--cluster', seed, '--yes', '--json'])
        // the other nodes refuse a forgotten node ID for 60 s (CLUSTER FORGET): back under a new one
        const removed = client(nodePort(lab, 'c', 'm4'))
        await removed.call('CLUSTER', 'RESET', 'HARD')
        removed.disconnect()
        await run(['cluster', 'add-node', m4, '--cluster', seed, '--json'])
        const checker = lab.run(['check', 'consistency', '--target', seed, '--cluster', '--duration', '4s', '--keys', '200', '--json'], 120_000)
        await run(['rebalance', '--cluster', seed, '--use-empty-masters', '--yes', '--json'])
        const check = parsed(await checker, `check consistency on ${server}`)
        assert.equal(check.lostWrites, 0)
        // an open slot (MIGRATING with no import on the other side), closed by fix
        const slot = Number(await filler.call('CLUSTER', 'KEYSLOT', 'ck:1'))
        const owner = client(Number((await cluster.call('CLUSTER', 'SLOTS') as Array<[number, number, [string, number]]>).find(([a, b]) => slot >= a && slot <= b)![2][1]))
        const otherNode = client(nodePort(lab, 'c', owner.options.port === nodePort(lab, 'c', 'm2') ? 'm3' : 'm2'))
        const other = String(await otherNode.call('CLUSTER', 'MYID'))
        otherNode.disconnect()
        await owner.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', other)
        owner.disconnect()
        await run(['cluster', 'fix', '--cluster', seed, '--yes', '--json'])
        const health = await run(['cluster', 'check', '--cluster', seed, '--json'])
        assert.match(JSON.stringify(health), /"ok":true|"status":"ok"/)
        for (let i = 0; i < 1500; i += 41) assert.equal(await cluster.get(`ck:${i}`), `v${i}`)
      } finally {
        filler.disconnect()
        cluster.disconnect()
      }
    })

    test('migrate --online --cutover: the pool into the cluster under twproxy, verify clean', async () => {
      const seed = `127.0.0.1:${nodePort(lab, 'c', 'm1')}`
      for (const port of masterPorts(lab, 'c')) {
        const master = client(port)
        await master.flushall()
        master.disconnect()
      }
      const result = await run(['migrate', '--lab', 'p', '--to-cluster', seed, '--online', '--cutover', '--yes', '--json'], 'migrate')
      const migration = result.migration as {status: string; verify: {counts: unknown}}
      assert.equal(migration.status, 'done')
      assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
      const proxy = client(lab.state('p').proxy.port as number)
      try {
        for (let i = 0; i < 600; i += 29) assert.equal(await proxy.get(`k:${i}`), `v${i}`)
        const {Cluster} = await import('ioredis')
        const cluster = new Cluster([{host: '127.0.0.1', port: nodePort(lab, 'c', 'm1')}])
        await cluster.set('written:on-cluster', 'yes')
        cluster.disconnect()
        assert.equal(await proxy.get('written:on-cluster'), 'yes', 'twproxy now serves the cluster')
      } finally {
        proxy.disconnect()
      }
    })
  })
}
