import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {keySlot} from '../../src/hashing/index.js'
import {KEYS_PER_SIZING_CALL, preflight} from '../../src/cluster/preflight.js'
import {ClusterTarget} from '../../src/targets/cluster.js'
import {twlab} from '../support/cli.js'
import {stopAll} from '../support/servers.js'
import {startCluster, type TestCluster} from './cluster-fixture.js'

// Slots 0-99 (owned by the first master) hold 20 small keys and one 256 KB string.
describe('reshard preflight: key counts and big keys', () => {
  let cluster: TestCluster
  let target: ClusterTarget
  let home: string
  let bigSlot = -1
  const counts = new Map<number, number>()

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'twlab-preflight-'))
    cluster = await startCluster({masters: 2})
    const first = cluster.admin.get(cluster.masters[0])!
    for (let i = 0, small = 0; small < 20 && i < 100_000; i++) {
      const slot = keySlot(`pre:${i}`)
      if (slot >= 100) continue
      await first.set(`pre:${i}`, 'x')
      counts.set(slot, (counts.get(slot) ?? 0) + 1)
      small++
    }
    for (let i = 0; bigSlot < 0 && i < 100_000; i++) {
      const slot = keySlot(`big:${i}`)
      if (slot >= 100) continue
      await first.set(`big:${i}`, 'b'.repeat(256 * 1024))
      counts.set(slot, (counts.get(slot) ?? 0) + 1)
      bigSlot = slot
    }
    target = await ClusterTarget.connect(cluster.seed)
  })
  after(async () => {
    await target?.close()
    await cluster?.stop()
    await stopAll()
    rmSync(home, {recursive: true, force: true})
  })

  const moves = () => {
    const from = target.ownerOfSlot(0)!.id
    const to = target.masters().find((node) => node.id !== from)!.id
    return Array.from({length: 100}, (_, slot) => ({slot, from, to}))
  }

  test('counts every slot and reports the key over the limit with its size', async () => {
    const pre = await preflight(target, moves(), 100 * 1024)
    assert.equal(pre.totalKeys, 21)
    for (let slot = 0; slot < 100; slot++) assert.equal(pre.keysBySlot.get(slot), counts.get(slot) ?? 0)
    assert.equal(pre.bigKeys.length, 1)
    assert.match(pre.bigKeys[0].key, /^big:/)
    assert.equal(pre.bigKeys[0].slot, bigSlot)
    assert.ok(pre.bigKeys[0].bytes > 256 * 1024)
  })

  test('a limit above what the node holds finds no big key and still counts', async () => {
    const pre = await preflight(target, moves(), 1024 ** 3)
    assert.deepEqual(pre.bigKeys, [])
    assert.equal(pre.totalKeys, 21)
  })

  test('twlab reshard refuses to move a big key without --allow-big-keys, and moves nothing', async () => {
    const [first, second] = cluster.masters
    const result = await twlab(['reshard', '--cluster', first, '--from', first, '--to', second, '--range', '0-99', '--big-key-limit', '100kb', '--yes', '--json'], {env: {TWLAB_HOME: home}})
    assert.notEqual(result.code, 0)
    assert.match(result.stdout + result.stderr, /over 100kb.*big:/)
    assert.equal(Number(await cluster.admin.get(first)!.dbsize()), 21)
    assert.equal(String(await cluster.admin.get(first)!.call('CLUSTER', 'COUNTKEYSINSLOT', bigSlot)), String(counts.get(bigSlot)))
  })

  test('a slot with more keys than one sizing call takes is sized from SCAN pages, big key found', async () => {
    const first = cluster.admin.get(cluster.masters[0])!
    let tag = ''
    for (let i = 0; !tag && i < 100_000; i++) if (keySlot(`crowd${i}`) < 100) tag = `crowd${i}`
    const crowded = keySlot(tag)
    const extra = KEYS_PER_SIZING_CALL + 10
    for (let written = 0; written < extra; written += 5000) {
      const pipeline = first.pipeline()
      for (let i = written; i < Math.min(extra, written + 5000); i++) pipeline.set(`{${tag}}:${i}`, 'x')
      await pipeline.exec()
    }
    await first.set(`{${tag}}:big`, 'b'.repeat(256 * 1024))
    await first.call('CONFIG', 'RESETSTAT')
    const pre = await preflight(target, moves(), 100 * 1024)
    assert.equal(pre.keysBySlot.get(crowded), (counts.get(crowded) ?? 0) + extra + 1)
    assert.equal(pre.totalKeys, 21 + extra + 1)
    assert.deepEqual(pre.bigKeys.map((big) => [big.key, big.slot]).sort(), [[`{${tag}}:big`, crowded], [pre.bigKeys.find((big) => big.key.startsWith('big:'))!.key, bigSlot]].sort())
    // the crowded slot was read a SCAN page at a time, never in one GETKEYSINSLOT of all its keys
    const stats = String(await first.info('commandstats'))
    assert.match(stats, /^cmdstat_scan:calls=\d+/m)
  })
})
