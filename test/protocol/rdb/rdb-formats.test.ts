// The RDB reader on hand-built files: the encodings of older servers, the hash field TTL types of
// Redis 7.4+/8 and Valkey 9, module values refused by name, the length widths, expiries in seconds,
// and the errors: checksum, unknown type, a record over the size cap, truncation.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {
  RdbError, RdbParser, crc64, decodeValue, moduleName, readRdb, restorePayload, splitDumpPayload, type KeyRecord, type RdbRecord,
} from '../../../src/protocol/rdb/index.js'
import {keyValue, len, listpack, moduleId, rdbFile, str, u64le, ziplist, zipmap} from './fixture-writer.js'

async function records(file: Buffer): Promise<RdbRecord[]> {
  const out: RdbRecord[] = []
  for await (const record of readRdb([file])) out.push(record)
  return out
}

async function onlyKey(file: Buffer): Promise<KeyRecord> {
  const keys = (await records(file)).filter((r): r is KeyRecord => r.kind === 'key')
  assert.equal(keys.length, 1)
  return keys[0]
}

async function decodeOne(type: number, value: Buffer, header?: string) {
  const key = await onlyKey(rdbFile([keyValue(type, 'k', value)], header))
  return decodeValue(key.typeByte, key.valueBytes, {flavor: header?.startsWith('VALKEY') ? 'valkey' : 'redis'})
}

const text = (buffers: Buffer[]) => buffers.map((b) => b.toString())

