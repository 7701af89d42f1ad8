// The consistency checker against a standalone redis: a clean run, lost writes made on purpose
// (FLUSHALL behind its back), and writes it did not make (another client INCRs its counters).
import {test, describe, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {Redis} from 'ioredis'
import {startRedis, stopAll, freePort, type RunningServer} from '../support/servers.js'
import {twlab} from '../support/cli.js'
import {runConsistencyCheck, type ConsistencyOptions} from '../../src/check/consistency.js'
import {isUserError} from '../../src/errors.js'

describe('check consistency', () => {
  let redis: RunningServer
  let admin: Redis

  const options = (extra: Partial<ConsistencyOptions> = {}): ConsistencyOptions => ({
    host: '127.0.0.1', port: redis.port, cluster: false, durationMs: 1000, keys: 50, concurrency: 2,
    commandTimeoutMs: 1000, keep: false, ...extra,
  })

  before(async () => {
    redis = await startRedis()
    admin = new Redis({port: redis.port})
  })
  after(async () => {
    admin.disconnect()
    await stopAll()
  })

  test('a healthy redis: reads and writes, nothing lost, counters cleaned up', async () => {
    const report = await runConsistencyCheck(options())
    assert.ok(report.reads > 0 && report.writes > 0)
    assert.equal(report.reads, report.writes)
    assert.deepEqual([report.lostWrites, report.notAckWrites, report.failedReads, report.failedWrites], [0, 0, 0, 0])
    assert.equal(report.consistent, true)
    assert.equal(await admin.dbsize(), 0)
  })

  test('writes wiped behind its back are reported as lost, and the CLI exits 1', async () => {
    let flushes = 0
    const flusher = setInterval(() => {
      flushes++
      admin.flushall().catch(() => undefined)
    }, 150)
    try {
      const result = await twlab(['check', 'consistency', '--target', `127.0.0.1:${redis.port}`, '--duration', '1500ms', '--keys', '20', '--json'])
      const report = JSON.parse(result.stdout)
      assert.ok(flushes > 2)
      assert.ok(report.lostWrites > 0, JSON.stringify(report))
      assert.equal(report.consistent, false)
      assert.ok(report.lostKeys.length > 0)
      assert.equal(result.code, 1)
    } finally {
      clearInterval(flusher)
    }
  })

  test('increments it did not make show up as unacknowledged writes, not as lost ones', async () => {
    const prefix = 'test:noack'
    let extra = 0
    const other = setInterval(() => {
      extra++
      admin.incr(`${prefix}:${extra % 5}`).catch(() => undefined)
    }, 20)
    try {
      const report = await runConsistencyCheck(options({prefix, keys: 5, concurrency: 1, keep: true}))
      assert.ok(report.notAckWrites > 0, JSON.stringify(report))
      assert.equal(report.lostWrites, 0)
    } finally {
      clearInterval(other)
    }
    assert.equal(await admin.exists(`${prefix}:1`), 1)
  })

  test('an unreachable target and bad input are one sentence each', async () => {
    const closed = await freePort()
    await assert.rejects(runConsistencyCheck({...options(), port: closed}), (error: unknown) => isUserError(error) && /refused the connection/.test(error.message))
    const bad = await twlab(['check', 'consistency', '--target', 'nowhere:xyz', '--duration', '1s'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /is not HOST:PORT/)
    const badDuration = await twlab(['check', 'consistency', '--target', `127.0.0.1:${redis.port}`, '--duration', 'soon'])
    assert.equal(badDuration.code, 1)
    assert.match(badDuration.stderr, /not a duration/)
  })
})
