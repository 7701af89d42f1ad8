// Planning a pool change: server specs, refusals, and which keys change owner under ketama.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {parseConfig} from '../../src/config/index.js'
import {MovePlacement, planAddServer, planRemoveServer, serverEntries, serverFromSpec} from '../../src/pool/plan.js'
import {describePhase} from '../../src/pool/journal.js'

const yaml = `alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  redis: true
  servers:
   - 127.0.0.1:7001:1 s1
   - 127.0.0.1:7002:1 s2
   - 127.0.0.1:7003:1 s3
`
const pool = () => parseConfig(yaml).pools[0]

describe('pool change plans', () => {
  test('server specs: HOST:PORT gets weight 1 and the implied name', () => {
    const server = serverFromSpec('127.0.0.1:7004')
    assert.equal(server.name, '127.0.0.1:7004')
    assert.equal(server.weight, 1)
    assert.deepEqual(serverEntries([serverFromSpec('127.0.0.1:7004:2', 's4')]), ['127.0.0.1:7004:2 s4'])
    assert.throws(() => serverFromSpec('127.0.0.1'), /is not HOST:PORT/)
    assert.throws(() => serverFromSpec('127.0.0.1:x'), /is not HOST:PORT/)
    assert.throws(() => serverFromSpec('127.0.0.1:70000'), /not a valid port/)
    assert.throws(() => serverFromSpec('127.0.0.1:7004:0'), /zero weight/)
    assert.throws(() => serverFromSpec('127.0.0.1:7004:x'), /is not HOST:PORT/)
    assert.throws(() => serverFromSpec('h:1:2:3'), /is not HOST:PORT/)
    assert.equal(serverFromSpec('redis-a:7004:3').weight, 3)
  })

  test('adding a server already there, by address or by name, is refused', () => {
    assert.throws(() => planAddServer(pool(), serverFromSpec('127.0.0.1:7001', 'new')), /already has 127\.0\.0\.1:7001 named "s1"/)
    assert.throws(() => planAddServer(pool(), serverFromSpec('127.0.0.1:7009', 's2')), /already has 127\.0\.0\.1:7002 named "s2"/)
  })

  test('removing an unknown or the last server is refused', () => {
    assert.throws(() => planRemoveServer(pool(), 's9'), /no server "s9": name one of s1, s2, s3/)
    const single = parseConfig(yaml.replace('   - 127.0.0.1:7002:1 s2\n   - 127.0.0.1:7003:1 s3\n', '')).pools[0]
    assert.throws(() => planRemoveServer(single, 's1'), /only server/)
    assert.equal(planRemoveServer(pool(), '127.0.0.1:7002').server.name, 's2')
  })

  test('random and memcache pools are refused', () => {
    assert.throws(() => planAddServer({...pool(), distribution: 'random'}, serverFromSpec('127.0.0.1:7004')), /random/)
    assert.throws(() => planAddServer({...pool(), redis: false}, serverFromSpec('127.0.0.1:7004')), /memcache/)
  })

  test('under ketama, adding moves keys only to the new server and removing only off the removed one', () => {
    const added = planAddServer(pool(), serverFromSpec('127.0.0.1:7004', 's4'))
    assert.deepEqual(added.after.map((s) => s.name), ['s1', 's2', 's3', 's4'])
    const grow = new MovePlacement(pool(), added.before, added.after)
    const removed = planRemoveServer(pool(), 's2')
    const shrink = new MovePlacement(pool(), removed.before, removed.after)
    let grown = 0
    let shrunk = 0
    for (let i = 0; i < 20_000; i++) {
      const key = `key:${i}`
      if (grow.oldOwner(key).address !== grow.newOwner(key).address) {
        grown++
        assert.equal(grow.newOwner(key).name, 's4')
      }
      if (shrink.oldOwner(key).address !== shrink.newOwner(key).address) {
        shrunk++
        assert.equal(shrink.oldOwner(key).name, 's2')
      } else {
        assert.notEqual(shrink.oldOwner(key).name, 's2')
      }
    }
    // a quarter and a third of the keys, give or take the ring's unevenness
    assert.ok(grown > 3000 && grown < 7000, `grown ${grown}`)
    assert.ok(shrunk > 4000 && shrunk < 9500, `shrunk ${shrunk}`)
  })

  test('an interrupted change says where it stopped', () => {
    const journal = {version: 1 as const, action: 'add' as const, pool: 'alpha', server: '127.0.0.1:7004:1 s4', before: [], after: [], phase: 'switched' as const, updatedAt: ''}
    assert.match(describePhase(journal), /adding 127\.0\.0\.1:7004:1 s4 to pool alpha switched the config/)
  })
})
