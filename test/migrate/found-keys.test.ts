// Verify's key fingerprints with bare --from servers (verify/found-keys.ts): every key found on
// two servers is taken once off its slot's master, whatever the number of keys (the table that
// finds repeats grows past its first size), and keys found once are never taken off.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import type {Cluster} from 'ioredis'
import {keySlot} from '../../src/hashing/index.js'
import {indexRecords, type RecordPage} from '../../src/migrate/copy/record-pack.js'
import {FoundKeys} from '../../src/migrate/verify/found-keys.js'

/** A page of records holding `keys`, each with a one-byte payload and no expiry. */
function page(keys: string[]): RecordPage {
  const parts = keys.flatMap((name) => {
    const key = Buffer.from(name)
    const header = Buffer.alloc(9)
    header.writeUInt32BE(key.length, 0)
    header.writeUInt32BE(1, 4)
    header[8] = 1
    return [header, key, Buffer.from('0'), Buffer.from([0])]
  })
  return indexRecords(Buffer.concat(parts))
}

/** A cluster view of three masters (a, b, c) splitting the slots in thirds. */
const cluster = {slots: Array.from({length: 16384}, (_, slot) => [slot < 5461 ? 'a' : slot < 10923 ? 'b' : 'c'])} as unknown as Cluster
const masterOf = (key: string) => (cluster.slots[keySlot(Buffer.from(key))] as string[])[0]

describe('found keys', () => {
  test('keys found on two servers are counted once, per master', () => {
    const total = 200_000
    const first = Array.from({length: total}, (_, i) => `k:${i}`)
    const again = Array.from({length: 3000}, (_, i) => `k:${i * 61}`)
    const found = new Keys()
    const keys = new FoundKeys()
    for (let start = 0; start < total; start += 1000) found.add(keys, page(first.slice(start, start + 1000)))
    found.add(keys, page(again))
    found.add(keys, page(['only:once', 'only:twice']))
    found.add(keys, page(['only:twice']))
    const counts = found.perMaster()
    const result = keys.takeRepeatsOff(counts, cluster)
    assert.ok(result)
    assert.equal(result.repeats, again.length + 1)
    const expected = new Keys()
    expected.addNames([...first, 'only:once', 'only:twice'])
    assert.deepEqual(counts, expected.perMaster())
    assert.deepEqual([...result.masters].sort(), ['a', 'b', 'c'])
  })

  test('no repeats: nothing taken off', () => {
    const found = new Keys()
    const keys = new FoundKeys()
    found.add(keys, page(Array.from({length: 5000}, (_, i) => `solo:${i}`)))
    const counts = found.perMaster()
    const before = new Map(counts)
    assert.deepEqual(keys.takeRepeatsOff(counts, cluster), {repeats: 0, masters: new Set()})
    assert.deepEqual(counts, before)
  })
})

/** Keys as the verify pass counts them: each found key adds one to its master. */
class Keys {
  private names: string[] = []

  add(keys: FoundKeys, records: RecordPage): void {
    keys.add(records, Array.from({length: records.count}, (_, i) => i))
    for (let i = 0; i < records.count; i++) {
      const start = records.starts[i] + 9
      this.names.push(records.blob.toString('latin1', start, start + records.blob.readUInt32BE(records.starts[i])))
    }
  }

  addNames(names: string[]): void {
    for (const name of names) this.names.push(name)
  }

  perMaster(): Map<string, number> {
    const counts = new Map<string, number>()
    for (const name of this.names) counts.set(masterOf(name), (counts.get(masterOf(name)) ?? 0) + 1)
    return counts
  }
}
