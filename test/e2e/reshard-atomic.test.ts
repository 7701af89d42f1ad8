// twlab reshard on Valkey 9.1 (fetched from Debian's archive), where the server moves slots itself
// (CLUSTER MIGRATESLOTS): the plan names the method and why, the run moves every key under
// `twlab check consistency` without losing an acknowledged write, and the end state is clean (the
// source holds no key of the slots it gave away). --method migrate still works there, and a source
// that gives away its last slot becomes its target's replica, which the summary says.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {readReshardJournal} from '../../src/cluster/journal.js'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {twlab} from '../support/cli.js'
import {fetchedServer} from '../support/fetched-servers.js'
import {assertKeysReadable, fillKeys, slotCounts, startCluster, waitClusterStable, type TestCluster} from '../cluster/cluster-fixture.js'
import {startConsistencyCli} from '../cluster/consistency-cli.js'
import {stopStartedNodes} from '../cluster/server-process.js'

describe('twlab reshard on Valkey 9.1: atomic slot migration', () => {
  let cluster: TestCluster
  let keys: string[]
  let home: string
  const env = () => ({TWLAB_HOME: home})

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'twlab-atomic-home-'))
    cluster = await startCluster({masters: 3, server: await fetchedServer('valkey-9.1')})
    keys = await fillKeys(cluster, 30_000)
  })
  after(async () => {
    await cluster?.stop()
    await stopStartedNodes()
    rmSync(home, {recursive: true, force: true})
  })

  async function keysOnSource(source: string, slots: number[]): Promise<number> {
    const client = cluster.admin.get(source)!
    let total = 0
    for (const slot of slots) total += Number(await client.call('CLUSTER', 'COUNTKEYSINSLOT', slot))
    return total
  }

  test('moves --slots N by CLUSTER MIGRATESLOTS under writes, losing nothing, source left clean', async () => {
    const [from, , to] = cluster.masters
    const before = await slotCounts(cluster)
    const checker = await startConsistencyCli(cluster.seed, env())
    const result = await twlab(['reshard', '--cluster', cluster.seed, '--from', from, '--to', to, '--slots', '2000', '--yes', '--json'], {env: env(), timeoutMs: 120_000})
    await new Promise((resolve) => setTimeout(resolve, 500))
    const report = await checker.stop()
    assert.equal(result.code, 0, result.stderr)
    const summary = JSON.parse(result.stdout)
    assert.equal(summary.method, 'atomic')
    assert.match(summary.methodReason, /CLUSTER MIGRATESLOTS.*valkey 9\.1/)
    assert.match(summary.bigKeyCheck, /no big-key sizing/)
    assert.equal(summary.result.status, 'complete')
    assert.equal(summary.result.method, 'atomic')
    assert.equal(summary.result.slotsMoved, 2000)
    assert.ok(summary.result.keysMoved > 3000, `moved ${summary.result.keysMoved} keys`)
    assert.deepEqual(summary.result.pairs.map((pair: {from: string; to: string; slots: number}) => [pair.from, pair.to, pair.slots]), [[from, to, 2000]])
    const nodes = new Map(summary.result.nodes.map((node: {node: string}) => [node.node, node]))
    assert.equal((nodes.get(from) as {slotsOut: number}).slotsOut, 2000)
    assert.ok((nodes.get(to) as {bytesIn: number}).bytesIn > 0)
    assert.equal(summary.result.endState.clean, true, summary.result.endState.notes.join(' '))
    assert.match(summary.result.endState.notes.join(' '), /holds no key of the 2000 slot\(s\) it gave away/)

    const journal = readReshardJournal(summary.journal)
    assert.equal(journal.plan.method, 'atomic')
    assert.deepEqual([...journal.jobs.values()].map((job) => job.state), ['success'])
    assert.equal(journal.end, 'complete')

    await waitClusterStable(cluster)
    const afterCounts = await slotCounts(cluster)
    assert.equal(afterCounts.get(from), before.get(from)! - 2000)
    assert.equal(afterCounts.get(to), before.get(to)! + 2000)
    const moved = [...journal.slots.keys()]
    assert.equal(await keysOnSource(from, moved), 0, 'the source holds none of the moved slots\' keys')
    assert.ok(report.writes > 100, `the checker acknowledged only ${report.writes} writes`)
    assert.equal(report.lostWrites, 0, `lost writes on ${report.lostKeys.join(', ')}`)
    await assertKeysReadable(cluster, keys)
  })

  test('the human plan names the method and why; several sources move at once', async () => {
    const [a, b, c] = cluster.masters
    const result = await twlab(['reshard', '--cluster', cluster.seed, '--from', `${a},${b}`, '--to', c, '--slots', '600', '--yes'], {env: env(), timeoutMs: 120_000})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /Method: atomic slot migration \(CLUSTER MIGRATESLOTS\): every node involved runs valkey 9\.1\.\d+\./)
    assert.match(result.stdout, /Big keys: no big-key sizing: atomic slot migration streams keys/)
    assert.match(result.stdout, /holds no key of the \d+ slot\(s\) it gave away/)
    assert.match(result.stderr, /Moved 600\/600 slot\(s\), \d+ key\(s\) by atomic slot migration/)
    await assertKeysReadable(cluster, keys)
  })

  test('--method migrate moves slots with MIGRATE on the same servers', async () => {
    const [, b, c] = cluster.masters
    const result = await twlab(['reshard', '--cluster', cluster.seed, '--from', c, '--to', b, '--slots', '100', '--method', 'migrate', '--yes', '--json'], {env: env(), timeoutMs: 120_000})
    assert.equal(result.code, 0, result.stderr)
    const summary = JSON.parse(result.stdout)
    assert.equal(summary.method, 'migrate')
    assert.match(summary.methodReason, /--method migrate/)
    assert.equal(summary.result.slotsMoved, 100)
    await waitClusterStable(cluster)
    await assertKeysReadable(cluster, keys)
  })

  test('a source that gives away its last slot becomes its target\'s replica, and the summary says so', async () => {
    const [a, b] = cluster.masters
    const target = await ClusterTarget.connect(cluster.seed)
    const owned = target.resolveNode(a).slots
    await target.close()
    const count = owned.reduce((sum, [start, end]) => sum + end - start + 1, 0)
    const result = await twlab(['reshard', '--cluster', cluster.seed, '--from', a, '--to', b, '--slots', String(count), '--yes', '--json'], {env: env(), timeoutMs: 120_000})
    assert.equal(result.code, 0, result.stderr)
    const summary = JSON.parse(result.stdout)
    assert.equal(summary.result.status, 'complete')
    assert.match(summary.result.endState.notes.join(' '), /gave away its last slot, so the server made it a replica/)
    const role = String(await cluster.admin.get(a)!.info('replication'))
    assert.match(role, /role:slave/)
    await assertKeysReadable(cluster, keys)
  })
})
