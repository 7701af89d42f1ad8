// twproxy reloads its config on SIGUSR1 without dropping a client: clients connected before keep
// their sockets through three reloads (a timeout change, a fourth server with fallback_servers,
// then the fallback dropped), requests in flight complete, every read sees the client's own last
// write, and clients connected afterwards use the new servers.
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {poolYaml, startPoolFixture, type PoolFixture} from './pool-fixture.js'
import {sleep} from '../support/servers.js'

interface LoadClient {
  client: Redis
  closed: number
  errors: string[]
  mismatches: number
  rounds: number
}

function loadClient(port: number): LoadClient {
  const state: LoadClient = {
    client: new Redis({host: '127.0.0.1', port, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0, retryStrategy: () => null}),
    closed: 0, errors: [], mismatches: 0, rounds: 0,
  }
  state.client.on('close', () => state.closed++)
  state.client.on('error', (error) => state.errors.push(error.message))
  return state
}

/** Pipelines of SET/GET pairs on the client's own keys until stop() says so (bounded by rounds). */
async function drive(state: LoadClient, id: number, stop: () => boolean): Promise<void> {
  for (let round = 0; round < 100_000 && !stop(); round++) {
    const pipeline = state.client.pipeline()
    for (let k = 0; k < 10; k++) {
      const key = `reload:${id}:${(round * 10 + k) % 200}`
      pipeline.set(key, `${round}`).get(key)
    }
    try {
      const replies = (await pipeline.exec()) ?? []
      for (let k = 0; k < 10; k++) {
        const [setError] = replies[2 * k]
        const [getError, value] = replies[2 * k + 1]
        if (setError || getError) state.errors.push(String(setError ?? getError))
        else if (value !== `${round}`) state.mismatches++
      }
    } catch (error) {
      state.errors.push((error as Error).message)
      return
    }
    state.rounds++
  }
}

describe('twproxy reload under load', () => {
  let fixture: PoolFixture

  before(async () => {
    fixture = await startPoolFixture({total: 4, inPool: 3, proxy: 'twproxy'})
  })

  after(async () => {
    await fixture?.stop()
  })

  test('three reloads: no client disconnected, no request failed, new clients use the new servers', async () => {
    const reloadLines = () => readFileSync(`${fixture.dir}/proxy.log`, 'utf8').match(/reload: pool 'alpha' now has/g)?.length ?? 0
    const servers = (count: number) => fixture.redis.slice(0, count).map((r, i) => `127.0.0.1:${r.port}:1 s${i + 1}`)
    const early = Array.from({length: 12}, () => loadClient(fixture.proxyPort))
    let stopped = false
    const running = early.map((state, i) => drive(state, i, () => stopped))
    let reloads = 0
    const reload = async (text: string) => {
      writeFileSync(fixture.configFile, text)
      process.kill(fixture.proxy.pid, 'SIGUSR1')
      reloads++
      // the next file is written only once the proxy has applied this one (bounded wait)
      for (let i = 0; i < 200 && reloadLines() < reloads; i++) await sleep(50)
      await sleep(200)
    }
    await sleep(300)
    await reload(poolYaml(fixture.proxyPort, servers(3)).replace('timeout: 5000', 'timeout: 4000'))
    const fallback = `  fallback_servers:\n${servers(3).map((s) => `   - ${s}`).join('\n')}\n`
    await reload(poolYaml(fixture.proxyPort, servers(4)).replace('  servers:\n', `${fallback}  servers:\n`))
    await reload(poolYaml(fixture.proxyPort, servers(4)))
    const late = Array.from({length: 4}, () => loadClient(fixture.proxyPort))
    const lateRuns = late.map((state, i) => drive(state, 100 + i, () => stopped))
    await sleep(500)
    stopped = true
    await Promise.all([...running, ...lateRuns])

    assert.equal(reloadLines(), 3, readFileSync(`${fixture.dir}/proxy.log`, 'utf8'))
    for (const state of [...early, ...late]) {
      assert.equal(state.closed, 0, 'a client connection was closed')
      assert.deepEqual(state.errors, [])
      assert.equal(state.mismatches, 0)
      assert.ok(state.rounds > 0)
      assert.equal(state.client.status, 'ready')
    }
    assert.ok(early.every((state) => state.rounds > 5), 'the early clients kept going across the reloads')
    // keys written after the last reload are placed over four servers
    assert.ok((await fixture.direct(3).dbsize()) > 0)
    for (const state of [...early, ...late]) state.client.disconnect()
  })

  test('a config only a restart can apply is refused and the old one keeps serving', async () => {
    const text = readFileSync(fixture.configFile, 'utf8')
    writeFileSync(fixture.configFile, text.replace('alpha:', 'beta:'))
    process.kill(fixture.proxy.pid, 'SIGUSR1')
    await sleep(300)
    writeFileSync(fixture.configFile, text)
    const client = fixture.proxyClient()
    assert.equal(await client.set('still:serving', '1'), 'OK')
    assert.match(readFileSync(`${fixture.dir}/proxy.log`, 'utf8'), /the pools changed \(alpha -> beta\), which needs a restart/)
  })
})
