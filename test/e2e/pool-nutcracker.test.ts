// With nutcracker in front (no reload), add-server writes the new servers only (a file nutcracker
// accepts), says so and prints the restart step; run again before the restart it still waits;
// after the restart it moves the keys, and every key is readable through nutcracker.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {twlab} from '../support/cli.js'
import {missingOrWrong, preload, startPoolFixture, type PoolFixture} from './pool-fixture.js'

describe('pool add-server with nutcracker in front', () => {
  let fixture: PoolFixture

  before(async () => {
    fixture = await startPoolFixture({total: 4, inPool: 3, proxy: 'nutcracker'})
  })

  after(async () => {
    await fixture?.stop()
  })

  test('prints the restart step, then moves the keys once nutcracker was restarted', async () => {
    const keys = await preload(fixture.proxyClient(), 'nc', 1000)
    const args = ['pool', 'add-server', fixture.address(3), 's4', '-c', fixture.configFile, '--yes']
    const first = await twlab([...args, '--proxy-pid', String(fixture.proxy.pid)])
    assert.equal(first.code, 2, first.stderr)
    assert.match(first.stdout, /cannot reload it/)
    assert.match(first.stdout, new RegExp(`kill -TERM ${fixture.proxy.pid} && nutcracker -c ${fixture.configFile}`))
    const text = readFileSync(fixture.configFile, 'utf8')
    assert.match(text, /s4/)
    assert.doesNotMatch(text, /fallback_servers/)
    assert.equal(spawnSync('nutcracker', ['-t', '-c', fixture.configFile]).status, 0)

    const again = await twlab([...args, '--proxy-pid', String(fixture.proxy.pid)])
    assert.equal(again.code, 2)
    assert.match(again.stderr, /still runs the old configuration/)

    await fixture.proxy.stop()
    fixture.proxy = await fixture.startProxy()
    const done = await twlab([...args, '--proxy-pid', String(fixture.proxy.pid), '--json'])
    assert.equal(done.code, 0, done.stderr)
    const summary = JSON.parse(done.stdout)
    assert.equal(summary.status, 'done')
    assert.ok(summary.moved > 100)
    assert.deepEqual(await missingOrWrong(fixture.proxyClient(), keys), [])
  })
})
