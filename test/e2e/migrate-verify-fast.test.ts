// migrate verify's fast paths still catch every difference: the target -> sources direction is
// settled by counts (a target master holding exactly the keys the source pass found on it holds
// no other) and only a master whose count differs is scanned key by key; any write meanwhile
// voids the counts; differences inside big keys (hash, list, set, stream), whose bulk comparison
// only flags them, are still reported by the closer check that runs beside the scan; hash-table
// hashes and sets over 1 MB, compared by their members whatever order each server lists them in,
// and one over WHOLE_MEMBERS_BYTES, which the bulk comparison does not read at all.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {WHOLE_MEMBERS_BYTES} from '../../src/migrate/copy/value-digest-script.js'
import {allWriteMarks, noWriteBetween} from '../../src/migrate/verify/write-marks.js'
import {twlab} from '../support/cli.js'
import {fillMixed, fillSpecial} from '../migrate/dataset.js'
import {sourceKeyCount, startHarness, type Harness} from '../migrate/harness.js'

const BIG = 1200
/** Fields (members) of the hash (set) whose DUMP payload is over 1 MB. */
const WIDE = 30_000
/** Members of the set whose DUMP payload is over WHOLE_MEMBERS_BYTES. */
const HUGE = 120_000

/** SCAN calls each target master answered since its stats were last reset. */
async function scansPerMaster(h: Harness): Promise<number[]> {
  const counts: number[] = []
  for (const master of h.cluster.masters) {
    const client = new Redis({host: '127.0.0.1', port: master.port})
    const stats = await client.info('commandstats')
    await client.config('RESETSTAT')
    client.disconnect()
    counts.push(Number(/^cmdstat_scan:calls=(\d+)/m.exec(stats)?.[1] ?? 0))
  }
  return counts
}

async function verify(h: Harness): Promise<{code: number | null; report: {checked: number; targetKeys: number; counts: Record<string, number>; mismatches: Array<{kind: string; key: string}>}}> {
  const result = await twlab(['migrate', 'verify', '--from', h.from, '--to-cluster', h.cluster.address, '--json'], {timeoutMs: 120_000})
  return {code: result.code, report: JSON.parse(result.stdout)}
}

