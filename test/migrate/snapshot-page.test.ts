// A snapshot's records packed into a page (changes/snapshot-loader.ts): each record reads back
// through record-pack.ts as the key, the absolute expiry and the RESTORE payload DUMP would give.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {packSnapshotPage} from '../../src/migrate/changes/snapshot-loader.js'
import {expireAtOf, indexRecords, keyOf, payloadOf} from '../../src/migrate/copy/record-pack.js'
import {restorePayload, type KeyRecord} from '../../src/protocol/rdb/index.js'

function keyRecord(key: Buffer, valueBytes: Buffer, expireAtMs?: number): KeyRecord {
  return {kind: 'key', db: 0, key, typeByte: 0, type: 'string', expireAtMs, valueBytes, offset: 0}
}

describe('packSnapshotPage', () => {
  test('keys, expiries and payloads read back as written, small and large values alike', () => {
    const records = [
      keyRecord(Buffer.from('user:{42}:name'), Buffer.from([5, 104, 101, 108, 108, 111]), 1_900_000_000_123),
      keyRecord(Buffer.from([0x00, 0xff, 0x0d, 0x0a]), Buffer.alloc(300, 7)),
      keyRecord(Buffer.alloc(100, 0x61), Buffer.from([0]), 9),
      keyRecord(Buffer.from(''), Buffer.alloc(0), 0),
    ]
    const packed = packSnapshotPage(records, 11)
    const page = indexRecords(packed.blob.subarray(0, packed.starts[records.length]))
    assert.equal(page.count, records.length)
    for (const [i, r] of records.entries()) {
      assert.deepEqual(keyOf(page, i), r.key)
      assert.equal(expireAtOf(page, i), r.expireAtMs ?? 0)
      assert.deepEqual(payloadOf(page, i), restorePayload(r.typeByte, r.valueBytes, 11))
    }
  })
})
