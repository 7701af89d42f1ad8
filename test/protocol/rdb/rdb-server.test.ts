// The RDB reader against files written by the system's redis-server: every key read back equals
// what the server answers (TYPE, value, PTTL), and the RESTORE payload built from the file's bytes
// equals the server's own DUMP of the key, byte for byte.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {
  decodeValue, readRdb, rdbFileSource, restorePayload, type KeyRecord, type RdbRecord, type RdbValue,
} from '../../../src/protocol/rdb/index.js'
import {startRedis, stopAll, type RunningServer} from '../../support/servers.js'
import {FUNCTION_LIBRARY, fillEveryEncoding, type Dataset} from './dataset.js'
import {serverValue} from './server-view.js'

async function collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<RdbRecord[]> {
  const records: RdbRecord[] = []
  for await (const record of readRdb(chunks)) records.push(record)
  return records
}

function* slices(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

/** Sets and hashes in a canonical order; stream fields the server view cannot see dropped. */
function normalise(value: RdbValue): RdbValue {
  switch (value.type) {
    case 'set': return {...value, members: [...value.members].sort(Buffer.compare)}
    // a skiplist is written from its tail
    case 'zset': return {...value, entries: [...value.entries].sort((a, b) => a.score - b.score || Buffer.compare(a.member, b.member))}
    case 'hash': return {...value, entries: value.entries.map(({field, value}) => ({field, value})).sort((a, b) => Buffer.compare(a.field, b.field))}
    case 'stream': return {
      ...value, firstId: undefined,
      groups: value.groups.map((g) => ({
        ...g,
        pending: g.pending.map((p) => ({...p, deliveryTimeMs: 0})),
        consumers: g.consumers.map((c) => ({name: c.name, seenTimeMs: 0, pending: c.pending})),
      })),
    }
    default: return value
  }
}

describe('RDB reader on redis-server 7.0 files', () => {
  let server: RunningServer
  let client: Redis
  let dataset: Dataset
  let file: Buffer
  let records: RdbRecord[]
  let keys: KeyRecord[]

  before(async () => {
    server = await startRedis({args: ['--enable-debug-command', 'yes']})
    client = new Redis({port: server.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1})
    await client.connect()
    dataset = await fillEveryEncoding(client)
    await client.call('SAVE')
    file = readFileSync(join(server.dir, 'dump.rdb'))
    records = await collect(rdbFileSource(join(server.dir, 'dump.rdb')))
    keys = records.filter((r): r is KeyRecord => r.kind === 'key')
  })

  after(async () => {
    client?.disconnect()
    await stopAll()
  })

  test('the header, aux fields, databases, function library and checksum are reported', () => {
    assert.deepEqual(records[0], {kind: 'header', version: 10, flavor: 'redis'})
    const aux = new Map(records.flatMap((r) => (r.kind === 'aux' ? [[r.name, r.value.toString()]] : [])))
    assert.match(aux.get('redis-ver') ?? '', /^7\.0\./)
    // integer-encoded aux values come out as their decimal text
    assert.equal(aux.get('redis-bits'), '64')
    assert.ok(Math.abs(Number(aux.get('ctime')) - Date.now() / 1000) < 600)
    assert.ok(Number(aux.get('used-mem')) > 0)
    assert.deepEqual(records.filter((r) => r.kind === 'select-db').map((r) => (r as {db: number}).db), dataset.dbs)
    const functions = records.filter((r) => r.kind === 'function')
    assert.equal(functions.length, 1)
    assert.equal((functions[0] as {code: Buffer}).code.toString(), FUNCTION_LIBRARY)
    const end = records.at(-1)!
    assert.equal(end.kind, 'end')
    assert.ok(end.kind === 'end' && end.checksum !== undefined && end.size === file.length)
  })

  test('every encoding the server writes is present', () => {
    const typeBytes = new Set(keys.map((k) => k.typeByte))
    // string, quicklist 2, hashtable set, intset, listpack zset, skiplist zset, hashtable hash, listpack hash, stream v2
    for (const type of [0, 18, 2, 11, 17, 5, 4, 16, 19]) assert.ok(typeBytes.has(type), `type ${type} is in the file`)
  })

  test('every key equals what the server says: type, value, expiry, DUMP payload', async () => {
    let compared = 0
    for (const record of keys) {
      await client.select(record.db)
      const name = record.key.toString('latin1')
      assert.equal(await client.type(record.key), record.type, `TYPE of ${name}`)
      const decoded = decodeValue(record.typeByte, record.valueBytes, {offset: record.offset})
      assert.deepEqual(normalise(decoded), normalise(await serverValue(client, record.key, record.type)), `value of ${name}`)
      const pttl = await client.pttl(record.key)
      if (record.expireAtMs === undefined) assert.equal(pttl, -1, `no expiry on ${name}`)
      else assert.ok(Math.abs(record.expireAtMs - Date.now() - pttl) < 5_000, `expiry of ${name}: ${record.expireAtMs - Date.now()} vs ${pttl}`)
      const dump = await client.dumpBuffer(record.key)
      assert.deepEqual(restorePayload(record.typeByte, record.valueBytes, 10), dump, `DUMP of ${name}`)
      compared++
    }
    assert.equal(compared, keys.length)
    const expiring = keys.filter((k) => k.expireAtMs !== undefined).map((k) => k.key.toString('latin1')).sort()
    assert.deepEqual(expiring, [...dataset.expiring].sort())
    let serverKeys = 0
    for (const db of dataset.dbs) {
      await client.select(db)
      serverKeys += await client.dbsize()
    }
    assert.equal(keys.length, serverKeys, 'every key of every database is read')
  })

  test('a RESTORE of the built payload recreates the key', async () => {
    await client.select(0)
    for (const record of keys.filter((k) => k.db === 0)) {
      const copy = Buffer.concat([Buffer.from('copy:'), record.key])
      await client.call('RESTORE', copy, '0', restorePayload(record.typeByte, record.valueBytes, 10))
      assert.deepEqual(await serverValue(client, copy, record.type), await serverValue(client, record.key, record.type))
      await client.del(copy)
    }
  })

  test('the same records come out whatever the chunk sizes', async () => {
    const strip = (rs: RdbRecord[]) => JSON.stringify(rs.map((r) => (r.kind === 'end' ? {...r, trailing: null} : r)),
      (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
    const whole = strip(records)
    for (const size of [1, 7, 4096]) assert.equal(strip(await collect(slices(file, size))), whole, `chunks of ${size}`)
  })

  test('a file without compression and without checksum', async () => {
    const unchecked = await startRedis({args: ['--rdbcompression', 'no', '--rdbchecksum', 'no']})
    const other = new Redis({port: unchecked.port, host: '127.0.0.1', maxRetriesPerRequest: 1})
    await other.set('str:lzf', 'abcabcabc'.repeat(50))
    await other.call('SAVE')
    other.disconnect()
    const plain = await collect(rdbFileSource(join(unchecked.dir, 'dump.rdb')))
    const end = plain.at(-1)!
    assert.ok(end.kind === 'end' && end.checksum === undefined)
    const lzf = plain.find((r): r is KeyRecord => r.kind === 'key' && r.key.toString() === 'str:lzf')!
    assert.equal(decodeValue(lzf.typeByte, lzf.valueBytes).type, 'string')
    assert.equal(lzf.valueBytes.length, 2 + 450)
  })
})
