// The `cluster:` pool key: a redis pool backed by a Redis Cluster. Refused as nutcracker refuses
// it unless extensions are on; with them, checked against the keys it cannot go with.
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {analyzeConfig, clusterSeedsOf} from '../../src/config/index.js'

const CLUSTER_POOL = `alpha:
  listen: 127.0.0.1:22121
  redis: true
  redis_auth: secret
  cluster:
    - 127.0.0.1:7000
    - 127.0.0.1:7001
`

test('cluster is an unknown directive unless extensions are on', () => {
  const strict = analyzeConfig(CLUSTER_POOL, 'n.yml')
  assert.equal(strict.config, undefined)
  assert.ok(strict.problems.some((p) => p.nutcracker === 'conf: directive "cluster" is unknown'), strict.problems.map((p) => p.problem).join('; '))
  const open = analyzeConfig(CLUSTER_POOL, 'n.yml', {extensions: true})
  assert.deepEqual(open.problems, [])
  const pool = open.config!.pools[0]
  assert.deepEqual(clusterSeedsOf(pool), [{host: '127.0.0.1', port: 7000}, {host: '127.0.0.1', port: 7001}])
  assert.deepEqual(pool.servers, [], 'a cluster pool has no servers list')
  assert.equal(pool.redisAuth, 'secret')
  assert.deepEqual(open.extensionsUsed.map((u) => u.key), ['cluster'])
})

test('cluster refuses servers, memcache, a non-zero redis_db, sentinels and bad addresses with the fix', () => {
  const problemOf = (text: string) => {
    const analysis = analyzeConfig(text, 'n.yml', {extensions: true})
    assert.equal(analysis.config, undefined, `expected ${JSON.stringify(text)} to be refused`)
    return analysis.problems[0]
  }
  const both = problemOf(`${CLUSTER_POOL}  servers:\n    - 127.0.0.1:6379:1\n`)
  assert.match(both.problem, /both servers: and cluster:/)
  assert.match(both.fix ?? '', /Remove servers:/)
  const memcache = problemOf(CLUSTER_POOL.replace('  redis: true\n', '').replace('  redis_auth: secret\n', ''))
  assert.match(memcache.problem, /cluster is set on a memcache pool/)
  const db = problemOf(`${CLUSTER_POOL}  redis_db: 2\n`)
  assert.match(db.problem, /redis_db is 2, but a Redis Cluster has only database 0/)
  assert.deepEqual(analyzeConfig(`${CLUSTER_POOL}  redis_db: 0\n`, 'n.yml', {extensions: true}).problems, [])
  const sentinels = problemOf(`${CLUSTER_POOL}  sentinels:\n    - 127.0.0.1:26379\n`)
  assert.match(sentinels.problem, /sentinels cannot be used with cluster/)
  const address = analyzeConfig(CLUSTER_POOL.replace('127.0.0.1:7001', 'node-two'), 'n.yml', {extensions: true}).problems
    .find((p) => p.key === 'cluster')
  assert.match(address?.problem ?? '', /"node-two" is not a cluster node address/)
  assert.match(address?.fix ?? '', /127\.0\.0\.1:7000/)
  const empty = problemOf(CLUSTER_POOL.replace(/  cluster:\n.*\n.*\n/, '  cluster: []\n'))
  assert.ok(empty.problem.length > 0)
})
