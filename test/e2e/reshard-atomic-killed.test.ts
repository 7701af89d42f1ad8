// An atomic reshard (Valkey 9.1, CLUSTER MIGRATESLOTS) interrupted two ways, under `twlab check
// consistency`: the source master SIGKILLed while its job runs (the run fails naming it; a replica
// takes over; --resume moves the slots from it), and twlab itself SIGKILLed while the server's job
// runs (--resume waits for that job, then finishes). The moving slots carry extra keys so the job's
// snapshot is still running when the kill lands. Before the source is killed its writes are paused until its
// replica has every one of them: losing writes a master acknowledged but never replicated is the
// server's asynchronous replication at work, not the migration's, and would make the count of
// lost writes say nothing about twlab.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {keySlot} from '../../src/hashing/index.js'
import {readReshardJournal} from '../../src/cluster/journal.js'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {TWLAB, startCli, twlab} from '../support/cli.js'
import {fetchedServer} from '../support/fetched-servers.js'
import {waitUntil} from '../support/servers.js'
import {assertKeysReadable, fillKeys, startCluster, type TestCluster} from '../cluster/cluster-fixture.js'
import {startConsistencyCli} from '../cluster/consistency-cli.js'
import {stopStartedNodes} from '../cluster/server-process.js'
import {journalFile} from './slow-reshard.js'

