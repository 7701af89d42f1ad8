// twlab migrate --online --capture replication: twlab a replica of each source (snapshot through
// the RDB reader, then the command stream applied by slot). Writes made during the copy arrive;
// the sources' INFO shows twlab as a replica; afterwards every key is equal on both sides.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {twlab} from '../support/cli.js'
import {sleep} from '../support/servers.js'
import {fillMixed} from '../migrate/dataset.js'
import {startHarness, type Harness} from '../migrate/harness.js'
import {assertSameKeys, writeMixedChanges} from '../migrate/replication-support.js'

const KEYS = 6_000

describe('twlab migrate --capture replication', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(2)
    await fillMixed(h.clients[0], 's0', KEYS)
    await fillMixed(h.clients[1], 's1', KEYS)
  })

  after(async () => {
    await h?.stop()
  })

  test('snapshot, then the stream: every change arrives, key by key equal', async () => {
    const checkpoint = h.checkpoint('replication')
    const run = twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--online', '--capture', 'replication',
      '--quiet-for', '2', '--json', '--checkpoint', checkpoint], {timeoutMs: 240_000})
    // writes while the snapshot loads and after, until the stream is being applied
    let rounds = 0
    const deadline = Date.now() + 60_000
    for (; rounds < 300 && Date.now() < deadline; rounds++) {
      await writeMixedChanges(h.clients, rounds)
      const info = await h.clients[0].info('replication')
      if (rounds > 50 && /slave0:.*state=online/.test(info)) break
      await sleep(10)
    }
    const result = await run
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    assert.ok(migration.changesSeen > 0, 'changes came through the stream')
    await assertSameKeys(h)
  })
})
