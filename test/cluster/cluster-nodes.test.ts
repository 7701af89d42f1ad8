import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {countSlots, formatRanges, parseClusterNodes, rangesOf, slotsOf} from '../../src/targets/cluster-nodes.js'

const SAMPLE = [
  'a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [5461->-b2]',
  'b2 127.0.0.1:7001@17001 master - 0 1700000000000 2 connected 5461-10922 [93-<-a1]',
  'c3 127.0.0.1:7002@17002,node-c master,fail? - 0 1700000000000 3 disconnected 10923-16383',
  'd4 127.0.0.1:7003@17003 slave a1 0 1700000000000 1 connected',
  'e5 :7004@17004 master,noaddr - 0 0 0 disconnected',
  '',
].join('\n')

describe('CLUSTER NODES parser', () => {
  const nodes = parseClusterNodes(SAMPLE)

  test('reads ids, addresses, roles and masters', () => {
    assert.deepEqual(nodes.map((node) => [node.id, node.address, node.role, node.masterId ?? '-']), [
      ['a1', '127.0.0.1:7000', 'master', '-'],
      ['b2', '127.0.0.1:7001', 'master', '-'],
      ['c3', '127.0.0.1:7002', 'master', '-'],
      ['d4', '127.0.0.1:7003', 'replica', 'a1'],
      ['e5', '127.0.0.1:7004', 'master', '-'],
    ])
    assert.equal(nodes[0].myself, true)
    assert.deepEqual(nodes.map((node) => node.failing), [false, false, true, false, true])
    assert.equal(nodes[2].linkState, 'disconnected')
  })

  test('reads slot ranges and migrating/importing states', () => {
    assert.deepEqual(nodes[0].slots, [[0, 5460]])
    assert.deepEqual([...nodes[0].migrating], [[5461, 'b2']])
    assert.deepEqual([...nodes[1].importing], [[93, 'a1']])
    assert.equal(countSlots(nodes[1].slots), 5462)
    assert.deepEqual(nodes[3].slots, [])
  })

  test('slot range helpers round-trip', () => {
    assert.deepEqual(rangesOf([5, 1, 2, 3, 9, 10, 2]), [[1, 3], [5, 5], [9, 10]])
    assert.deepEqual(slotsOf([[9, 10], [1, 3]]), [1, 2, 3, 9, 10])
    assert.equal(formatRanges([[1, 3], [5, 5]]), '1-3,5')
    assert.equal(formatRanges([]), '-')
  })
})