describe('an atomic reshard interrupted on Valkey 9.1', () => {
  let cluster: TestCluster
  let keys: string[]

  before(async () => {
    cluster = await startCluster({masters: 3, replicasPerMaster: 1, server: await fetchedServer('valkey-9.1'), extraArgs: ['--enable-debug-command', 'yes']})
    keys = await fillKeys(cluster, 10_000)
  })
  after(async () => {
    await cluster?.stop()
    await stopStartedNodes()
  })

  /**
   * Gives the job something to chew on: `count` extra keys written straight to `address` in the
   * lowest slots it owns (those a --slots reshard takes), so its snapshot lasts long enough for a
   * kill to land while it runs.
   */
  async function ballast(address: string, count: number): Promise<void> {
    const view = await current()
    const [start] = view.resolveNode(address).slots[0]
    await view.close()
    const client = cluster.admin.get(address)!
    let pipeline = client.pipeline()
    let written = 0
    for (let i = 0; written < count && i < count * 20_000; i++) {
      const key = `ballast:${address}:${i}`
      const slot = keySlot(key)
      if (slot < start || slot >= start + 500) continue
      pipeline.set(key, 'b'.repeat(200))
      if (++written % 10_000 === 0) {
        await pipeline.exec()
        pipeline = client.pipeline()
      }
    }
    await pipeline.exec()
  }

  async function waitJobStarted(home: string): Promise<string> {
    await waitUntil(() => {
      const journal = journalFile(home)
      return journal !== undefined && readFileSync(journal, 'utf8').includes('"type":"job"')
    }, 'the reshard to start its server job', 30_000, 2)
    return journalFile(home)!
  }

  async function current(): Promise<ClusterTarget> {
    const seed = cluster.masters.find((address) => cluster.admin.get(address)?.status === 'ready') ?? cluster.seed
    return ClusterTarget.connect(seed)
  }

  /** Pauses writes on `address` until its replica has them all, then SIGKILLs it. */
  async function killCaughtUp(address: string): Promise<void> {
    const master = cluster.admin.get(address)!
    await master.call('CLIENT', 'PAUSE', 3000, 'WRITE')
    const offset = () => master.info('replication').then((info) => Number(/master_repl_offset:(\d+)/.exec(String(info))?.[1]))
    const target = await current()
    const replica = target.replicasOf(target.resolveNode(address).id)[0]
    await target.close()
    // a paused master sends its replicas nothing, not even pings: the offsets meet once they have it all
    await waitUntil(async () => {
      const info = String(await cluster.admin.get(replica.address)!.info('replication'))
      return Number(/(?:slave|replica)_repl_offset:(\d+)/.exec(info)?.[1]) >= (await offset())
    }, 'the replica to catch up', 10_000, 20)
    cluster.servers.find((server) => `127.0.0.1:${server.port}` === address)!.child.kill('SIGKILL')
  }

  test('the source killed mid-job: the run fails naming it; after the failover --resume finishes; no write lost', async () => {
    const home = mkdtempSync(join(tmpdir(), 'twlab-atomic-killed-'))
    const [from, seed, to] = cluster.masters
    const checker = await startConsistencyCli(seed, {TWLAB_HOME: home})
    try {
      await ballast(from, 300_000)
      const run = startCli(TWLAB, ['reshard', '--cluster', seed, '--from', from, '--to', to, '--slots', '1500', '--method', 'atomic', '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs: 120_000})
      const journal = await waitJobStarted(home)
      await killCaughtUp(from)
      const failed = await run.done
      assert.equal(failed.code, 1, failed.stderr)
      const summary = JSON.parse(failed.stdout)
      assert.equal(summary.result?.status, 'failed', failed.stdout)
      assert.match(summary.result.failed[0].error, new RegExp(`^slot \\d+: the source ${from} stopped answering during CLUSTER MIGRATESLOTS`))
      assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace')

      await waitUntil(async () => {
        const target = await current()
        try {
          return target.uncoveredSlots().length === 0 && !target.masters().some((node) => node.address === from)
        } finally {
          await target.close()
        }
      }, 'a replica to take over', 60_000)
      const resumed = await twlab(['reshard', '--cluster', seed, '--resume', '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs: 120_000})
      assert.equal(resumed.code, 0, resumed.stderr)
      const done = JSON.parse(resumed.stdout)
      assert.equal(done.result.status, 'complete')
      assert.equal(done.result.method, 'atomic')
      const state = readReshardJournal(journal)
      const target = await current()
      try {
        assert.deepEqual(state.plan.moves.filter((move) => target.ownerOfSlot(move.slot)?.address !== to).map((move) => move.slot), [], `every planned slot on ${to}`)
      } finally {
        await target.close()
      }
    } finally {
      const report = await checker.stop()
      rmSync(home, {recursive: true, force: true})
      assert.ok(report.writes > 100, `the checker acknowledged only ${report.writes} writes`)
      assert.equal(report.lostWrites, 0, `lost writes on ${report.lostKeys.join(', ')}`)
    }
    await assertKeysReadable(cluster, keys)
  })

  test('twlab killed while the server\'s job runs: --resume waits for the job and finishes the plan', async () => {
    const home = mkdtempSync(join(tmpdir(), 'twlab-atomic-resume-'))
    try {
      const target = await current()
      const masters = target.masters().filter((node) => node.slots.length > 0).map((node) => node.address)
      await target.close()
      const [from, to] = masters
      const checker = await startConsistencyCli(to, {TWLAB_HOME: home})
      try {
      await ballast(from, 300_000)
      const run = startCli(TWLAB, ['reshard', '--cluster', to, '--from', from, '--to', to, '--slots', '500', '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs: 60_000})
      const journal = await waitJobStarted(home)
      run.child.kill('SIGKILL')
      await run.done
      assert.equal(readReshardJournal(journal).end, undefined, 'the killed run never ended its journal')
      const resumed = await twlab(['reshard', '--cluster', from, '--resume', '--yes', '--json'], {env: {TWLAB_HOME: home}, timeoutMs: 120_000})
      assert.equal(resumed.code, 0, resumed.stderr)
      const state = readReshardJournal(journal)
      // the resume found the job running, waited for it and wrote how it ended
      assert.equal(state.end, 'complete')
      assert.deepEqual([...state.jobs.values()].map((job) => job.state), ['success'])
      const after = await current()
      try {
        assert.deepEqual(state.plan.moves.filter((move) => after.ownerOfSlot(move.slot)?.address !== to).map((move) => move.slot), [])
      } finally {
        await after.close()
      }
      } finally {
        const report = await checker.stop()
        assert.equal(report.lostWrites, 0, `lost writes on ${report.lostKeys.join(', ')}`)
      }
    } finally {
      rmSync(home, {recursive: true, force: true})
    }
    await assertKeysReadable(cluster, keys)
  })
})
