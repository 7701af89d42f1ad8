// The scanners are fed the stream in whatever pieces the socket delivers and go on where they
// stopped: however a message is cut, each of its bytes is examined once (the `examined` count),
// so a large message cut into many reads costs its length, not the square of it. Memory follows
// the bytes received: a declared argument count allocates nothing by itself. memcache get takes
// any number of keys its line holds.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {MemcacheReplyScanner} from '../../src/protocol/memcache-reply.js'
import {MemcacheRequestScanner} from '../../src/protocol/memcache-request.js'
import {RedisReplyScanner} from '../../src/protocol/redis-reply.js'
import {INCOMPLETE, INVALID, RedisRequestScanner} from '../../src/protocol/redis-request.js'

interface Scanner {
  scan(buf: Uint8Array, start: number, end: number): number
  examined: number
}

/**
 * Feeds `message` to the scanner in pieces of `size` bytes (each piece its own buffer, as reads
 * are) and returns the offset, in the last piece, where the scanner said the message ends.
 */
function feed(scanner: Scanner, message: Buffer, size: number): {end: number; pieces: number} {
  let pieces = 0
  for (let at = 0; at < message.length; at += size) {
    const piece = Buffer.from(message.subarray(at, Math.min(at + size, message.length)))
    pieces++
    const end = scanner.scan(piece, 0, piece.length)
    if (end === INVALID) return {end, pieces}
    if (end !== INCOMPLETE) return {end: at + end, pieces}
  }
  return {end: INCOMPLETE, pieces}
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`
}

/** An LRANGE-like reply of n elements, then the start of the next reply. */
function arrayReply(n: number): Buffer {
  const parts = [`*${n}\r\n`]
  for (let i = 0; i < n; i++) parts.push(bulk(String(i)))
  return Buffer.from(parts.join(''))
}

function delRequest(keys: number): Buffer {
  const parts = [`*${keys + 1}\r\n`, bulk('DEL')]
  for (let i = 0; i < keys; i++) parts.push(bulk(`key:${i}`))
  return Buffer.from(parts.join(''))
}

describe('scanners resume where they stopped', () => {
  test('a redis reply of 100,000 elements, a byte at a time or in reads: each byte examined once', () => {
    const reply = arrayReply(100_000)
    for (const size of [1, 7, 65536]) {
      const scanner = new RedisReplyScanner()
      const {end} = feed(scanner, reply, size)
      assert.equal(end, reply.length, `pieces of ${size}`)
      assert.equal(scanner.examined, reply.length, `pieces of ${size}: bytes examined`)
    }
  })

  test('nested and RESP3 replies end where they end, however they are cut', () => {
    const replies = ['+OK\r\n', '-ERR x\r\n', ':12\r\n', '$-1\r\n', '$0\r\n\r\n', '*-1\r\n', '*0\r\n', '*2\r\n*1\r\n$1\r\na\r\n:3\r\n',
      '%1\r\n+k\r\n*2\r\n_\r\n,1.5\r\n', '=8\r\ntxt:abcd\r\n', '~1\r\n#t\r\n', '>2\r\n+p\r\n(123\r\n', '!3\r\nerr\r\n']
    for (const text of replies) {
      const message = Buffer.from(text + '+NEXT\r\n')
      for (const size of [1, 2, 3, 100]) {
        assert.equal(feed(new RedisReplyScanner(), message, size).end, text.length, `${JSON.stringify(text)} in pieces of ${size}`)
      }
    }
    for (const bad of ['?x\r\n', '$-2\r\n', '$1\r\nab\r\n', '*x\r\n', '+OK\rx', '$\r\n']) {
      assert.equal(feed(new RedisReplyScanner(), Buffer.from(bad), 1).end, INVALID, JSON.stringify(bad))
    }
  })

  test('a 100,000-key DEL a byte at a time: each byte examined once, arguments found from the first byte', () => {
    const request = delRequest(100_000)
    const scanner = new RedisRequestScanner()
    const {end} = feed(scanner, request, 1)
    assert.equal(end, request.length)
    assert.equal(scanner.examined, request.length)
    assert.equal(scanner.argc, 100_001)
    assert.equal(scanner.cmd?.name, 'del')
    const last = request.subarray(scanner.argStart(100_000), scanner.argEnd(100_000)).toString()
    assert.equal(last, 'key:99999')
  })

  test('refusals are the same whole or cut: unknown command, arity, key length, EVAL numkeys', () => {
    const cases: Array<[string, string]> = [
      ['*2\r\n$4\r\nNOPE\r\n$1\r\na\r\n', 'unsupported command'],
      ['*1\r\n$3\r\nGET\r\n', 'wrong number of arguments'],
      ['*4\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n0\r\n$1\r\nk\r\n', 'EVAL needs numkeys > 0'],
      ['PING\r\n', 'inline or unknown request form'],
    ]
    for (const [text, reason] of cases) {
      for (const size of [1, 5, 1000]) {
        const scanner = new RedisRequestScanner()
        assert.equal(feed(scanner, Buffer.from(text), size).end, INVALID, `${JSON.stringify(text)} in pieces of ${size}`)
        assert.equal(scanner.reason, reason)
      }
    }
    const longKey = new RedisRequestScanner(10)
    assert.equal(feed(longKey, Buffer.from(`*2\r\n$3\r\nGET\r\n$10\r\n`), 1).end, INVALID)
    assert.equal(longKey.reason, 'key too long')
    const evalOk = Buffer.from('*4\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\nk\r\n')
    assert.equal(feed(new RedisRequestScanner(), evalOk, 1).end, evalOk.length)
  })

  test('*1048576 declared allocates nothing by itself: the argument table grows as arguments arrive', () => {
    const scanner = new RedisRequestScanner()
    assert.equal(scanner.scan(Buffer.from('*1048576\r\n'), 0, 10), INCOMPLETE)
    assert.ok(scanner.args.length <= 64, `argument table of ${scanner.args.length} entries`)
    assert.equal(scanner.scan(Buffer.from('$3\r\nDEL\r\n$1\r\na\r\n'), 0, 16), INCOMPLETE)
    assert.ok(scanner.args.length <= 64, `argument table of ${scanner.args.length} entries`)
  })

  test('memcache get of 10,000 keys is one request; its line a byte at a time is examined once', () => {
    const keys = Array.from({length: 10_000}, (_, i) => `key:${i}`)
    const request = Buffer.from(`get ${keys.join(' ')}\r\n`)
    for (const size of [request.length, 1]) {
      const scanner = new MemcacheRequestScanner()
      const {end} = feed(scanner, request, size)
      assert.equal(end, request.length, `pieces of ${size}: ${scanner.reason}`)
      assert.equal(scanner.examined, request.length)
      assert.equal(scanner.keyCount, 10_000)
      assert.equal(request.subarray(scanner.keys[2 * 9999], scanner.keys[2 * 9999 + 1]).toString(), 'key:9999')
    }
    const set = Buffer.from('set k 0 0 5 noreply\r\nhello\r\n')
    const scanner = new MemcacheRequestScanner()
    assert.equal(feed(scanner, set, 1).end, set.length)
    assert.equal(scanner.noreply, true)
  })

  test('memcache VALUE runs a byte at a time end at END, each byte examined once', () => {
    const parts: string[] = []
    for (let i = 0; i < 1000; i++) parts.push(`VALUE key:${i} 0 ${String(i).length}\r\n${i}\r\n`)
    const reply = Buffer.from(parts.join('') + 'END\r\n')
    for (const size of [1, 3, 65536]) {
      const scanner = new MemcacheReplyScanner()
      assert.equal(feed(scanner, Buffer.concat([reply, Buffer.from('STORED\r\n')]), size).end, reply.length)
      assert.equal(scanner.examined, reply.length)
    }
    assert.equal(feed(new MemcacheReplyScanner(), Buffer.from('STORED\n'), 1).end, INVALID)
  })
})
