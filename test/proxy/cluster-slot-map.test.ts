// The pure parts of a cluster pool: reading CLUSTER SLOTS, MOVED/ASK, and which requests are
// cross-slot (answered CROSSSLOT without being sent).
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {CLUSTER_SLOTS, keySlot} from '../../src/hashing/index.js'
import {isCrossSlot} from '../../src/proxy/cluster/cluster-keys.js'
import {parseClusterSlots, parseRedirect} from '../../src/proxy/cluster/cluster-slot-map.js'

function resp(...args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
}

test('CLUSTER SLOTS: owners per slot, masters in slot order, replicas known, empty host = the node asked', () => {
  const reply = [
    [10923, 16383, ['127.0.0.1', 7002, 'id3'], ['127.0.0.1', 7005, 'id6']],
    [0, 5460, ['', 7000, 'id1']],
    [5461, 10922, ['127.0.0.1', 7001, 'id2'], ['127.0.0.1', 7004, 'id5']],
  ]
  const map = parseClusterSlots(reply, {host: '10.0.0.9', port: 7000})!
  assert.equal(map.uncovered, 0)
  assert.deepEqual(map.masters.map((m) => `${m.host}:${m.port}`), ['10.0.0.9:7000', '127.0.0.1:7001', '127.0.0.1:7002'])
  assert.deepEqual(map.nodes.map((m) => m.port), [7000, 7001, 7002, 7004, 7005])
  assert.equal(map.owners[0], '10.0.0.9:7000')
  assert.equal(map.owners[5461], '127.0.0.1:7001')
  assert.equal(map.owners[16383], '127.0.0.1:7002')
  const partial = parseClusterSlots([[0, 99, ['127.0.0.1', 7000]]], {host: '127.0.0.1', port: 7000})!
  assert.equal(partial.uncovered, CLUSTER_SLOTS - 100)
  assert.equal(parseClusterSlots('ERR', {host: '127.0.0.1', port: 7000}), undefined)
})

test('MOVED and ASK name the slot and the node; an empty host is the node that answered', () => {
  assert.deepEqual(parseRedirect('MOVED 3999 127.0.0.1:6381', {host: 'a', port: 1}), {slot: 3999, to: {host: '127.0.0.1', port: 6381}})
  assert.deepEqual(parseRedirect('ASK 12 :7002\r\n', {host: '10.1.1.1', port: 7000}), {slot: 12, to: {host: '10.1.1.1', port: 7002}})
  assert.equal(parseRedirect('MOVED 99999 127.0.0.1:6381', {host: 'a', port: 1}), undefined)
  assert.equal(parseRedirect('MOVED 1', {host: 'a', port: 1}), undefined)
})

test('cross-slot requests are recognised by each command\'s key positions', () => {
  assert.notEqual(keySlot('a'), keySlot('b'))
  assert.equal(isCrossSlot(resp('EVAL', 'return 1', '2', 'a', 'b')), true)
  assert.equal(isCrossSlot(resp('EVAL', 'return 1', '2', '{t}a', '{t}b')), false)
  assert.equal(isCrossSlot(resp('EVAL', 'return 1', '1', 'a', 'b')), false, 'b is an argument, not a key')
  assert.equal(isCrossSlot(resp('evalsha', 'abc', '0')), false)
  assert.equal(isCrossSlot(resp('SUNIONSTORE', 'd', 'a', 'b')), true)
  assert.equal(isCrossSlot(resp('sunionstore', '{x}d', '{x}a', '{x}b')), false)
  assert.equal(isCrossSlot(resp('RPOPLPUSH', 'a', 'b')), true)
  assert.equal(isCrossSlot(resp('SMOVE', '{s}a', '{s}b', 'member')), false, 'the member is not a key')
  assert.equal(isCrossSlot(resp('ZUNIONSTORE', 'd', '2', '{z}a', '{z}b', 'WEIGHTS', '1', '2')), true, 'the destination is in another slot')
  assert.equal(isCrossSlot(resp('ZUNIONSTORE', '{z}d', '2', '{z}a', '{z}b', 'WEIGHTS', '1', '2')), false)
  assert.equal(isCrossSlot(resp('ZUNION', '2', 'a', 'b')), true)
  assert.equal(isCrossSlot(resp('EXISTS', 'a', 'b')), true)
  assert.equal(isCrossSlot(resp('GET', 'a')), false)
  assert.equal(isCrossSlot(resp('SET', 'a', 'b')), false, 'a value is not a key')
  assert.equal(isCrossSlot(resp('HSET', 'a', 'b', 'c')), false)
})

test('MOVED to an IPv6 node: the last ":" starts the port', () => {
  assert.deepEqual(parseRedirect('MOVED 7 ::1:7001', {host: 'a', port: 1}), {slot: 7, to: {host: '::1', port: 7001}})
  assert.equal(parseRedirect('MOVED 7 127.0.0.1:0', {host: 'a', port: 1}), undefined)
})
