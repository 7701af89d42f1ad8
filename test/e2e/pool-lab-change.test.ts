// `twlab pool add-server` and `pool remove-server` with --lab on a pool lab made by `twlab up`
// (twproxy in front): while they run, `twlab check consistency` INCRs counters through the lab's
// twproxy and a reader reads every preloaded key through it. No acknowledged write is lost, no
// preloaded key is ever missing or wrong, and afterwards each key sits on its new owner only.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {parseConfig, type PoolConfig} from '../../src/config/index.js'
import {KeyPlacer} from '../../src/hashing/index.js'
import {TWLAB, startCli} from '../support/cli.js'
import {sleep, startRedis, stopAll, waitUntil, type RunningServer} from '../support/servers.js'
import {makeLabHome, type LabHome} from '../lab/support.js'
import {missingOrWrong, preload} from './pool-fixture.js'

const LAB = 'grow'

interface Reader {
  rounds: number
  wrong: string[]
  errors: string[]
  stop(): Promise<void>
}

/** Reads every preloaded key through the proxy, round after round, until stopped (bounded). */
function startReader(port: number, keys: Awaited<ReturnType<typeof preload>>): Reader {
  const client = new Redis({port, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
  client.on('error', () => {})
  let running = true
  const state: Reader = {
    rounds: 0, wrong: [], errors: [],
    async stop() {
      running = false
      await loop
      client.disconnect()
    },
  }
  const loop = (async () => {
    const deadline = Date.now() + 180_000
    for (let round = 0; running && round < 10_000 && Date.now() < deadline; round++) {
      try {
        const wrong = await missingOrWrong(client, keys)
        state.wrong.push(...wrong.slice(0, 10))
      } catch (error) {
        state.errors.push((error as Error).message)
      }
      state.rounds++
    }
  })()
  return state
}

describe('pool add-server and remove-server on a lab (--lab)', () => {
  let lab: LabHome
  let spare: RunningServer
  let proxyPort = 0
  let keys: Awaited<ReturnType<typeof preload>>
  const run = (args: string[]) => lab.run(args, 120_000)

  const labConfig = (): {file: string; pool: PoolConfig} => {
    const file = lab.state(LAB).proxy.configFile!
    return {file, pool: parseConfig(readFileSync(file, 'utf8'), file).pools[0]}
  }

  const masters = () => lab.state(LAB).nodes.filter((node) => node.role === 'master')

  /** For every key: the addresses of the servers that hold it, read directly. */
  async function holders(addresses: string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>([...keys.keys()].map((key) => [key, []]))
    for (const address of addresses) {
      const client = new Redis({port: Number(address.split(':')[1]), maxRetriesPerRequest: 1})
      try {
        const names = [...keys.keys()]
        const exists = await Promise.all(names.map((key) => client.exists(key)))
        names.forEach((key, i) => {
          if (exists[i] === 1) found.get(key)!.push(address)
        })
      } finally {
        client.disconnect()
      }
    }
    return found
  }

  /** Runs `change` while `twlab check consistency` writes and a reader reads through the lab's proxy. */
  async function underLoad(change: () => Promise<void>): Promise<{report: Record<string, number>; reader: Reader}> {
    const checker = startCli(TWLAB, ['check', 'consistency', '--target', `127.0.0.1:${proxyPort}`, '--duration', '150s',
      '--keys', '300', '--concurrency', '4', '--timeout', '5s', '--json'], {env: lab.env, timeoutMs: 170_000})
    const reader = startReader(proxyPort, keys)
    try {
      // the checker's counters show up on the servers once it writes
      await waitUntil(async () => {
        let found = 0
        for (const node of masters()) {
          const client = new Redis({port: node.port, maxRetriesPerRequest: 1})
          try {
            found += (await client.keys('twlab:consistency:*')).length
          } finally {
            client.disconnect()
          }
        }
        return found > 0
      }, 'the consistency checker to write', 30_000)
      await change()
      // a little more traffic on the final layout before stopping
      await sleep(300)
    } finally {
      checker.child.kill('SIGINT')
      await reader.stop()
    }
    const {code, stdout, stderr} = await checker.done
    assert.equal(code, 0, `check consistency: ${stderr}${stdout}`)
    return {report: JSON.parse(stdout), reader}
  }

  before(async () => {
    lab = makeLabHome()
    const {result, basePort} = await lab.up(['--name', LAB, '--proxy', 'twproxy', '--json'])
    assert.equal(result.code, 0, result.stderr)
    proxyPort = basePort
    spare = await startRedis()
    const client = new Redis({port: proxyPort, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
    try {
      keys = await preload(client, 'lab:grow', 3000)
    } finally {
      client.disconnect()
    }
  })

  after(async () => {
    await lab?.cleanup()
    await stopAll()
  })

  test('add-server --lab under writes: no lost write, keys readable throughout, each on its new owner', async () => {
    let summary: Record<string, unknown> = {}
    const {report, reader} = await underLoad(async () => {
      const result = await run(['pool', 'add-server', `127.0.0.1:${spare.port}`, 'spare', '--lab', LAB, '--yes', '--json'])
      assert.equal(result.code, 0, result.stderr)
      summary = JSON.parse(result.stdout)
    })
    assert.equal(summary.status, 'done')
    assert.ok((summary.moved as number) > 200, `moved ${summary.moved}`)
    assert.equal(report.lostWrites, 0, JSON.stringify(report))
    assert.ok(report.writes > 100, `the checker kept writing (${report.writes})`)
    assert.deepEqual(reader.wrong, [], 'a preloaded key was missing or wrong through the proxy')
    assert.deepEqual(reader.errors, [])
    assert.ok(reader.rounds > 0)

    const {file, pool} = labConfig()
    assert.ok(pool.servers.some((server) => server.name === 'spare'), 'the new server is in the pool')
    assert.equal(pool.servers.length, 4)
    assert.ok(!readFileSync(file, 'utf8').includes('fallback_servers'))
    const placer = new KeyPlacer(pool)
    const where = await holders(pool.servers.map((server) => `${server.host}:${server.port}`))
    for (const [key, on] of where) {
      const owner = pool.servers[placer.serverIndex(key)]
      assert.deepEqual(on, [`${owner.host}:${owner.port}`], `${key} is on ${on.join(',')}`)
    }
  })

  test('remove-server --lab under writes: no lost write, keys readable throughout, the removed server ends empty', async () => {
    const {pool: before} = labConfig()
    const removed = before.servers[1]
    let summary: Record<string, unknown> = {}
    const {report, reader} = await underLoad(async () => {
      const result = await run(['pool', 'remove-server', removed.name, '--lab', LAB, '--yes', '--json'])
      assert.equal(result.code, 0, result.stderr)
      summary = JSON.parse(result.stdout)
    })
    assert.equal(summary.status, 'done')
    assert.equal(report.lostWrites, 0, JSON.stringify(report))
    assert.ok(report.writes > 100, `the checker kept writing (${report.writes})`)
    assert.deepEqual(reader.wrong, [])
    assert.deepEqual(reader.errors, [])

    const {pool} = labConfig()
    assert.equal(pool.servers.length, 3)
    assert.ok(!pool.servers.some((server) => server.name === removed.name))
    const removedClient = new Redis({port: removed.port, maxRetriesPerRequest: 1})
    try {
      // the checker deletes its counters at the end; the preloaded keys must all have left
      const left = (await removedClient.keys('lab:grow:*')).length
      assert.equal(left, 0, `${removed.name} still holds ${left} preloaded key(s)`)
    } finally {
      removedClient.disconnect()
    }
    const placer = new KeyPlacer(pool)
    const where = await holders([...pool.servers.map((server) => `${server.host}:${server.port}`), `${removed.host}:${removed.port}`])
    for (const [key, on] of where) {
      const owner = pool.servers[placer.serverIndex(key)]
      assert.deepEqual(on, [`${owner.host}:${owner.port}`], `${key} is on ${on.join(',')}`)
    }
  })
})
