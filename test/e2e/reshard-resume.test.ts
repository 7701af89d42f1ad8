// Interrupted reshards: twlab killed mid-move (SIGKILL) then finished with --resume, or closed
// with `cluster fix`; stopped with Ctrl-C (SIGINT) and resumed; hand-made half-moved and
// ownerless slots closed by `cluster fix`. A writer runs throughout: no acknowledged write lost.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, afterEach, before, beforeEach, describe, test} from 'node:test'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {keySlot} from '../../src/hashing/index.js'
import {twlab} from '../support/cli.js'
import {stopAll} from '../support/servers.js'
import {assertKeysReadable, clusterClient, fillKeys, startCluster, waitClusterStable, type TestCluster} from '../cluster/cluster-fixture.js'
import {ConsistencyWriter} from '../cluster/counter-writer.js'
import {doneSlots, startSlowReshard} from './slow-reshard.js'

describe('interrupted reshards: --resume and cluster fix', () => {
  let cluster: TestCluster
  let keys: string[]
  let home: string
  let writerClient: ReturnType<typeof clusterClient>
  let writer: ConsistencyWriter
  let round = 0
  const env = () => ({TWLAB_HOME: home})

  before(async () => {
    cluster = await startCluster({masters: 3})
    keys = await fillKeys(cluster, 10_000)
  })
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'twlab-resume-home-'))
  })
  afterEach(() => rmSync(home, {recursive: true, force: true}))
  after(async () => {
    await cluster?.stop()
    await stopAll()
  })

  function startWriter(): void {
    writerClient = clusterClient(cluster)
    writer = new ConsistencyWriter(writerClient, 200, `counter:resume:${++round}:`)
    writer.start()
  }

  async function stopWriterAndVerify(): Promise<void> {
    await writer.stop()
    const report = await writer.verify()
    writerClient.disconnect()
    assert.ok(report.acknowledged > 50, `writer acknowledged only ${report.acknowledged}`)
    assert.deepEqual(report.lost, [], 'acknowledged writes lost')
    assert.deepEqual(report.overcounted, [])
  }

  async function assertHealthy(): Promise<void> {
    await waitClusterStable(cluster)
    const check = await twlab(['cluster', 'check', '--cluster', cluster.seed, '--json'], {env: env()})
    assert.equal(check.code, 0, check.stdout)
    await assertKeysReadable(cluster, keys)
  }

  /** A slow reshard, stopped with `signal` once 30 slots are done. */
  async function interruptedReshard(signal: NodeJS.Signals, from: string, to: string): Promise<{code: number | null; stdout: string; journal: string}> {
    const {run, journal} = await startSlowReshard(home, cluster.seed, from, to, 120_000)
    run.child.kill(signal)
    const {code, stdout} = await run.done
    return {code, stdout, journal}
  }

  async function plannedSlotsOn(journal: string): Promise<{planned: number[]; to: string}> {
    const plan = JSON.parse(readFileSync(journal, 'utf8').split('\n')[0])
    return {planned: plan.moves.map((move: {slot: number}) => move.slot), to: plan.nodes[plan.moves[0].to]}
  }

  test('killed mid-move (SIGKILL), then --resume finishes every planned slot', async () => {
    startWriter()
    try {
      const killed = await interruptedReshard('SIGKILL', cluster.masters[0], cluster.masters[1])
      assert.equal(killed.code, null, 'killed by the signal')
      const {planned, to} = await plannedSlotsOn(killed.journal)
      assert.equal(planned.length, 1500)
      assert.ok(doneSlots(killed.journal) < 1500, 'interrupted before the end')

      const resumed = await twlab(['reshard', '--cluster', cluster.seed, '--resume', '--yes', '--json'], {env: env(), timeoutMs: 180_000})
      assert.equal(resumed.code, 0, resumed.stderr)
      assert.equal(JSON.parse(resumed.stdout).result.status, 'complete')
      const target = await ClusterTarget.connect(cluster.seed)
      try {
        assert.deepEqual(planned.filter((slot) => target.ownerOfSlot(slot)?.address !== to), [])
      } finally {
        await target.close()
      }
      const again = await twlab(['reshard', '--cluster', cluster.seed, '--resume', '--yes'], {env: env()})
      assert.equal(again.code, 1, 'nothing left to resume')
      assert.match(again.stderr, /nothing to resume/)
    } finally {
      await stopWriterAndVerify()
    }
    await assertHealthy()
  })

  test('stopped with SIGINT: slots in flight close, exit 130, --resume finishes', async () => {
    startWriter()
    try {
      const stopped = await interruptedReshard('SIGINT', cluster.masters[1], cluster.masters[2])
      assert.equal(stopped.code, 130)
      assert.equal(JSON.parse(stopped.stdout).result.status, 'interrupted')
      const target = await ClusterTarget.connect(cluster.seed)
      try {
        assert.deepEqual(target.openSlots(), [], 'a graceful stop leaves no slot open')
      } finally {
        await target.close()
      }
      const resumed = await twlab(['reshard', '--cluster', cluster.seed, '--resume', '--journal', stopped.journal, '--yes', '--json'], {env: env(), timeoutMs: 180_000})
      assert.equal(resumed.code, 0, resumed.stderr)
      assert.equal(JSON.parse(resumed.stdout).result.status, 'complete')
    } finally {
      await stopWriterAndVerify()
    }
    await assertHealthy()
  })

  test('killed mid-move, then cluster fix closes the open slots; --resume still moves the rest', async () => {
    startWriter()
    try {
      const killed = await interruptedReshard('SIGKILL', cluster.masters[2], cluster.masters[0])
      assert.equal(killed.code, null)
      const refused = await twlab(['reshard', '--cluster', cluster.seed, '--from', cluster.masters[2], '--to', cluster.masters[0], '--slots', '1', '--yes'], {env: env()})
      const fixed = await twlab(['cluster', 'fix', '--cluster', cluster.seed, '--yes', '--json'], {env: env(), timeoutMs: 120_000})
      assert.equal(fixed.code, 0, `${fixed.stderr}${fixed.stdout}`)
      const summary = JSON.parse(fixed.stdout)
      assert.deepEqual(summary.failed, [])
      if (summary.steps > 0) assert.match(refused.stderr, /half-moved/, 'a new reshard refuses while slots are open')
      const target = await ClusterTarget.connect(cluster.seed)
      try {
        assert.deepEqual(target.openSlots(), [])
      } finally {
        await target.close()
      }
      const resumed = await twlab(['reshard', '--cluster', cluster.seed, '--resume', '--yes', '--json'], {env: env(), timeoutMs: 180_000})
      assert.equal(resumed.code, 0, resumed.stderr)
    } finally {
      await stopWriterAndVerify()
    }
    await assertHealthy()
  })

  // The ownerless slots race with gossip on purpose: DELSLOTS goes to one master after another,
  // and a heartbeat sent before a node's DELSLOTS can re-bind the slot on a master that already
  // dropped it, so masters disagree while fix claims the slots and gathers their keys.
  test('cluster fix closes hand-made half moves and covers ownerless slots, gathering keys left on several masters', async () => {
    const target = await ClusterTarget.connect(cluster.seed)
    const [a, b, c] = target.masters()
    const slotsWithKeys = (node: typeof a) => {
      const found: number[] = []
      for (const key of keys) {
        const slot = keySlot(key)
        if (target.ownerOfSlot(slot)?.id === node.id && !found.includes(slot)) found.push(slot)
      }
      return found
    }
    const [forward, importOnly] = slotsWithKeys(a)
    const emptySlot = target.byId(c.id)!.slots[0][0]
    const keysIn = (slot: number) => keys.filter((key) => keySlot(key) === slot)
    // a slot of c with at least two keys, one of which ends up on b before nobody owns it
    const split = slotsWithKeys(c).find((slot) => slot !== emptySlot && keysIn(slot).length >= 2)!
    assert.ok(split !== undefined, 'c owns a slot holding two keys')
    const ac = target.client(a)
    const bc = target.client(b)
    // 1: a is migrating `forward` to b, one key already moved
    await bc.call('CLUSTER', 'SETSLOT', forward, 'IMPORTING', a.id)
    await ac.call('CLUSTER', 'SETSLOT', forward, 'MIGRATING', b.id)
    await ac.call('MIGRATE', b.host, b.port, '', 0, 5000, 'KEYS', keysIn(forward)[0])
    // 2: b imports `importOnly` and holds one of its keys, but a lost its MIGRATING mark (restart)
    await bc.call('CLUSTER', 'SETSLOT', importOnly, 'IMPORTING', a.id)
    await ac.call('CLUSTER', 'SETSLOT', importOnly, 'MIGRATING', b.id)
    await ac.call('MIGRATE', b.host, b.port, '', 0, 5000, 'KEYS', keysIn(importOnly)[0])
    await ac.call('CLUSTER', 'SETSLOT', importOnly, 'STABLE')
    // 3: b holds one key of c's slot `split`, then nobody owns `split` or `emptySlot` any more
    const cc = target.client(c)
    await bc.call('CLUSTER', 'SETSLOT', split, 'IMPORTING', c.id)
    await cc.call('CLUSTER', 'SETSLOT', split, 'MIGRATING', b.id)
    await cc.call('MIGRATE', b.host, b.port, '', 0, 5000, 'KEYS', keysIn(split)[0])
    await bc.call('CLUSTER', 'SETSLOT', split, 'STABLE')
    await cc.call('CLUSTER', 'SETSLOT', split, 'STABLE')
    for (const node of target.masters()) await target.client(node).call('CLUSTER', 'DELSLOTS', emptySlot, split).catch(() => undefined)
    await target.close()

    const before = await twlab(['cluster', 'check', '--cluster', cluster.seed, '--json'], {env: env()})
    assert.equal(before.code, 1)
    const kinds = JSON.parse(before.stdout).problems.map((problem: {kind: string}) => problem.kind)
    assert.ok(kinds.includes('open-slot') && kinds.includes('uncovered'), kinds.join(','))

    const fixed = await twlab(['cluster', 'fix', '--cluster', cluster.seed, '--yes', '--json'], {env: env()})
    assert.equal(fixed.code, 0, `${fixed.stderr}${fixed.stdout}`)
    const steps = new Map(JSON.parse(fixed.stdout).fixed.map((step: {slot: number; action: string}) => [step.slot, step.action]))
    assert.equal(steps.get(forward), 'roll-forward')
    assert.equal(steps.get(importOnly), 'roll-forward')
    assert.equal(steps.get(emptySlot), 'assign')
    assert.equal(steps.get(split), 'assign')
    await assertHealthy()
    const after = await ClusterTarget.connect(cluster.seed)
    try {
      assert.equal(after.ownerOfSlot(forward)?.id, b.id)
      assert.equal(after.ownerOfSlot(importOnly)?.id, b.id)
      assert.ok(after.ownerOfSlot(emptySlot))
      const splitOwner = after.ownerOfSlot(split)!
      assert.ok(splitOwner)
      // every key of `split` on its owner, none left behind elsewhere
      for (const node of after.masters()) {
        const count = Number(await after.client(node).call('CLUSTER', 'COUNTKEYSINSLOT', split))
        // (the earlier tests' writers may have left counters in the slot too)
        if (node.id === splitOwner.id) assert.ok(count >= keysIn(split).length, `the owner holds only ${count} key(s) of slot ${split}`)
        else assert.equal(count, 0, `${node.address} still holds ${count} key(s) of slot ${split}`)
      }
    } finally {
      await after.close()
    }
  })

})
