// An add-server killed (SIGKILL) while keys move leaves a journal saying where it stopped; the
// same command run again finishes it. The consistency checker writes through twproxy throughout.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {runConsistencyCheck} from '../../src/check/consistency.js'
import {TWLAB, twlab} from '../support/cli.js'
import {missingOrWrong, preload, startPoolFixture, type PoolFixture} from './pool-fixture.js'

describe('an interrupted add-server', () => {
  let fixture: PoolFixture

  before(async () => {
    fixture = await startPoolFixture({total: 4, inPool: 3, proxy: 'twproxy'})
  })

  after(async () => {
    await fixture?.stop()
  })

  test('killed while moving keys, then run again: finished, nothing lost', async () => {
    // enough keys that moving them one per MIGRATE lasts seconds, so the kill lands mid-move even on a busy machine
    const keys = await preload(fixture.proxyClient(), 'resume', 60_000)
    const abort = new AbortController()
    const checker = runConsistencyCheck({
      host: '127.0.0.1', port: fixture.proxyPort, cluster: false, durationMs: 120_000, keys: 200,
      concurrency: 4, commandTimeoutMs: 5000, keep: false, signal: abort.signal,
    })
    const args = ['pool', 'add-server', fixture.address(3), 's4', '-c', fixture.configFile, '--proxy-pid', String(fixture.proxy.pid), '--yes', '--batch', '1']
    try {
      const child = spawn(process.execPath, [TWLAB, ...args], {stdio: ['ignore', 'ignore', 'pipe']})
      let stderr = ''
      const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000)
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk
          // the first progress line: keys are moving
          if (/scanned \d+, moved/.test(stderr)) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      child.kill('SIGKILL')
      await exit
      assert.match(stderr, /twproxy routes by the new servers/)
      const journalFile = `${fixture.configFile}.alpha.pool-change.json`
      assert.ok(existsSync(journalFile), 'the journal is left behind')
      assert.equal(JSON.parse(readFileSync(journalFile, 'utf8')).phase, 'switched')
      assert.match(readFileSync(fixture.configFile, 'utf8'), /fallback_servers/)
      // keys not moved yet are still readable through twproxy (handed over on touch)
      assert.deepEqual(await missingOrWrong(fixture.proxyClient(), keys), [])

      const again = await twlab(args, {timeoutMs: 120_000})
      assert.equal(again.code, 0, again.stderr)
      assert.match(again.stderr, /Finishing an interrupted change: adding 127\.0\.0\.1:\d+:1 s4 to pool alpha switched the config/)
      assert.ok(!existsSync(journalFile))
      assert.doesNotMatch(readFileSync(fixture.configFile, 'utf8'), /fallback_servers/)
    } finally {
      abort.abort()
    }
    const report = await checker
    assert.equal(report.lostWrites, 0, JSON.stringify(report))
    assert.deepEqual(await missingOrWrong(fixture.proxyClient(), keys), [])
  })
})
