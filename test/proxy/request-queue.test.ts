// The request FIFO behind a client's reply order and a server connection's in-flight list: order
// kept through the array reuse, the compaction of a queue that never empties, and takeAll.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {Request} from '../../src/proxy/client/request.js'
import {RequestQueue} from '../../src/proxy/client/request-queue.js'

const request = (n: number) => new Request(null, Buffer.from(String(n)))
const label = (r: Request | undefined) => (r === undefined ? undefined : Buffer.from(r.data).toString())

describe('RequestQueue', () => {
  test('first in, first out, across many fill-and-empty cycles', () => {
    const queue = new RequestQueue()
    let next = 0
    let expected = 0
    for (let cycle = 0; cycle < 200; cycle++) {
      const size = (cycle % 7) + 1
      for (let i = 0; i < size; i++) queue.push(request(next++))
      assert.equal(queue.length, size)
      assert.equal(label(queue.at(size - 1)), String(next - 1))
      assert.equal(queue.at(size), undefined)
      while (queue.length > 0) {
        assert.equal(label(queue.peek()), String(expected))
        assert.equal(label(queue.shift()), String(expected++))
      }
      assert.equal(queue.peek(), undefined)
      assert.equal(queue.shift(), undefined)
    }
    assert.equal(expected, next)
  })

  test('a queue that never empties keeps its order through compaction', () => {
    const queue = new RequestQueue()
    let next = 0
    let expected = 0
    for (let i = 0; i < 10; i++) queue.push(request(next++))
    // always 10 behind: the consumed front passes the compaction threshold many times
    for (let step = 0; step < 5000; step++) {
      queue.push(request(next++))
      assert.equal(label(queue.shift()), String(expected++))
      assert.equal(queue.length, 10)
    }
    assert.deepEqual(queue.toArray().map(label), Array.from({length: 10}, (_, i) => String(expected + i)))
  })

  test('takeAll returns what is queued, oldest first, and leaves the queue empty', () => {
    const queue = new RequestQueue()
    for (let i = 0; i < 5; i++) queue.push(request(i))
    queue.shift()
    assert.deepEqual(queue.takeAll().map(label), ['1', '2', '3', '4'])
    assert.equal(queue.length, 0)
    queue.push(request(9))
    assert.equal(label(queue.shift()), '9')
  })
})
