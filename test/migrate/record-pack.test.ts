// Packed records: the layout the source scripts write and the target scripts read, parsed and
// regrouped here without decoding payloads.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {keySlot} from '../../src/hashing/index.js'
import {expireAtOf, gatherRecords, indexRecords, keyOf, keySlotOf, packKeys, payloadLengthOf, payloadOf, VANISHED} from '../../src/migrate/copy/record-pack.js'

/** A record as the source script writes it (scripts.ts SCAN_READ). */
function record(key: Buffer, payload: Buffer | null, expireAt = 0): Buffer {
  const header = Buffer.alloc(9)
  header.writeUInt32BE(key.length, 0)
  if (!payload) {
    header.writeUInt32BE(VANISHED, 4)
    return Buffer.concat([header, key])
  }
  const expiry = Buffer.from(String(expireAt), 'latin1')
  header.writeUInt32BE(payload.length, 4)
  header.writeUInt8(expiry.length, 8)
  return Buffer.concat([header, key, expiry, payload])
}

describe('record-pack', () => {
  const binaryKey = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x7b, 0x7d])
  const records = [
    record(Buffer.from('user:{42}:name'), Buffer.from('payload-one'), 1_900_000_000_123),
    record(binaryKey, Buffer.from([0, 1, 2, 255]), 0),
    record(Buffer.from('gone'), null),
    record(Buffer.from(''), Buffer.alloc(0), 7),
  ]
  const page = indexRecords(Buffer.concat(records))

  test('finds every record and reads keys, payloads and expiries in place', () => {
    assert.equal(page.count, 4)
    assert.deepEqual(keyOf(page, 0), Buffer.from('user:{42}:name'))
    assert.deepEqual(payloadOf(page, 0), Buffer.from('payload-one'))
    assert.equal(expireAtOf(page, 0), 1_900_000_000_123)
    assert.deepEqual(keyOf(page, 1), binaryKey)
    assert.deepEqual(payloadOf(page, 1), Buffer.from([0, 1, 2, 255]))
    assert.equal(expireAtOf(page, 1), 0)
    assert.equal(payloadLengthOf(page, 2), VANISHED)
    assert.equal(payloadOf(page, 2), null)
    assert.deepEqual(keyOf(page, 3), Buffer.alloc(0))
    assert.equal(expireAtOf(page, 3), 7)
  })

  test('routes by the key bytes, hash tags included', () => {
    assert.equal(keySlotOf(page, 0), keySlot('user:{42}:name'))
    assert.equal(keySlotOf(page, 0), keySlot('42'))
    assert.equal(keySlotOf(page, 1), keySlot(binaryKey))
  })

  test('gathers chosen records byte for byte, in the order asked', () => {
    assert.deepEqual(gatherRecords(page, [3, 0]), Buffer.concat([records[3], records[0]]))
    assert.deepEqual(gatherRecords(page, []), Buffer.alloc(0))
  })

  test('refuses a blob cut mid-record', () => {
    const whole = Buffer.concat(records)
    assert.throws(() => indexRecords(whole.subarray(0, whole.length - 2)), /mid-record/)
  })

  test('packs keys as length and bytes', () => {
    assert.deepEqual(packKeys([Buffer.from('ab'), binaryKey]), Buffer.concat([
      Buffer.from([0, 0, 0, 2]), Buffer.from('ab'), Buffer.from([0, 0, 0, 6]), binaryKey,
    ]))
  })
})
