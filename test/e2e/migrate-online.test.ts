// twlab migrate --online: writes, deletes, renames and expiries made on the sources while the
// copy runs all reach the target, and verify finds nothing missing or stale.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {twlab} from '../support/cli.js'
import {sleep} from '../support/servers.js'
import {fillMixed} from '../migrate/dataset.js'
import {sourceKeyCount, startHarness, targetKeyCount, type Harness} from '../migrate/harness.js'

const KEYS = 8_000

function bulkDone(checkpoint: string): boolean {
  if (!existsSync(checkpoint)) return false
  try {
    const data = JSON.parse(readFileSync(checkpoint, 'utf8')) as {sources: Array<{done: boolean}>}
    return data.sources.every((s) => s.done)
  } catch {
    return false // caught mid-rename
  }
}

describe('twlab migrate --online', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(2)
    await fillMixed(h.clients[0], 's0', KEYS)
    await fillMixed(h.clients[1], 's1', KEYS)
    await h.clients[0].config('SET', 'notify-keyspace-events', 'Kg')
  })

  after(async () => {
    await h?.stop()
  })

  test('changes made during the copy are followed, then verified', async () => {
    const checkpoint = h.checkpoint('online')
    const run = twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--online', '--quiet-for', '2',
      '--json', '--checkpoint', checkpoint, '--scan-count', '200'], {timeoutMs: 240_000})
    const [a, b] = h.clients
    let round = 0
    let writesDuringCopy = 0
    let doneSeenAt = 0
    // Write until the bulk copy is over and a little longer; bounded in rounds and time.
    const deadline = Date.now() + 120_000
    for (; round < 2000 && Date.now() < deadline; round++) {
      await a.set(`live:${round}`, `v${round}`)
      await b.incr('counter')
      await a.hset('s0:4', 'live', String(round))
      await b.del(`s1:${6 * round + 1}`)
      await a.set(`short:${round}`, 'gone soon', 'PX', 200)
      await a.xadd('s0:5', '*', 'round', String(round))
      if (round % 3 === 0) await a.rename(`live:${round}`, `renamed:${round}`)
      await b.set(Buffer.from([0xff, 0x00, round & 0xff, 0x0a]), Buffer.from([round & 0xff]))
      const done = bulkDone(checkpoint)
      if (!done) writesDuringCopy++
      if (done && doneSeenAt === 0) doneSeenAt = round
      if (doneSeenAt > 0 && round - doneSeenAt >= 20) break
      await sleep(10)
    }
    const result = await run
    assert.equal(result.code, 0, result.stderr + result.stdout)
    assert.ok(writesDuringCopy > 0, 'the writer wrote while the bulk copy ran')
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    assert.ok(migration.changesSeen > 0)
    assert.ok(migration.stats.recopied > 0)
    assert.ok(migration.stats.deleted > 0)

    // Read back independently of verify.
    await sleep(300) // let the last short-lived keys expire on both sides
    assert.equal(await h.target.get('counter'), await b.get('counter'))
    assert.equal(await h.target.hget('s0:4', 'live'), String(round))
    assert.equal(await h.target.exists('s1:1'), 0)
    assert.equal(await h.target.get('renamed:0'), 'v0')
    assert.equal(await h.target.exists('live:0'), 0)
    assert.equal(await h.target.xlen('s0:5'), await a.xlen('s0:5'))
    assert.equal(await h.target.exists(`short:${round}`), 0)
    assert.equal(await targetKeyCount(h), await sourceKeyCount(h))
    // The sources' notification setting is put back as it was.
    assert.deepEqual(await a.config('GET', 'notify-keyspace-events'), ['notify-keyspace-events', 'gK'])
    assert.deepEqual(await b.config('GET', 'notify-keyspace-events'), ['notify-keyspace-events', ''])
    assert.equal(existsSync(checkpoint), false, 'checkpoint removed after a finished migration')
  })
})
