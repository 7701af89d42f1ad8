// Differential tests: the real nutcracker and twproxy serve the same redis pool (each over its own
// three redis-servers); every request of the corpus goes to both, and the reply bytes and whether
// the connection was closed must be identical.
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Arity} from '../../src/protocol/redis-commands.js'
import {lookupCommand, supportedCommands} from '../../src/protocol/redis-commands.js'
import {stopAll} from '../support/servers.js'
import {both, exchange, resp, startTwin, stopTwproxies, type Twin} from './harness.js'

const SENTINEL_VALUE = 'sentinel-7f3a9c'
const SENTINEL = resp('GET', '__sentinel__')
const SENTINEL_REPLY = `$${SENTINEL_VALUE.length}\r\n${SENTINEL_VALUE}\r\n`

let twin: Twin

/** Sends `request` (then the sentinel, unless it closes the connection) to both and compares. */
async function same(request: Buffer | string, label: string, options: {sentinel?: boolean; dataToo?: boolean} = {}): Promise<void> {
  const payload = options.sentinel === false ? Buffer.from(request) : Buffer.concat([Buffer.from(request), SENTINEL])
  const result = await both(twin, 'alpha', payload, {until: options.sentinel === false ? undefined : SENTINEL_REPLY})
  assert.equal(result.twproxy.closed, result.nutcracker.closed, `${label}: closed twproxy=${result.twproxy.closed} nutcracker=${result.nutcracker.closed}`)
  if (options.dataToo !== false) {
    assert.equal(result.twproxy.data.toString('latin1'), result.nutcracker.data.toString('latin1'), `${label}: reply bytes differ`)
  }
}

/** A request of the right arity for a command of each class. */
function validArgs(name: string, arity: Arity): string[][] {
  const key = `k:${name}`
  switch (arity) {
    case Arity.Zero:
    case Arity.NoKey: return [[name]]
    case Arity.Key: return [[name, key]]
    case Arity.KeyPlus1: return [[name, key, '1']]
    case Arity.KeyPlus2: return [[name, key, '0', '1']]
    case Arity.KeyPlus3: return [[name, key, 'before', 'a', 'b']]
    case Arity.KeyPlusN: return [[name, key], [name, key, '1', '2']]
    default: return []
  }
}

function wrongArgs(name: string, arity: Arity): string[][] {
  const key = `k:${name}`
  switch (arity) {
    case Arity.Zero: return [[name, 'x']]
    case Arity.Key: return [[name], [name, key, 'x']]
    case Arity.KeyPlus1: return [[name, key], [name, key, '1', '2']]
    case Arity.KeyPlus2: return [[name, key, '1'], [name, key, '1', '2', '3']]
    case Arity.KeyPlus3: return [[name, key, 'a', 'b'], [name, key, 'a', 'b', 'c', 'd']]
    case Arity.KeyPlusN:
    case Arity.MultiKey: return [[name]]
    case Arity.KeyValues: return [[name], [name, key], [name, key, 'v', 'k2']]
    case Arity.Eval: return [[name], [name, 'return 1'], [name, 'return 1', '1']]
    default: return []
  }
}

// AUTH and QUIT have their own tests; COMMAND's reply is compared in its own test.
const SKIP = new Set(['auth', 'quit', 'command'])

