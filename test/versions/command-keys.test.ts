// Which published commands `command_keys: backend` routes, from COMMAND entries as Valkey 9.1.2
// and Redis 8.0.2 send them (RESP2 flat maps): fixed key positions only.
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {commonCommands, keyPositions} from '../../src/proxy/client/command-keys.js'
import {isPublishedKey, publishedKeyIndexes} from '../../src/protocol/redis-commands.js'

const rangeSpec = (index: number, lastkey: number, keystep = 1, limit = 0, flags = ['RW']) =>
  ['flags', flags, 'begin_search', ['type', 'index', 'spec', ['index', index]], 'find_keys', ['type', 'range', 'spec', ['lastkey', lastkey, 'keystep', keystep, 'limit', limit]]]

test('HGETEX: one key at 1 (FIELDS numfields field... are fields)', () => {
  const keys = keyPositions(['hgetex', -5, ['write', 'fast'], 1, 1, 1, [], [], [rangeSpec(1, 0)], []])
  assert.deepEqual(keys, {arity: -5, ranges: [{begin: 1, lastKey: 0, step: 1, limit: 0}]})
  assert.deepEqual(publishedKeyIndexes(keys!, 8), [1])
  assert.equal(isPublishedKey(keys!, 5, 8), false)
})

test('MSETEX (keynum search, movable keys) and CLUSTERSCAN (its cursor is not_key) are not routed', () => {
  const keynum = ['flags', ['OW'], 'begin_search', ['type', 'index', 'spec', ['index', 1]], 'find_keys', ['type', 'keynum', 'spec', ['keynumidx', 0, 'firstkey', 1, 'keystep', 2]]]
  assert.equal(keyPositions(['msetex', -4, ['write', 'denyoom', 'movablekeys'], 0, 0, 0, [], [], [keynum], []]), undefined)
  assert.equal(keyPositions(['clusterscan', -2, ['readonly'], 1, 1, 1, [], [], [rangeSpec(1, 0, 1, 0, ['not_key'])], []]), undefined)
  assert.equal(keyPositions(['waitaof', 4, ['blocking'], 0, 0, 0, [], [], [], []]), undefined)
})

test('a module command without key specs (Redis 8 vector sets) by its first, last and step', () => {
  assert.deepEqual(keyPositions(['VADD', -1, ['write', 'denyoom', 'module'], 1, 1, 1, [], [], [], []]), {arity: -1, ranges: [{begin: 1, lastKey: 0, step: 1, limit: 0}]})
})

test('several keys to the end (lastkey -1, step 2) and the commands every server publishes alike', () => {
  const keys = {arity: -3, ranges: [{begin: 1, lastKey: -1, step: 2, limit: 0}]}
  assert.deepEqual(publishedKeyIndexes(keys, 7), [1, 3, 5])
  const a = new Map([['hgetex', {arity: -5, ranges: [{begin: 1, lastKey: 0, step: 1, limit: 0}]}], ['delifeq', {arity: 3, ranges: [{begin: 1, lastKey: 0, step: 1, limit: 0}]}]])
  const b = new Map([['hgetex', {arity: -5, ranges: [{begin: 1, lastKey: 0, step: 1, limit: 0}]}]])
  assert.deepEqual(commonCommands([a, b]).map((c) => c.name), ['hgetex'])
})
