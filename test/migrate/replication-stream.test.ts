// The pieces of replication capture that need no server: the RESP command stream read in chunks
// with its offsets, and what each replicated command becomes on the cluster (database filter,
// per-slot splits, re-copies, absolute expiries, commands that stop the migration).
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {keySlot} from '../../src/hashing/index.js'
import {CommandStreamReader} from '../../src/protocol/command-stream.js'
import {encodeCommand} from '../../src/protocol/redis-encode.js'
import {translateCommand, withAbsoluteExpiry} from '../../src/migrate/changes/command-translate.js'

const b = (...args: string[]) => args.map((a) => Buffer.from(a))
const texts = (args: Buffer[]) => args.map(String)

describe('CommandStreamReader', () => {
  test('commands split across chunks come out whole, each with the offset just past it', () => {
    const bytes = Buffer.concat([encodeCommand(['SELECT', '0']), Buffer.from('\n'), encodeCommand(['SET', 'k', 'v\r\nw']), encodeCommand(['PING'])])
    const reader = new CommandStreamReader(100)
    const seen: Array<[string[], number]> = []
    for (let at = 0; at < bytes.length; at += 3) {
      reader.append(bytes.subarray(at, at + 3))
      for (let command = reader.next(); command; command = reader.next()) seen.push([texts(command.args), command.endOffset])
    }
    const select = encodeCommand(['SELECT', '0']).length
    const set = encodeCommand(['SET', 'k', 'v\r\nw']).length
    assert.deepEqual(seen, [
      [['SELECT', '0'], 100 + select],
      [['SET', 'k', 'v\r\nw'], 100 + select + 1 + set],
      [['PING'], 100 + bytes.length],
    ])
    assert.equal(reader.pending, 0)
  })

  test('bytes that are not RESP give one sentence with the offset', () => {
    const reader = new CommandStreamReader(7)
    reader.append(Buffer.from('+OK\r\n'))
    assert.throws(() => reader.next(), /not RESP at offset 7/)
  })
})

describe('translateCommand', () => {
  const now = 1_700_000_000_000

  test('only the pool database counts; SELECT switches', () => {
    const state = {db: -1}
    assert.deepEqual(translateCommand(b('SELECT', '3'), state, 0, now), {kind: 'none'})
    assert.equal(state.db, 3)
    assert.deepEqual(translateCommand(b('SET', 'k', 'v'), state, 0, now), {kind: 'none'})
    translateCommand(b('SELECT', '0'), state, 0, now)
    const applied = translateCommand(b('SET', 'k', 'v'), state, 0, now)
    assert.equal(applied.kind, 'apply')
    assert.deepEqual(applied.kind === 'apply' && applied.parts.map((p) => [p.slot, texts(p.args)]), [[keySlot(Buffer.from('k')), ['SET', 'k', 'v']]])
  })

  test('DEL and MSET over several slots are split per slot; MSETNX becomes MSET', () => {
    const state = {db: 0}
    const del = translateCommand(b('DEL', 'a', 'b', '{a}x'), state, 0, now)
    assert.equal(del.kind, 'apply')
    const parts = del.kind === 'apply' ? del.parts.map((p) => texts(p.args)).sort() : []
    assert.deepEqual(parts, [['DEL', 'a', '{a}x'], ['DEL', 'b']])
    const msetnx = translateCommand(b('MSETNX', 'a', '1', 'b', '2'), state, 0, now)
    assert.deepEqual(msetnx.kind === 'apply' && msetnx.parts.map((p) => texts(p.args)).sort(), [['MSET', 'a', '1'], ['MSET', 'b', '2']])
  })

  test('other commands over several slots, and MOVE, are copied again from the source', () => {
    const state = {db: 0}
    assert.deepEqual(translateCommand(b('RENAME', 'a', 'b'), state, 0, now), {kind: 'recopy', keys: b('a', 'b')})
    assert.deepEqual(translateCommand(b('RENAME', '{a}1', '{a}2'), state, 0, now).kind, 'apply')
    assert.deepEqual(translateCommand(b('MOVE', 'k', '5'), state, 0, now), {kind: 'recopy', keys: b('k')})
    state.db = 5
    assert.deepEqual(translateCommand(b('MOVE', 'k', '0'), state, 0, now), {kind: 'recopy', keys: b('k')})
  })

  test('what cannot be applied stops the migration; functions go everywhere; GETACK is answered', () => {
    const state = {db: 0}
    assert.equal(translateCommand(b('FLUSHALL'), state, 0, now).kind, 'stop')
    assert.equal(translateCommand(b('FLUSHDB'), state, 0, now).kind, 'stop')
    assert.equal(translateCommand(b('SWAPDB', '0', '1'), state, 0, now).kind, 'stop')
    assert.equal(translateCommand(b('SWAPDB', '2', '1'), state, 0, now).kind, 'none')
    assert.equal(translateCommand(b('EVAL', 'return 1', '0'), state, 0, now).kind, 'stop')
    assert.equal(translateCommand(b('FUNCTION', 'LOAD', 'code'), state, 0, now).kind, 'everywhere')
    assert.equal(translateCommand(b('REPLCONF', 'GETACK', '*'), state, 0, now).kind, 'getack')
    for (const marker of ['MULTI', 'EXEC', 'PING']) assert.equal(translateCommand(b(marker), state, 0, now).kind, 'none')
  })

  test('relative expiries become absolute, counted from the arrival time', () => {
    const at = (args: string[]) => texts(withAbsoluteExpiry(args[0].toLowerCase(), b(...args), now))
    assert.deepEqual(at(['EXPIRE', 'k', '10', 'NX']), ['PEXPIREAT', 'k', String(now + 10_000), 'NX'])
    assert.deepEqual(at(['PEXPIRE', 'k', '10']), ['PEXPIREAT', 'k', String(now + 10)])
    assert.deepEqual(at(['EXPIREAT', 'k', '2000000000']), ['PEXPIREAT', 'k', '2000000000000'])
    assert.deepEqual(at(['SETEX', 'k', '5', 'v']), ['SET', 'k', 'v', 'PXAT', String(now + 5000)])
    assert.deepEqual(at(['PSETEX', 'k', '5', 'v']), ['SET', 'k', 'v', 'PXAT', String(now + 5)])
    assert.deepEqual(at(['SET', 'k', 'v', 'NX', 'EX', '7']), ['SET', 'k', 'v', 'NX', 'PXAT', String(now + 7000)])
    assert.deepEqual(at(['SET', 'k', 'v', 'PXAT', '123']), ['SET', 'k', 'v', 'PXAT', '123'])
    assert.deepEqual(at(['GETEX', 'k', 'PX', '9']), ['PEXPIREAT', 'k', String(now + 9)])
    assert.deepEqual(at(['GETEX', 'k', 'PERSIST']), ['PERSIST', 'k'])
    assert.deepEqual(at(['RESTORE', 'k', '50', 'payload']), ['RESTORE', 'k', String(now + 50), 'payload', 'ABSTTL'])
    assert.deepEqual(at(['RESTORE', 'k', '50', 'payload', 'ABSTTL']), ['RESTORE', 'k', '50', 'payload', 'ABSTTL'])
  })
})