describe('twproxy and nutcracker give the same replies (redis pool)', () => {
  before(async () => {
    twin = await startTwin([{name: 'alpha', settings: ['redis: true', 'hash: fnv1a_64', 'distribution: ketama'], servers: 3}])
    for (const port of [twin.ports.nutcracker.alpha, twin.ports.twproxy.alpha]) {
      const set = await exchange(port, resp('SET', '__sentinel__', SENTINEL_VALUE), {until: '+OK\r\n'})
      assert.equal(set.data.toString(), '+OK\r\n')
    }
  })
  after(async () => {
    await twin?.stop()
    await stopTwproxies()
    await stopAll()
  })

  test('every supported command with a valid argument count', async () => {
    for (const name of supportedCommands()) {
      if (SKIP.has(name)) continue
      const info = lookupCommand(Buffer.from(name), 0, name.length)!
      for (const args of validArgs(name, info.arity)) await same(resp(...args), args.join(' '))
    }
  })

  test('every command class with a wrong argument count closes the connection', async () => {
    for (const name of supportedCommands()) {
      if (name === 'quit') continue
      const info = lookupCommand(Buffer.from(name), 0, name.length)!
      for (const args of wrongArgs(name, info.arity)) await same(resp(...args), `wrong arity: ${args.join(' ')}`)
    }
  })

  test('unsupported commands close the connection', async () => {
    for (const args of [['SELECT', '1'], ['KEYS', '*'], ['SCAN', '0'], ['INFO'], ['MULTI'], ['EXEC'], ['FLUSHALL'], ['ECHO', 'x'],
      ['CONFIG', 'GET', 'save'], ['BLPOP', 'k', '0'], ['RENAME', 'a', 'b'], ['MSETNX', 'a', '1'], ['HELLO', '3'], ['SUBSCRIBE', 'c'],
      ['CLIENT', 'LIST'], ['DBSIZE'], ['MOVE', 'k', '1'], ['SCRIPT', 'FLUSH'], ['NOSUCHCOMMAND', 'k']]) {
      await same(resp(...args), `unsupported: ${args.join(' ')}`)
    }
  })

  test('malformed and inline requests close the connection', async () => {
    const cases = ['PING\r\n', 'GET foo\r\n', '*0\r\n', '*-1\r\n', '*1\r\n$4\r\nPIN\r\n', '*1\r\n$0\r\n\r\n', '*x\r\n',
      '*2\r\n$3\r\nGET\r\n:1\r\n', '*2\r\n$3\r\nGET\r\n$-1\r\n', '*2\r\n$3\r\nGET\r\n$3\r\nfooX\r\n', '$3\r\nGET\r\n', '\r\n',
      '*1\r\n$4\r\nPINGxx', '*1\n$4\nPING\n', ' *1\r\n$4\r\nPING\r\n']
    for (const text of cases) await same(text, `malformed: ${JSON.stringify(text)}`)
  })

  test('PING, QUIT, case-insensitive names and pipelines', async () => {
    await same(resp('PING'), 'PING')
    await same(resp('ping'), 'ping')
    await same(resp('PING', 'x'), 'PING x')
    await same(resp('QUIT'), 'QUIT', {sentinel: false})
    await same(Buffer.concat([resp('SET', 'q', '1'), resp('QUIT'), resp('GET', 'q')]), 'QUIT in a pipeline', {sentinel: false})
    await same(resp('gEt', 'foo'), 'gEt')
    const pipeline = Buffer.concat(Array.from({length: 200}, (_, i) => resp('INCR', `counter:${i % 7}`)))
    await same(pipeline, 'pipeline of 200')
    await same(Buffer.concat([resp('SET', 'p', '1'), resp('GET', 'p'), Buffer.from('GARBAGE\r\n')]), 'replies before garbage')
    await same(Buffer.concat([resp('SET', 'p', '1'), resp('GET', 'p'), resp('SELECT', '1')]), 'replies before an unsupported command')
  })

  test('AUTH without redis_auth, and a key too long for an mbuf', async () => {
    await same(resp('AUTH', 'secret'), 'AUTH without password')
    await same(resp('AUTH', 'user', 'secret'), 'AUTH user pw')
    await same(resp('GET', 'x'.repeat(16335)), 'key of 16335 bytes')
    await same(resp('GET', 'x'.repeat(16336)), 'key of 16336 bytes')
    await same(resp('SET', 'big', 'v'.repeat(100_000)), 'big value')
    await same(resp('GET', 'big'), 'get big value')
  })

  test('MGET, DEL, UNLINK, TOUCH and MSET split over the servers and merged', async () => {
    const keys = Array.from({length: 24}, (_, i) => `mk:${i}`)
    await same(resp('MSET', ...keys.flatMap((k, i) => [k, `v${i}`])), 'MSET 24 pairs')
    await same(resp('MGET', ...keys, 'missing:1', keys[3], 'missing:2'), 'MGET with misses and duplicates')
    await same(resp('MGET', keys[0]), 'MGET one key')
    await same(resp('mget', keys[1], keys[2]), 'lowercase mget')
    await same(resp('TOUCH', ...keys.slice(0, 10), 'missing:3'), 'TOUCH')
    await same(resp('EXISTS', keys[0], keys[1], 'missing:4'), 'EXISTS is not split')
    await same(resp('DEL', ...keys.slice(0, 8), keys[0], 'missing:5'), 'DEL with duplicates')
    await same(resp('UNLINK', ...keys.slice(8, 16)), 'UNLINK')
    await same(resp('DEL', keys[20]), 'DEL one key')
    await same(resp('MSET', 'a', '1'), 'MSET one pair')
    await same(resp('LPUSH', 'list:1', 'x'), 'make a list')
    await same(resp('MGET', 'list:1', ...keys.slice(16)), 'MGET over a wrong-type key')
    await same(Buffer.concat([resp('MGET', ...keys), resp('PING'), resp('DEL', ...keys), resp('MGET', ...keys)]), 'pipelined splits')
  })

  test('EVAL and EVALSHA', async () => {
    await same(resp('EVAL', 'return KEYS[1]', '1', 'ek'), 'EVAL 1 key')
    await same(resp('EVAL', "return redis.call('set', KEYS[1], ARGV[1])", '1', 'ek', 'v'), 'EVAL with an argument')
    await same(resp('EVAL', 'return 1', '0'), 'EVAL 0 keys')
    await same(resp('EVAL', 'return 1', 'x', 'k'), 'EVAL bad numkeys')
    await same(resp('EVAL', 'return {KEYS[1], KEYS[2]}', '2', 'e1', 'e2'), 'EVAL 2 keys')
    await same(resp('EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '1', 'ek'), 'EVALSHA unknown script')
  })

  test('COMMAND is forwarded (each redis orders its table differently: compare the size)', async () => {
    const result = await both(twin, 'alpha', Buffer.concat([resp('COMMAND'), SENTINEL]), {until: SENTINEL_REPLY})
    assert.equal(result.twproxy.closed, result.nutcracker.closed)
    assert.equal(result.twproxy.data.length, result.nutcracker.data.length)
    assert.ok(result.twproxy.data.toString().startsWith('*2'))
  })
})
