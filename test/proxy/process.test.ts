// twproxy as a process: SIGHUP reopens the log (logrotate), SIGTTIN/SIGTTOU change the level, and
// --workers N serves one pool from N processes with the stats summed into one document.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, renameSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {freePort, type RunningServer, sleep, startRedis, stopAll} from '../support/servers.js'
import {exchange, readStats, resp, startTwproxy, stopTwproxies} from './harness.js'

let redis: RunningServer

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return
    await sleep(50)
  }
  assert.fail(`timed out waiting for ${what}`)
}

describe('twproxy process behaviour', () => {
  before(async () => {
    redis = await startRedis()
  })
  after(async () => {
    await stopTwproxies()
    await stopAll()
  })

  test('SIGHUP reopens the log file; SIGTTIN raises the level', async () => {
    const port = await freePort()
    const proxy = await startTwproxy(`alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n   - 127.0.0.1:${redis.port}:1\n`, port)
    await waitFor(() => existsSync(proxy.logFile) && readFileSync(proxy.logFile, 'utf8').includes('rabbit run'), 'the start-up lines')
    renameSync(proxy.logFile, `${proxy.logFile}.1`)
    process.kill(proxy.pid, 'SIGHUP')
    await waitFor(() => existsSync(proxy.logFile), 'a new log file')
    process.kill(proxy.pid, 'SIGTTIN')
    await waitFor(() => readFileSync(proxy.logFile, 'utf8').includes('up log level to 6'), 'the level change in the new file')
    assert.match(readFileSync(`${proxy.logFile}.1`, 'utf8'), /SIGHUP/)
    await proxy.stop()
  })

  test('--workers 2 serves the pool and sums both workers\' stats', async () => {
    const port = await freePort()
    const proxy = await startTwproxy(`alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n   - 127.0.0.1:${redis.port}:1 only\n`, port, ['--workers', '2'])
    const connections = 20
    for (let i = 0; i < connections; i++) {
      const result = await exchange(port, resp('SET', `w:${i}`, 'v'), {until: '+OK\r\n'})
      assert.equal(result.data.toString(), '+OK\r\n')
    }
    // closes reach the workers' counters asynchronously: poll (bounded) until the totals settle
    let stats = JSON.parse(await readStats(proxy.statsPort))
    for (let i = 0; i < 50 && (stats.alpha.client_eof !== connections + 1 || stats.alpha.only.responses !== connections); i++) {
      await sleep(100)
      stats = JSON.parse(await readStats(proxy.statsPort))
    }
    assert.equal(stats.alpha.only.requests, connections)
    assert.equal(stats.alpha.only.responses, connections)
    // and the connection the harness opened to see the port listening
    assert.equal(stats.alpha.client_eof, connections + 1)
    assert.equal(stats.alpha.client_connections, 0)
    assert.ok(stats.alpha.only.server_connections >= 1 && stats.alpha.only.server_connections <= 2)
    await proxy.stop()
  })
})
