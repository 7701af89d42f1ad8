// Verify's value digests on real servers (copy/value-digest-script.ts): a page read on one server
// with digests, compared by the compare script on another. Small hash-table sets and hashes travel
// as their payload and are checked member by member on the other side (their order is each
// server's own): every RDB string encoding of a member reads back (raw, 6-, 14- and 32-bit
// lengths, 8-, 16- and 32-bit integers), a one-member difference is flagged, and a set with an
// LZF-compressed member is never taken as equal by its members (left to the closer check).
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {script} from '../../src/migrate/copy/scripts.js'
import {indexRecords, keyOf} from '../../src/migrate/copy/record-pack.js'
import {startRedis, stopAll} from '../support/servers.js'

const INTS = ['0', '7', '-5', '127', '-128', '300', '-40000', '32767', '70000', '-2147483648', '2147483647', '4294967296']
/** Over 64 bytes (a hash holding one is a hash table) that LZF cannot shrink: hex digests. */
const LONG_VALUE = createHash('sha256').update('a').digest('hex') + createHash('sha1').update('b').digest('hex')

/** Keys written on both servers, members in opposite orders: [key, members on source, members on target]. */
function cases(): Array<[string, 'set' | 'hash', string[], string[]]> {
  const hundred = Array.from({length: 100}, (_, i) => `m${i}`)
  return [
    ['same:strings', 'set', ['x', 'member-1', 'abc'], ['abc', 'member-1', 'x']],
    ['same:ints', 'set', [...INTS, 'x'], ['x', ...INTS].reverse()],
    ['same:hundred', 'set', hundred, [...hundred].reverse()],
    ['same:hash', 'hash', ['n', '12', 'name', LONG_VALUE, '-3', 'neg'], ['name', LONG_VALUE, '-3', 'neg', 'n', '12']],
    ['differs:member', 'set', ['x', 'y', 'z'], ['x', 'y', 'q']],
    ['differs:count', 'set', ['x', 'y', 'z'], ['x', 'y']],
    ['differs:int', 'set', ['x', '70000'], ['x', '70001']],
    ['differs:value', 'hash', ['a', LONG_VALUE, 'b', '1'], ['a', LONG_VALUE, 'b', '2']],
    ['differs:lzf', 'set', ['x', 'y', 'a'.repeat(100)], ['x', 'y', `${'a'.repeat(99)}b`]],
  ]
}

async function write(client: Redis, key: string, kind: 'set' | 'hash', items: string[]): Promise<void> {
  if (kind === 'set') await client.sadd(key, ...items)
  else await client.hset(key, ...items)
}

describe('verify digests of small hash-table sets and hashes', () => {
  let source: Redis
  let target: Redis

  before(async () => {
    const [a, b] = [await startRedis(), await startRedis()]
    source = new Redis({host: '127.0.0.1', port: a.port})
    target = new Redis({host: '127.0.0.1', port: b.port})
    for (const [key, kind, mine, theirs] of cases()) {
      await write(source, key, kind, mine)
      await write(target, key, kind, theirs)
    }
  })

  after(async () => {
    source?.disconnect()
    target?.disconnect()
    await stopAll()
  })

  test('equal ones match whatever their order; a difference is flagged', async () => {
    for (const [key] of cases()) {
      const encoding = String(await source.object('ENCODING', key))
      assert.equal(encoding, 'hashtable', `${key} is ${encoding}: the case needs a hash-table value`)
    }
    const [cursor, blob] = await script(source, 'twlabScanDigest7')(0, '0', 1000) as [Buffer, Buffer]
    assert.equal(cursor.toString(), '0')
    const page = indexRecords(blob)
    const reply = await script(target, 'twlabComparePacked')(0, 1000, blob, '1') as unknown[]
    const flagged = new Map<string, string>()
    for (let f = 1; f + 1 < reply.length; f += 2) flagged.set(keyOf(page, Number(reply[f]) - 1).toString(), String(reply[f + 1]))
    const expected = new Map(cases().filter(([key]) => !key.startsWith('same')).map(([key]) => [key, 'value']))
    assert.deepEqual(flagged, expected)
  })
})
