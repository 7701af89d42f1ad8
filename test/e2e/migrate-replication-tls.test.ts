// Replication capture of a source that speaks TLS only: a pool lab made with --tls, migrated with
// --capture replication. twlab's replica link uses the lab's own certificates (as every client of
// it does): the sources count a full sync each, the writes made during the run arrive, and the
// cluster ends key by key equal.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {Cluster, Redis} from 'ioredis'
import {makeLabHome, type LabHome} from '../lab/support.js'
import type {LabStatus} from '../../src/lab/status.js'
import type {LabState} from '../../src/lab/state.js'
import {startCluster, type TestCluster} from '../migrate/cluster-support.js'
import {startCli, TWLAB} from '../support/cli.js'
import {sleep} from '../support/servers.js'

const KEYS_PER_SOURCE = 500

describe('replication capture over TLS', () => {
  let lab: LabHome
  let cluster: TestCluster
  let sources: Redis[] = []

  before(async () => {
    lab = makeLabHome()
    const {result} = await lab.up(['--masters', '2', '--tls', '--name', 'tp'])
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const state = JSON.parse(readFileSync(`${lab.home}/labs/tp/state.json`, 'utf8')) as LabState
    lab.state('tp')
    const status = JSON.parse((await lab.run(['status', '--lab', 'tp', '--json'])).stdout) as LabStatus
    assert.ok(status.tls)
    const ca = readFileSync(status.tls.caFile)
    sources = state.nodes.filter((n) => /^m\d+$/.test(n.name)).map((n) => new Redis({host: '127.0.0.1', port: n.port, tls: {ca}, maxRetriesPerRequest: 1}))
    for (const [i, source] of sources.entries()) {
      const pipeline = source.pipeline()
      for (let k = 0; k < KEYS_PER_SOURCE; k++) pipeline.set(`tls:${i}:${k}`, `v${k}`)
      await pipeline.exec()
    }
    cluster = await startCluster()
  })

  after(async () => {
    sources.forEach((s) => s.disconnect())
    await cluster?.stop()
    await lab?.cleanup()
  })

  test('the replica link speaks TLS: snapshot and stream arrive, key by key equal', async () => {
    const syncsBefore = await Promise.all(sources.map(fullSyncs))
    const run = startCli(TWLAB, ['migrate', '--lab', 'tp', '--to-cluster', cluster.address, '--online', '--capture', 'replication',
      '--quiet-for', '2', '--json', '--yes'], {env: lab.env, timeoutMs: 120_000})
    let ended = false
    void run.done.then(() => (ended = true))
    // writes during the run, until the sources count twlab's sync
    for (let round = 0; round < 200 && !ended; round++) {
      await Promise.all(sources.map((s, i) => s.incr(`tls:counter:${i}`)))
      if (round > 10 && (await Promise.all(sources.map(fullSyncs))).every((n, i) => n > syncsBefore[i])) break
      await sleep(50)
    }
    const result = await run.done
    assert.equal(result.code, 0, result.stderr + result.stdout)
    const {migration} = JSON.parse(result.stdout)
    assert.equal(migration.capture.mode, 'replication')
    assert.equal(migration.status, 'done')
    assert.deepEqual(migration.verify.counts, {missing: 0, extra: 0, type: 0, value: 0, ttl: 0})
    const after = await Promise.all(sources.map(fullSyncs))
    after.forEach((n, i) => assert.ok(n > syncsBefore[i], `source ${i} served twlab a full sync over TLS`))
    const target = new Cluster([{host: '127.0.0.1', port: cluster.masters[0].port}])
    try {
      for (const [i, source] of sources.entries()) {
        assert.equal(await target.get(`tls:counter:${i}`), await source.get(`tls:counter:${i}`), `the counter of source ${i}`)
        assert.equal(await target.get(`tls:${i}:7`), 'v7')
      }
    } finally {
      target.disconnect()
    }
  })
})

async function fullSyncs(client: Redis): Promise<number> {
  return Number(/sync_full:(\d+)/.exec(await client.info('stats'))?.[1] ?? 0)
}
