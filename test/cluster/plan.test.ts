import assert from 'node:assert/strict'
import {appendFileSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {Journal, openJournalsFor, readReshardJournal, unfinishedMoves} from '../../src/cluster/journal.js'
import {parseSlotRange, rangePlan, reshardTable, summarizeMoves} from '../../src/cluster/plan.js'
import {parseBytes} from '../../src/cluster/preflight.js'
import {parseWeight, rebalancePlan} from '../../src/cluster/rebalance-plan.js'
import {interleave} from '../../src/cluster/run.js'

describe('reshard table', () => {
  test('takes slots in proportion, exactly as many as asked, lowest slots first', () => {
    const moves = reshardTable([{id: 'a', slots: [[0, 99]]}, {id: 'b', slots: [[100, 399]]}], 'c', 10)
    // b owns 300 of 400: 7.5 -> 8 (tie on the remainder goes to the bigger source); a: 2.5 -> 2
    assert.deepEqual(moves.map((m) => `${m.from}:${m.slot}`), ['b:100', 'b:101', 'b:102', 'b:103', 'b:104', 'b:105', 'b:106', 'b:107', 'a:0', 'a:1'])
    // three equal sources, 1500 slots: 500 each, no slot short
    const three = reshardTable([{id: 'a', slots: [[0, 4095]]}, {id: 'b', slots: [[4096, 8191]]}, {id: 'd', slots: [[8192, 12287]]}, {id: 'e', slots: [[12288, 16383]]}], 'c', 1501)
    assert.equal(three.length, 1501)
    assert.ok(moves.every((m) => m.to === 'c'))
  })

  test('never plans more than asked, nor from the target itself', () => {
    assert.equal(reshardTable([{id: 'a', slots: [[0, 2]]}, {id: 'b', slots: [[3, 5]]}, {id: 'c', slots: [[6, 8]]}], 'd', 4).length, 4)
    assert.deepEqual(reshardTable([{id: 'c', slots: [[0, 5]]}], 'c', 3), [])
  })

  test('range plan keeps the slots owned by the sources', () => {
    const owner = (slot: number) => (slot < 10 ? 'a' : slot < 20 ? 'b' : undefined)
    assert.deepEqual(rangePlan(owner, [8, 12], 'b').map((m) => m.slot), [8, 9])
    assert.deepEqual(rangePlan(owner, [8, 12], 'c', ['b']).map((m) => m.slot), [10, 11, 12])
    assert.deepEqual(rangePlan(owner, [18, 25], 'a').map((m) => m.slot), [18, 19])
  })

  test('parses ranges, sizes and weights, refusing malformed ones', () => {
    assert.deepEqual(parseSlotRange('0-99'), [0, 99])
    assert.deepEqual(parseSlotRange('7'), [7, 7])
    for (const bad of ['9-1', '0-16384', 'a-b', '-1', '']) assert.equal(parseSlotRange(bad), undefined, bad)
    assert.equal(parseBytes('16mb'), 16 * 1024 * 1024)
    assert.equal(parseBytes('512K'), 512 * 1024)
    assert.equal(parseBytes('100'), 100)
    assert.equal(parseBytes('lots'), undefined)
    assert.deepEqual(parseWeight('abc=2'), ['abc', 2])
    assert.deepEqual(parseWeight('127.0.0.1:7000=0.5'), ['127.0.0.1:7000', 0.5])
    for (const bad of ['abc', '=2', 'abc=', 'abc=-1', 'abc=x']) assert.equal(parseWeight(bad), undefined, bad)
  })

  test('groups and interleaves moves by source and target', () => {
    const moves = [{slot: 1, from: 'a', to: 'c'}, {slot: 2, from: 'a', to: 'c'}, {slot: 3, from: 'b', to: 'c'}]
    assert.deepEqual(summarizeMoves(moves), [{from: 'a', to: 'c', slots: [1, 2]}, {from: 'b', to: 'c', slots: [3]}])
    assert.deepEqual(interleave(moves).map((m) => m.slot), [1, 3, 2])
  })
})

describe('rebalance plan', () => {
  const slots = (start: number, count: number): Array<[number, number]> => [[start, start + count - 1]]

  test('equal weights even out the masters', () => {
    const plan = rebalancePlan([{id: 'a', slots: slots(0, 10000)}, {id: 'b', slots: slots(10000, 6384)}, {id: 'c', slots: [], weight: 1}], {useEmptyMasters: true})
    assert.ok(plan.needed)
    const after = new Map([['a', 10000], ['b', 6384], ['c', 0]])
    for (const move of plan.moves) {
      after.set(move.from, after.get(move.from)! - 1)
      after.set(move.to, after.get(move.to)! + 1)
    }
    for (const count of after.values()) assert.ok(Math.abs(count - 16384 / 3) <= 2, `${[...after]}`)
    assert.equal(new Set(plan.moves.map((m) => m.slot)).size, plan.moves.length, 'no slot moves twice')
  })

  test('weights set the shares; weight 0 empties a master', () => {
    const plan = rebalancePlan([{id: 'a', slots: slots(0, 8192), weight: 0}, {id: 'b', slots: slots(8192, 8192), weight: 1}])
    assert.equal(plan.moves.length, 8192)
    assert.ok(plan.moves.every((m) => m.from === 'a' && m.to === 'b'))
    const weighted = rebalancePlan([{id: 'a', slots: slots(0, 8192), weight: 3}, {id: 'b', slots: slots(8192, 8192), weight: 1}])
    assert.equal(weighted.shares.find((s) => s.id === 'a')!.expected, 12288)
    assert.equal(weighted.moves.filter((m) => m.to === 'a').length, 4096)
  })

  test('within the threshold nothing moves; empty masters are left out unless asked', () => {
    const near = rebalancePlan([{id: 'a', slots: slots(0, 8242)}, {id: 'b', slots: slots(8242, 8142)}])
    assert.equal(near.needed, false)
    assert.deepEqual(near.moves, [])
    const withEmpty = rebalancePlan([{id: 'a', slots: slots(0, 8192)}, {id: 'b', slots: slots(8192, 8192)}, {id: 'c', slots: []}])
    assert.equal(withEmpty.needed, false)
  })
})

describe('journal', () => {
  test('records the plan and slot states, survives a torn last line, and is found for resume', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twlab-journal-'))
    try {
      const path = join(dir, 'one.jsonl')
      const journal = Journal.create({operation: 'reshard', seed: '127.0.0.1:7000', nodes: {n1: '127.0.0.1:7000', n2: '127.0.0.1:7001'},
        moves: [{slot: 1, from: 'n1', to: 'n2'}, {slot: 2, from: 'n1', to: 'n2'}, {slot: 3, from: 'n1', to: 'n2'}]}, path)
      journal.slot(1, 'open')
      journal.slot(1, 'done', {keys: 4})
      journal.slot(2, 'open')
      appendFileSync(path, '{"type":"slot","slot":3,"sta')
      const state = readReshardJournal(path)
      assert.deepEqual(unfinishedMoves(state).map((m) => m.slot), [2, 3])
      assert.equal(state.slots.get(1)?.keys, 4)
      assert.deepEqual(openJournalsFor(new Set(['n2']), dir).map((s) => s.path), [path])
      assert.deepEqual(openJournalsFor(new Set(['other']), dir), [])
      Journal.reopen(path).end('complete')
      assert.deepEqual(openJournalsFor(new Set(['n2']), dir), [])
      assert.throws(() => Journal.create({operation: 'reshard', seed: '', nodes: {}, moves: []}, path))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