describe('twlab migrate verify: counts, then keys where they differ', () => {
  let h: Harness

  before(async () => {
    h = await startHarness(2)
    for (const [i, client] of h.clients.entries()) {
      await fillMixed(client, `s${i}`, 600)
      await fillSpecial(client, `s${i}`, BIG)
    }
    const copy = await twlab(['migrate', '--from', h.from, '--to-cluster', h.cluster.address, '--json', '--checkpoint', h.checkpoint('fast')], {timeoutMs: 180_000})
    assert.equal(copy.code, 0, copy.stderr + copy.stdout)
    await scansPerMaster(h) // stats start from here
  })

  after(async () => {
    await h?.stop()
  })

  test('a clean copy is settled by counts: no target master is scanned key by key', async () => {
    const {code, report} = await verify(h)
    assert.equal(code, 0, JSON.stringify(report))
    const total = await sourceKeyCount(h)
    assert.equal(report.checked, total)
    assert.equal(report.targetKeys, total)
    assert.deepEqual(await scansPerMaster(h), h.cluster.masters.map(() => 0))
  })

  test('an extra key is found by scanning only the master whose count differs', async () => {
    await h.target.set('planted:extra', 'x')
    await scansPerMaster(h)
    const {code, report} = await verify(h)
    assert.equal(code, 1)
    assert.deepEqual(report.mismatches.map((m) => `${m.kind} ${m.key}`), ['extra planted:extra'])
    const scans = await scansPerMaster(h)
    assert.equal(scans.filter((n) => n > 0).length, 1, `SCAN calls per master: ${scans}`)
    await h.target.del('planted:extra')
  })

  test('a write on a server between two readings voids the counts', async () => {
    const servers = [...h.clients, ...h.cluster.masters.map((m) => new Redis({host: '127.0.0.1', port: m.port}))]
    try {
      const before = await allWriteMarks(servers)
      assert.ok(noWriteBetween(before, await allWriteMarks(servers)))
      await h.clients[1].set('marks:probe', '1')
      assert.ok(!noWriteBetween(before, await allWriteMarks(servers)))
      await h.clients[1].del('marks:probe')
    } finally {
      for (const client of servers.slice(h.clients.length)) client.disconnect()
    }
  })

  test('differences inside a big hash, list, set and stream are reported, with a missing key on the same master as an extra one', async () => {
    await h.target.hset('s0:big:hash', 'field-700', 'tampered')
    await h.target.lset('s1:big:list', 600, 'tampered')
    await h.target.srem('s0:big:set', `member-3-${'z'.repeat(20)}`)
    await h.target.xadd('{s1}:big:stream', `${BIG + 5}-1`, 'field', 'tampered')
    // One key gone and one planted in the same slot: the master's key count is unchanged.
    await h.target.del('{s0-user}:name')
    await h.target.set('{s0-user}:planted', 'x')
    const {code, report} = await verify(h)
    assert.equal(code, 1)
    const found = report.mismatches.map((m) => `${m.kind} ${m.key}`).sort()
    assert.deepEqual(found, ['extra {s0-user}:planted', 'missing {s0-user}:name', 'value s0:big:hash', 'value s0:big:set', 'value s1:big:list', 'value {s1}:big:stream'])
  })

  test('a one-member difference, or another expiry, in a hash-table hash or set over 1 MB is reported', async () => {
    // Hex digests: bytes the payload's compression cannot shrink below 1 MB.
    const noise = (i: number) => createHash('sha1').update(String(i)).digest('hex')
    const fields = Array.from({length: WIDE}, (_, i) => [`field-${i}`, noise(i)])
    const members = Array.from({length: WIDE}, (_, i) => `member-${i}-${noise(i)}`)
    const huge = Array.from({length: HUGE}, (_, i) => `member-${i}-${noise(i)}${noise(-i)}`)
    // each server adds the members in its own order
    for (const [n, client] of [h.clients[0], h.target].entries()) {
      const order = <T>(list: T[]) => (n === 0 ? list : [...list].reverse())
      for (let i = 0; i < fields.length; i += 1000) await client.hset('s0:wide:hash', ...order(fields).slice(i, i + 1000).flat())
      for (let i = 0; i < members.length; i += 1000) await client.sadd('s0:wide:set', ...order(members).slice(i, i + 1000))
      for (let i = 0; i < huge.length; i += 2000) await client.sadd('s0:huge:set', ...order(huge).slice(i, i + 2000))
    }
    for (const key of ['s0:wide:hash', 's0:wide:set']) assert.ok(((await h.clients[0].dumpBuffer(key)) as Buffer).length > 1 << 20)
    assert.ok(((await h.clients[0].dumpBuffer('s0:huge:set')) as Buffer).length > WHOLE_MEMBERS_BYTES)
    const wide = async () => (await verify(h)).report.mismatches.filter((m) => /:(wide|huge):/.test(m.key)).map((m) => `${m.kind} ${m.key}`).sort()
    await h.clients[0].pexpire('s0:wide:hash', 3_600_000)
    await h.target.pexpire('s0:wide:hash', 7_200_000)
    assert.deepEqual(await wide(), ['ttl s0:wide:hash'])
    await h.target.pexpireat('s0:wide:hash', Number(await h.clients[0].call('PEXPIRETIME', 's0:wide:hash')))
    assert.deepEqual(await wide(), [])
    await h.target.hset('s0:wide:hash', `field-${WIDE - 7}`, 'tampered')
    await h.target.srem('s0:wide:set', members[5])
    await h.target.sadd('s0:wide:set', 'member-planted')
    await h.target.srem('s0:huge:set', huge[HUGE - 3])
    await h.target.sadd('s0:huge:set', 'member-planted')
    assert.deepEqual(await wide(), ['value s0:huge:set', 'value s0:wide:hash', 'value s0:wide:set'])
  })
})