describe('RDB formats', () => {
  test('CRC-64 (Jones) check value and DUMP payload round trip', () => {
    assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can)
    const payload = restorePayload(0, str('hello'), 10)
    assert.deepEqual(splitDumpPayload(payload), {typeByte: 0, valueBytes: str('hello'), rdbVersion: 10})
    payload[3] ^= 1
    assert.equal(splitDumpPayload(payload), undefined)
  })

  test('lengths of every width, and expiries in seconds and ms', async () => {
    const file = rdbFile([
      Buffer.from([254]), len(3, 64),
      Buffer.from([253]), Buffer.from([0x10, 0x27, 0, 0]), keyValue(0, 'secs', str('v')),
      Buffer.from([252]), u64le(1_700_000_000_123), keyValue(1, 'list', Buffer.concat([len(2, 32), str('a'), str('b')])),
      keyValue(0, 'long', Buffer.concat([len(300, 14), Buffer.alloc(300, 97)])),
    ])
    const all = await records(file)
    assert.deepEqual(all[1], {kind: 'select-db', db: 3})
    const keys = all.filter((r): r is KeyRecord => r.kind === 'key')
    assert.deepEqual(keys.map((k) => [k.db, k.key.toString(), k.expireAtMs]), [[3, 'secs', 10_000_000], [3, 'list', 1_700_000_000_123], [3, 'long', undefined]])
    assert.deepEqual(decodeValue(keys[1].typeByte, keys[1].valueBytes), {type: 'list', elements: [Buffer.from('a'), Buffer.from('b')]})
  })

  test('ziplist list, hash and zset; zipmap hash; quicklist of ziplists; text scores', async () => {
    assert.deepEqual(text(((await decodeOne(10, str(ziplist(['a', 5, -300, 'bc'])))) as {elements: Buffer[]}).elements), ['a', '5', '-300', 'bc'])
    const hash = await decodeOne(13, str(ziplist(['f', 'v', 'n', 7])))
    assert.deepEqual(hash.type === 'hash' && hash.entries.map((e) => [e.field.toString(), e.value.toString()]), [['f', 'v'], ['n', '7']])
    const zset = await decodeOne(12, str(ziplist(['m', '1.5', 'n', 3])))
    assert.deepEqual(zset.type === 'zset' && zset.entries.map((e) => [e.member.toString(), e.score]), [['m', 1.5], ['n', 3]])
    const old = await decodeOne(9, str(zipmap([['a', 'xy'], ['b', 'z']])))
    assert.deepEqual(old.type === 'hash' && old.entries.map((e) => [e.field.toString(), e.value.toString()]), [['a', 'xy'], ['b', 'z']])
    const quick = await decodeOne(14, Buffer.concat([len(2), str(ziplist(['a', 'b'])), str(ziplist([1]))]))
    assert.deepEqual(text((quick as {elements: Buffer[]}).elements), ['a', 'b', '1'])
    const scores = Buffer.concat([len(3), str('a'), Buffer.from([3]), Buffer.from('2.5'), str('b'), Buffer.from([254]), str('c'), Buffer.from([255])])
    const v1 = await decodeOne(3, scores)
    assert.deepEqual(v1.type === 'zset' && v1.entries.map((e) => e.score), [2.5, Infinity, -Infinity])
  })

  test('hash field TTLs: Redis 7.4+ listpack-ex and metadata, Valkey 9 HASH_2', async () => {
    const lpex = await decodeOne(25, Buffer.concat([u64le(5000), str(listpack(['f', 'v', 5000, 'g', 'w', 0]))]))
    assert.deepEqual(lpex.type === 'hash' && lpex.entries.map((e) => [e.field.toString(), e.expireAtMs]), [['f', 5000], ['g', undefined]])
    // metadata: TTLs relative to the smallest expiry, plus one; 0 = none
    const meta = await decodeOne(24, Buffer.concat([u64le(1_000_000), len(2), len(11), str('f'), str('v'), len(0), str('g'), str('w')]))
    assert.deepEqual(meta.type === 'hash' && meta.entries.map((e) => [e.field.toString(), e.expireAtMs]), [['f', 1_000_010], ['g', undefined]])
    const valkey = await decodeOne(22, Buffer.concat([len(2), str('f'), str('v'), u64le(-1), str('g'), str('w'), u64le(123_456)]), 'VALKEY080')
    assert.deepEqual(valkey.type === 'hash' && valkey.entries.map((e) => [e.field.toString(), e.expireAtMs]), [['f', undefined], ['g', 123_456]])
  })

  test('64-bit listpack integers and big stream IDs survive exactly', async () => {
    const set = await decodeOne(20, str(listpack([9_223_372_036_854_775_807n, 'x', 3])))
    assert.deepEqual(text((set as {members: Buffer[]}).members), ['9223372036854775807', 'x', '3'])
  })

  test('a module value is refused with a sentence naming the key and the module', async () => {
    assert.equal(moduleName(moduleId('ReJSON-RL', 3)), 'ReJSON-RL')
    const file = rdbFile([Buffer.from([7]), str('doc:1'), Buffer.from([0x81]), u64le(0).fill(0), Buffer.alloc(0)])
    const id = moduleId('ReJSON-RL', 3)
    file.writeBigUInt64BE(id, 9 + 1 + 6 + 1)
    await assert.rejects(records(file), (error: unknown) => {
      assert.ok(error instanceof RdbError)
      assert.match(error.message, /key doc:1 in db 0 holds a value of module type 'ReJSON-RL'/)
      return true
    })
  })

  test('errors name the offset and what was expected', async () => {
    const good = rdbFile([keyValue(0, 'k', str('v'))])
    const corrupt = Buffer.from(good)
    corrupt[corrupt.length - 1] ^= 0xff
    await assert.rejects(records(corrupt), /^RdbError: RDB checksum 0x[0-9a-f]+ does not match at byte 15: expected checksum/)
    await assert.rejects(records(rdbFile([keyValue(40, 'k', str('v'))])), /value type 40 is unknown .* at byte 9/)
    await assert.rejects(records(good.subarray(0, 13)), /RDB data ends early at byte 13: expected 1 more byte of the string value of a key\./)
    await assert.rejects(records(Buffer.from('REDIS0099')), /header "REDIS0099" is not a known format at byte 0/)
    const parser = new RdbParser({maxValueBytes: 1000})
    parser.append(rdbFile([keyValue(0, 'k', Buffer.concat([len(5000, 32), Buffer.alloc(100)]))]).subarray(0, 120))
    assert.equal(parser.next()?.kind, 'header')
    assert.throws(() => parser.next(), /a record needs \d+ bytes at byte 9: expected a record of at most 1000 bytes/)
  })

  test('a record held back for more bytes is parsed with what arrived once the stream goes quiet', () => {
    // a big string last: after its first part the parser waits for twice the bytes it has, more
    // than the rest of the RDB holds; a quiet replication stream would never bring them
    const file = rdbFile([keyValue(0, 'small', str('v')), keyValue(0, 'big', str(Buffer.alloc(100_000, 'x')))])
    const parser = new RdbParser()
    parser.append(file.subarray(0, 60_000))
    const kinds: string[] = []
    for (let record = parser.next(); record; record = parser.next()) kinds.push(record.kind)
    assert.deepEqual(kinds, ['header', 'key'])
    assert.equal(parser.retryNow(), false, 'the string read itself still lacks bytes')
    parser.append(file.subarray(60_000))
    assert.equal(parser.next(), null, 'held back: fewer than twice the bytes pending have arrived')
    assert.equal(parser.retryNow(), true)
    const big = parser.next()
    assert.ok(big?.kind === 'key' && big.key.toString() === 'big' && big.valueBytes.length > 100_000)
    assert.equal(parser.next()?.kind, 'end')
    assert.equal(parser.retryNow(), false)
  })

  test('bytes after the RDB are handed back (a replication stream goes on there)', async () => {
    const file = Buffer.concat([rdbFile([keyValue(0, 'k', str('v'))]), Buffer.from('*1\r\n$4\r\nPING\r\n')])
    const end = (await records(file)).at(-1)!
    assert.ok(end.kind === 'end')
    assert.equal(end.trailing.toString(), '*1\r\n$4\r\nPING\r\n')
    assert.equal(end.size, file.length - 14)
  })
})
