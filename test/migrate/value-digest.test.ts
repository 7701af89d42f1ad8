// Verify's value digests on real servers (copy/value-digest-script.ts): a page read on one server
// with digests, compared by the compare script on another, its answers read as verify reads them
// (compareFlag). Small hash-table sets and hashes travel as their payload; the other side sends
// back its own when the order differs, and the members of both are compared: every RDB string
// encoding of a member (raw, 6-, 14- and 32-bit lengths, 8-, 16- and 32-bit integers, LZF), and
// a one-member difference is flagged. The cheaper reads of the compare script (GET for a plain
// string, the DUMP otherwise) tell missing keys, other types and other values apart.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {script} from '../../src/migrate/copy/scripts.js'
import {indexRecords, keyOf} from '../../src/migrate/copy/record-pack.js'
import {compareFlag} from '../../src/migrate/target/target-batch.js'
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
    ['same:lzf', 'set', ['x', 'y', 'a'.repeat(100)], ['a'.repeat(100), 'y', 'x']],
    ['differs:lzf', 'set', ['x', 'y', 'a'.repeat(100)], ['x', 'y', `${'a'.repeat(99)}b`]],
  ]
}

async function write(client: Redis, key: string, kind: 'set' | 'hash', items: string[]): Promise<void> {
  if (kind === 'set') await client.sadd(key, ...items)
  else await client.hset(key, ...items)
}

/** Two servers to read a page on (the source) and compare it on (the target). */
async function serverPair(): Promise<{source: Redis; target: Redis}> {
  const [a, b] = [await startRedis(), await startRedis()]
  return {source: new Redis({host: '127.0.0.1', port: a.port}), target: new Redis({host: '127.0.0.1', port: b.port})}
}

/** The source's keys (one page) compared on the target, read as verify reads the answers: key -> flag. */
async function flaggedOnTarget(source: Redis, target: Redis): Promise<Map<string, string>> {
  const [cursor, blob] = await script(source, 'twlabScanDigest7')(0, '0', 1000) as [Buffer, Buffer]
  assert.equal(cursor.toString(), '0')
  const page = indexRecords(blob)
  const reply = await script(target, 'twlabComparePacked')(0, 1000, blob, '1') as unknown[]
  const flagged = new Map<string, string>()
  for (let f = 1; f + 1 < reply.length; f += 2) {
    const i = Number(reply[f]) - 1
    const flag = compareFlag(page, i, reply[f + 1])
    if (flag) flagged.set(keyOf(page, i).toString(), flag)
  }
  return flagged
}

describe('verify digests of small hash-table sets and hashes', () => {
  let source: Redis
  let target: Redis

  before(async () => {
    const pair = await serverPair()
    source = pair.source
    target = pair.target
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
    const flagged = await flaggedOnTarget(source, target)
    const expected = new Map(cases().filter(([key]) => !key.startsWith('same')).map(([key]) => [key, 'value']))
    assert.deepEqual(flagged, expected)
  })
})

/** Keys of other kinds: [key, written on the source, written on the target (undefined: absent), flagged as]. */
type Write = (client: Redis, key: string) => Promise<unknown>
function otherCases(): Array<[string, Write, Write | undefined, string | undefined]> {
  const text = (value: string): Write => (c, k) => c.set(k, value)
  const set = (...members: string[]): Write => (c, k) => c.sadd(k, ...members)
  const list = (...items: string[]): Write => (c, k) => c.rpush(k, ...items)
  const long = 'compressible-'.repeat(20)
  return [
    ['string:same', text('value-1'), text('value-1'), undefined],
    ['string:int', text('-40000'), text('-40000'), undefined],
    ['string:lzf-same', text(long), text(long), undefined],
    ['string:differs', text('value-1'), text('value-2'), 'value'],
    ['string:lzf-differs', text(long), text(`${long}!`), 'value'],
    ['string:missing', text('value-1'), undefined, 'missing'],
    ['string:other-type', text('value-1'), list('value-1'), 'value'],
    ['set:missing', set('x', 'y', 'member-1'), undefined, 'missing'],
    ['set:other-type', set('x', 'y', 'member-1'), text('x'), 'value'],
    ['list:same', list('a', '1', 'c'), list('a', '1', 'c'), undefined],
    ['list:missing', list('a', '1', 'c'), undefined, 'missing'],
  ]
}

describe('the compare script reads each key as cheaply as its digest allows', () => {
  let source: Redis
  let target: Redis

  before(async () => {
    const pair = await serverPair()
    source = pair.source
    target = pair.target
    for (const [key, mine, theirs] of otherCases()) {
      await mine(source, key)
      if (theirs) await theirs(target, key)
    }
  })

  after(async () => {
    source?.disconnect()
    target?.disconnect()
    await stopAll()
  })

  test('strings against GET, the rest by DUMP: missing keys, other types and values told apart', async () => {
    assert.equal(String(await source.object('ENCODING', 'set:missing')), 'hashtable')
    const flagged = await flaggedOnTarget(source, target)
    const expected = new Map(otherCases().filter(([, , , why]) => why).map(([key, , , why]) => [key, why as string]))
    assert.deepEqual(flagged, expected)
  })
})
