// twlab reshard end to end on a real 3-master cluster: slots and keys move while a writer INCRs
// counters through a cluster client, and no acknowledged write is lost.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {twlab} from '../support/cli.js'
import {stopAll} from '../support/servers.js'
import {assertKeysReadable, fillKeys, slotCounts, startCluster, waitClusterStable, type TestCluster} from '../cluster/cluster-fixture.js'
import {startConsistencyCheck} from '../cluster/consistency-writer.js'

describe('twlab reshard', () => {
  let cluster: TestCluster
  let keys: string[]
  let home: string
  const env = () => ({TWLAB_HOME: home})

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'twlab-reshard-home-'))
    cluster = await startCluster({masters: 3})
    keys = await fillKeys(cluster, 20_000)
  })
  after(async () => {
    await cluster?.stop()
    await stopAll()
    rmSync(home, {recursive: true, force: true})
  })

  test('moves --slots N from one master to another under writes, losing nothing', async () => {
    const [from, , to] = cluster.masters
    const before = await slotCounts(cluster)
    const writer = startConsistencyCheck(cluster.seed)
    let result
    try {
      result = await twlab(['reshard', '--cluster', cluster.seed, '--from', from, '--to', to, '--slots', '2000', '--batch', '50', '--yes', '--json'], {env: env()})
    } finally {
      // keep writing a moment after the move so reads check the last acknowledged writes
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const report = await writer.stop()
    assert.equal(result.code, 0, result.stderr)
    const summary = JSON.parse(result.stdout)
    assert.equal(summary.result.status, 'complete')
    assert.equal(summary.result.slotsMoved, 2000)
    assert.ok(summary.result.keysMoved > 1000, `moved ${summary.result.keysMoved} keys`)
    assert.equal(summary.plan[0].from, from)
    assert.equal(summary.plan[0].to, to)

    await waitClusterStable(cluster)
    const afterCounts = await slotCounts(cluster)
    assert.equal(afterCounts.get(from), before.get(from)! - 2000)
    assert.equal(afterCounts.get(to), before.get(to)! + 2000)

    assert.ok(report.writes > 100, `the checker acknowledged only ${report.writes} writes`)
    assert.equal(report.lostWrites, 0, `lost writes on ${report.lostKeys.join(', ')}`)
    await assertKeysReadable(cluster, keys)
  })

  test('moves an exact --range and shows the plan table to humans', async () => {
    const [, middle, to] = cluster.masters
    const target = await ClusterTarget.connect(cluster.seed)
    const start = target.resolveNode(middle).slots[0][0]
    await target.close()
    const result = await twlab(['reshard', '--cluster', cluster.seed, '--from', middle, '--to', to, '--range', `${start}-${start + 99}`, '--yes'], {env: env()})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`${start}-${start + 99}`))
    assert.match(result.stderr, /Moved 100\/100 slot\(s\)/)
    const check = await ClusterTarget.connect(cluster.seed)
    try {
      for (let slot = start; slot < start + 100; slot++) assert.equal(check.ownerOfSlot(slot)?.address, to)
    } finally {
      await check.close()
    }
    await assertKeysReadable(cluster, keys)
  })

  test('refuses without a terminal and without --yes, and moves nothing', async () => {
    const before = await slotCounts(cluster)
    const result = await twlab(['reshard', '--cluster', cluster.seed, '--from', cluster.masters[0], '--to', cluster.masters[1], '--slots', '5'], {env: env()})
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /--yes/)
    assert.deepEqual(await slotCounts(cluster), before)
  })

  test('bad input is one sentence naming the thing and the fix', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--from', cluster.masters[0], '--to', '127.0.0.1:1', '--slots', '5'], /No cluster node listens on 127\.0\.0\.1:1/],
      [['--from', cluster.masters[0], '--to', cluster.masters[1], '--range', '9-2'], /--range "9-2" is not a slot range/],
      [['--from', cluster.masters[0], '--to', cluster.masters[0], '--slots', '5'], /both --from and --to/],
      [['--to', cluster.masters[1], '--slots', '5'], /--from/],
      [['--from', cluster.masters[0], '--to', cluster.masters[1], '--slots', '16000'], /at most/],
    ]
    for (const [args, pattern] of cases) {
      const result = await twlab(['reshard', '--cluster', cluster.seed, ...args, '--yes'], {env: env()})
      assert.equal(result.code, 1, args.join(' '))
      assert.match(result.stderr, pattern)
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
    }
    const unreachable = await twlab(['reshard', '--cluster', '127.0.0.1:1', '--from', 'all', '--to', 'x', '--slots', '1', '--yes', '--json'], {env: env()})
    assert.equal(unreachable.code, 1)
    assert.match(JSON.parse(unreachable.stdout).error.message, /refused the connection/)
  })
})
