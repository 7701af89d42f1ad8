// --from and --to-cluster read addresses with src/address.ts: comma lists, each server once,
// IPv6 in brackets or nutcracker's bare form, and one sentence for anything else.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {parseAddressList} from '../../src/address.js'
import {UserError} from '../../src/errors.js'

describe('parseAddressList', () => {
  test('reads a comma list in order, spaces and empty entries ignored', () => {
    assert.deepEqual(parseAddressList(' 127.0.0.1:6379, 10.0.0.2:6380,', {what: '--from'}), [
      {host: '127.0.0.1', port: 6379},
      {host: '10.0.0.2', port: 6380},
    ])
  })

  test('reads IPv6 hosts, bracketed or bare', () => {
    assert.deepEqual(parseAddressList('[::1]:7000,::1:7001', {what: '--from'}), [
      {host: '::1', port: 7000},
      {host: '::1', port: 7001},
    ])
  })

  test('refuses a server named twice, in any spelling', () => {
    assert.throws(() => parseAddressList('[::1]:7000,::1:7000', {what: '--from'}),
      (error: Error) => error instanceof UserError && error.message === '--from lists ::1:7000 twice: name each server once.')
  })

  test('refuses an empty list and an entry that is not HOST:PORT', () => {
    assert.throws(() => parseAddressList(' , ', {what: '--from'}),
      (error: Error) => error instanceof UserError && /^--from is empty: give one or more HOST:PORT/.test(error.message))
    assert.throws(() => parseAddressList('127.0.0.1:6379,localhost', {what: '--from'}),
      (error: Error) => error instanceof UserError && error.message === '--from "localhost" is not HOST:PORT: write it like 127.0.0.1:6379.')
  })
})
