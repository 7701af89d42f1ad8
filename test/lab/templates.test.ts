import {test, describe} from 'node:test'
import assert from 'node:assert/strict'
import {renderTemplateText} from '../../src/lab/templates.js'
import {splitSlots, clusterSignature} from '../../src/lab/cluster-create.js'
import {parseClusterNodes} from '../../src/targets/cluster-nodes.js'
import {planLab, portsNeeded, portSpan, validateOptions, type UpOptions} from '../../src/lab/plan.js'
import {renderPoolConfig, renderRedisConfig, renderSentinelConfigs} from '../../src/lab/render.js'
import {isUserError} from '../../src/errors.js'

const options: UpOptions = {
  name: 't', topology: 'pool', masters: 3, replicas: 1, proxy: 'nutcracker', hash: 'fnv1a_64', distribution: 'ketama',
  host: '127.0.0.1', nodeTimeoutMs: 2000, downAfterMs: 1000, failoverTimeoutMs: 5000,
}
const binaries = {redisServer: '/bin/redis-server', sentinel: {bin: '/bin/redis-sentinel', extraArgs: []}, proxy: {bin: '/bin/nutcracker', prefixArgs: []}}

describe('templates', () => {
  test('substitutes values and keeps sections only when their value is set', () => {
    const text = 'a {{x}}\n{{#pw}}\nrequirepass {{pw}}\n{{/pw}}\nb\n'
    assert.equal(renderTemplateText(text, {x: 1, pw: 'secret'}), 'a 1\nrequirepass secret\nb\n')
    assert.equal(renderTemplateText(text, {x: 1}), 'a 1\nb\n')
    assert.throws(() => renderTemplateText('{{missing}}', {}), /missing/)
  })
})

describe('lab plan', () => {
  test('lays ports out from the base port: proxy, stats, sentinels, masters, then replicas', () => {
    const lab = planLab({...options, topology: 'sentinel'}, 30000, '/tmp/x', binaries)
    const byName = new Map(lab.nodes.map((node) => [node.name, node]))
    assert.equal(byName.get('proxy')?.port, 30000)
    assert.equal(lab.proxy.statsPort, 30001)
    assert.deepEqual(['s1', 's2', 's3'].map((n) => byName.get(n)?.port), [30002, 30003, 30004])
    assert.deepEqual(['m1', 'm2', 'm3', 'm1-r1', 'm2-r1', 'm3-r1'].map((n) => byName.get(n)?.port), [30010, 30011, 30012, 30013, 30014, 30015])
    assert.equal(byName.get('m2-r1')?.master, 'm2')
    assert.equal(byName.get('m2-r1')?.group, 'alpha-2')
    assert.equal(portSpan(options), 16)
    assert.equal(new Set(portsNeeded(lab)).size, portsNeeded(lab).length)
  })

  test('cluster nodes get bus ports and no replicaof; pool replicas get replicaof', () => {
    const cluster = planLab({...options, topology: 'cluster', proxy: 'none'}, 30000, '/tmp/x', {redisServer: '/bin/redis-server'})
    assert.equal(cluster.nodes.find((n) => n.name === 'm1')?.busPort, 40010)
    assert.equal(cluster.nodes.some((n) => n.role === 'proxy'), false)
    const replica = cluster.nodes.find((n) => n.name === 'm1-r1')
    assert.ok(replica)
    const conf = renderRedisConfig(cluster, replica)
    assert.match(conf, /cluster-enabled yes/)
    assert.doesNotMatch(conf, /replicaof/)
    const pool = planLab({...options, password: 'pw'}, 30000, '/tmp/x', binaries)
    const poolReplica = pool.nodes.find((n) => n.name === 'm3-r1')
    assert.ok(poolReplica)
    const poolConf = renderRedisConfig(pool, poolReplica)
    assert.match(poolConf, /replicaof 127\.0\.0\.1 30012/)
    assert.match(poolConf, /requirepass pw/)
    assert.doesNotMatch(poolConf, /cluster-enabled/)
  })

  test('nutcracker.yml lists the masters by name, with the hash, distribution and auth asked for', () => {
    const pool = planLab({...options, hash: 'murmur', distribution: 'modula', password: 'pw'}, 30000, '/tmp/x', binaries)
    const yml = renderPoolConfig(pool)
    assert.match(yml, /^alpha:\n {2}listen: 127\.0\.0\.1:30000\n {2}hash: murmur\n {2}distribution: modula\n/m)
    assert.match(yml, /redis_auth: pw/)
    assert.match(yml, / {4}- 127\.0\.0\.1:30010:1 m1\n {4}- 127\.0\.0\.1:30011:1 m2\n {4}- 127\.0\.0\.1:30012:1 m3/)
    assert.doesNotMatch(yml, /30013/)
  })

  test('sentinel configs monitor each group and know its replicas and the other sentinels', () => {
    const lab = planLab({...options, topology: 'sentinel', masters: 2}, 30000, '/tmp/x', binaries)
    const configs = renderSentinelConfigs(lab)
    const s1 = configs.get('s1') ?? ''
    assert.match(s1, /sentinel monitor alpha-1 127\.0\.0\.1 30010 2/)
    assert.match(s1, /sentinel monitor alpha-2 127\.0\.0\.1 30011 2/)
    assert.match(s1, /sentinel down-after-milliseconds alpha-1 1000/)
    assert.match(s1, /sentinel known-replica alpha-2 127\.0\.0\.1 30013/)
    assert.equal((s1.match(/known-sentinel alpha-1/g) ?? []).length, 2)
    const myId = /sentinel myid (\w+)/.exec(s1)?.[1]
    assert.ok(myId && myId.length === 40)
    assert.match(configs.get('s2') ?? '', new RegExp(`known-sentinel alpha-1 127\\.0\\.0\\.1 30002 ${myId}`))
  })

  test('rejects shapes that cannot work, in one sentence', () => {
    for (const bad of [{masters: 0}, {replicas: 9}, {topology: 'sentinel' as const, replicas: 0}, {topology: 'cluster' as const, masters: 2}, {password: 'has space'}]) {
      assert.throws(() => validateOptions({...options, ...bad}), (error: unknown) => isUserError(error) && !error.message.includes('\n'))
    }
  })
})

describe('cluster slots', () => {
  test('splits all 16384 slots into contiguous, nearly equal ranges', () => {
    for (const count of [3, 5, 7]) {
      const ranges = splitSlots(count)
      assert.equal(ranges[0][0], 0)
      assert.equal(ranges.at(-1)?.[1], 16383)
      for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i][0], ranges[i - 1][1] + 1)
      const sizes = ranges.map(([a, b]) => b - a + 1)
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1)
    }
  })

  test('the slot map signature ignores node ids and the myself flag', () => {
    const a = parseClusterNodes('id1 127.0.0.1:1@11 myself,master - 0 0 1 connected 0-100\nid2 127.0.0.1:2@12 slave id1 0 0 1 connected\n')
    const b = parseClusterNodes('id2 127.0.0.1:2@12 myself,slave id1 0 0 1 connected\nid1 127.0.0.1:1@11 master - 0 0 1 connected 0-100\n')
    assert.equal(clusterSignature(a), clusterSignature(b))
    const c = parseClusterNodes('id1 127.0.0.1:1@11 master - 0 0 1 connected 0-99\nid2 127.0.0.1:2@12 slave id1 0 0 1 connected\n')
    assert.notEqual(clusterSignature(a), clusterSignature(c))
  })
})
