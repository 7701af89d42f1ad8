// A Redis node killed (SIGKILL, by PID) while `twlab reshard` moves its slots away. The run does
// not wait for a failover: it stops on the first slot that fails, exits 1 naming that slot, and
// leaves the journal saying which slots are done. Once the replica has taken over, `--resume`
// (or `cluster fix`, then `--resume`) finishes the plan from the promoted replica: no slot left
// open, every key readable, each key exactly once. The killed node is then restarted in its own
// folder and rejoins as a replica, so the cluster ends whole.
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, afterEach, before, beforeEach, describe, test} from 'node:test'
import {readReshardJournal} from '../../src/cluster/journal.js'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {twlab} from '../support/cli.js'
import {stopAll, stopPid, waitForPort, waitUntil, type RunningServer} from '../support/servers.js'
import {assertKeysReadable, fillKeys, startCluster, waitClusterStable, type TestCluster} from '../cluster/cluster-fixture.js'
import {startSlowReshard} from './slow-reshard.js'

describe('a node killed during twlab reshard', () => {
  let cluster: TestCluster
  let keys: string[]
  let home: string
  const restarted: ChildProcess[] = []
  const env = () => ({TWLAB_HOME: home})

  before(async () => {
    cluster = await startCluster({masters: 3, replicasPerMaster: 1})
    keys = await fillKeys(cluster, 10_000)
    await waitReplicasSynced()
  })
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'twlab-killed-home-'))
  })
  afterEach(() => rmSync(home, {recursive: true, force: true}))
  after(async () => {
    for (const child of restarted) await stopPid(child)
    await cluster?.stop()
    await stopAll()
  })

  /** Every replica holds as many keys as its master (the data was written before any kill). */
  async function waitReplicasSynced(): Promise<void> {
    await waitUntil(async () => {
      const target = await ClusterTarget.connect(cluster.masters[1])
      try {
        for (const master of target.masters()) {
          const size = await target.client(master).dbsize()
          for (const replica of target.replicasOf(master.id)) if ((await target.client(replica).dbsize()) !== size) return false
        }
        return true
      } finally {
        await target.close()
      }
    }, 'the replicas to hold their masters\' keys')
  }

  function serverAt(address: string): RunningServer {
    const server = cluster.servers.find((s) => `127.0.0.1:${s.port}` === address)
    assert.ok(server, `no test server at ${address}`)
    return server
  }

  /** A slow reshard from `from` to `to`; the redis-server at `victim` is SIGKILLed once 30 slots are done. */
  async function reshardAndKill(from: string, to: string, victim: string): Promise<{code: number | null; stdout: string; stderr: string; journal: string}> {
    const {run, journal} = await startSlowReshard(home, to, from, to, 120_000)
    serverAt(victim).child.kill('SIGKILL')
    return {...(await run.done), journal}
  }

  /** Waits until the dead master owns no slot any more: its replica serves them. */
  async function waitFailover(dead: string): Promise<void> {
    const seed = cluster.masters.find((address) => address !== dead)!
    let lastView = ''
    try {
      await waitUntil(async () => {
        lastView = String(await cluster.admin.get(seed)!.call('CLUSTER', 'NODES'))
        const target = await ClusterTarget.connect(seed)
        try {
          const deadNode = target.allNodes().find((node) => node.address === dead)
          return deadNode !== undefined && deadNode.failing && deadNode.slots.length === 0 && target.uncoveredSlots().length === 0
        } finally {
          await target.close()
        }
      }, `a replica to take over from ${dead}`, 60_000)
    } catch (error) {
      throw new Error(`${(error as Error).message}; last view from ${seed}:\n${lastView}`)
    }
  }

  /** Starts the killed redis-server again on its port, in its folder (nodes.conf): it rejoins as a replica. */
  async function restart(address: string): Promise<void> {
    const server = serverAt(address)
    const child = spawn('redis-server', ['--port', String(server.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', server.dir, '--daemonize', 'no', '--loglevel', 'warning', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', '3000', '--cluster-require-full-coverage', 'no'], {stdio: 'ignore'})
    restarted.push(child)
    await waitForPort(server.port)
    await waitUntil(async () => {
      const target = await ClusterTarget.connect(cluster.masters.find((a) => a !== address)!)
      try {
        const node = target.allNodes().find((n) => n.address === address)
        return node !== undefined && !node.failing && node.role === 'replica'
      } finally {
        await target.close()
      }
    }, `${address} to rejoin as a replica`, 60_000)
  }

  /** No open slot, every planned slot on `to`, every key readable, each key held once. */
  async function assertFinished(journal: string, to: string): Promise<void> {
    const plan = readReshardJournal(journal).plan
    const target = await ClusterTarget.connect(to)
    try {
      assert.deepEqual(target.openSlots(), [], 'no slot left open')
      assert.deepEqual(plan.moves.filter((move) => target.ownerOfSlot(move.slot)?.address !== to).map((move) => move.slot), [], `every planned slot on ${to}`)
      const sizes = await Promise.all(target.masters().map((node) => target.client(node).dbsize()))
      assert.equal(sizes.reduce((sum, size) => sum + size, 0), keys.length, `the masters hold ${sizes.join('+')} keys, not ${keys.length}`)
    } finally {
      await target.close()
    }
    await assertKeysReadable(cluster, keys)
  }

  function assertFailedClearly(run: {code: number | null; stdout: string; stderr: string; journal: string}, victim: string): void {
    assert.equal(run.code, 1, `the reshard exits 1 when a node dies: ${run.stderr}`)
    const summary = JSON.parse(run.stdout)
    assert.equal(summary.result.status, 'failed')
    // each wave in flight when the node died reports its slot
    assert.ok(summary.result.failed.length >= 1)
    for (const failure of summary.result.failed) assert.match(failure.error, /^slot \d+: /)
    assert.ok(summary.result.failed.some((failure: {error: string}) => failure.error.includes(`the source ${victim} stopped answering`)), summary.result.failed[0].error)
    process.stderr.write(`# the killed run reported: ${summary.result.failed[0].error}\n`)
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
    // the journal keeps the plan, the slots done before the kill and the failed one
    const state = readReshardJournal(run.journal)
    assert.equal(state.plan.moves.length, 1500)
    assert.equal(state.end, 'failed')
    const done = [...state.slots.values()].filter((slot) => slot.state === 'done').length
    assert.ok(done >= 30 && done < 1500, `${done} slots done before the kill`)
  }

  /** `--resume` completes the plan; the killed node comes back and `cluster check` is clean. */
  async function resumeAndRecover(journal: string, killed: string, to: string): Promise<void> {
    const resumed = await twlab(['reshard', '--cluster', to, '--resume', '--yes', '--json'], {env: env(), timeoutMs: 180_000})
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.equal(JSON.parse(resumed.stdout).result.status, 'complete')
    await assertFinished(journal, to)

    await restart(killed)
    await waitClusterStable(cluster, 60_000)
    const check = await twlab(['cluster', 'check', '--cluster', to, '--json'], {env: env()})
    assert.equal(check.code, 0, check.stdout)
  }

  test('source master killed: the run fails on one slot, the replica takes over, --resume finishes', async () => {
    const [from, to] = [cluster.masters[0], cluster.masters[1]]
    const run = await reshardAndKill(from, to, from)
    assertFailedClearly(run, from)
    await waitFailover(from)

    await resumeAndRecover(run.journal, from, to)
  })

  test('source master killed: after the failover cluster fix closes the open slots, --resume moves the rest', async () => {
    const [from, to] = [cluster.masters[2], cluster.masters[1]]
    const run = await reshardAndKill(from, to, from)
    assertFailedClearly(run, from)
    await waitFailover(from)

    const fixed = await twlab(['cluster', 'fix', '--cluster', to, '--yes', '--json'], {env: env(), timeoutMs: 120_000})
    assert.equal(fixed.code, 0, `${fixed.stderr}${fixed.stdout}`)
    const summary = JSON.parse(fixed.stdout)
    assert.deepEqual(summary.failed, [])
    assert.ok(summary.steps > 0, 'the kill left at least one slot open')
    assert.equal(summary.pendingJournals.length, 1, 'the slots never started are left to --resume')
    const target = await ClusterTarget.connect(to)
    try {
      assert.deepEqual(target.openSlots(), [])
    } finally {
      await target.close()
    }

    await resumeAndRecover(run.journal, from, to)
  })
})
