// Which keys a reload onto or off a cluster copies: those the requests in flight at the swap
// touched on the server they ran on. A key a request only names but that lives on another server
// of the pool (SUNIONSTORE's sources without hash tags) must not be listed: MIGRATE from the
// request's server would answer +NOKEY and the copy would then delete the real key.
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {encodeCommand} from '../../src/protocol/redis-encode.js'
import type {PoolBackend} from '../../src/proxy/backend.js'
import {Request} from '../../src/proxy/client/request.js'
import {inFlightKeys} from '../../src/proxy/reload/cluster-cutover.js'

/** A two-server pool where keys starting with "a" live on server 0 and all others on server 1. */
function poolWith(requests: Array<{index: number; args: string[]}>): PoolBackend {
  const backend = {
    route: (key: Uint8Array, start: number) => (key[start] === 0x61 ? 0 : 1),
    keyRoute: (index: number) => index,
    inFlight: () => requests.map(({index, args}) => ({backend, index, request: new Request(null, encodeCommand(args))})),
  }
  return backend as unknown as PoolBackend
}

test('a cut-over copies the keys a request touched where it ran, not keys that live elsewhere', () => {
  const keys = inFlightKeys(poolWith([
    {index: 0, args: ['SUNIONSTORE', 'a:dst', 'a:one', 'b:other']},
    {index: 1, args: ['SET', 'b:key', 'v']},
  ]))
  assert.deepEqual(keys.map(({index, key}) => `${index}:${key.toString()}`), ['0:a:dst', '0:a:one', '1:b:key'])
})
