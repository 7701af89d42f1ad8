// sentinels: a pool whose servers are Redis Sentinel masters. Each `servers:` entry keeps
// nutcracker's grammar, "host:port:weight name", and its name is the Sentinel master name: the
// ketama continuum is built from the names, so keys stay where they are when a master moves, and
// host:port is only where the proxy starts until Sentinel answers. twproxy asks the sentinels
// (SENTINEL get-master-addr-by-name) for each master and follows +switch-master. nutcracker
// itself rejects the key ("directive sentinels is unknown"); delete it and nutcracker serves the
// same placement on the written addresses.
import {formatAddress, tryParseAddress} from '../../address.js'
import {ExtensionValueError, nonEmptyList, registerExtension} from '../extensions.js'
import type {PoolConfig} from '../types.js'

export const SENTINELS_KEY = 'sentinels'

export interface SentinelAddress {
  host: string
  port: number
}

/** Sentinel's own rule for master names (sentinel.conf: letters, digits, '.', '-', '_'). */
const MASTER_NAME = /^[A-Za-z0-9._-]+$/

/** "host:port" (an IPv6 host bracketed, "[::1]:26379", or bare: the last ':' starts the port). */
export function parseHostPort(text: string, what: string, example = '127.0.0.1:26379'): SentinelAddress {
  const address = tryParseAddress(text)
  if (address === undefined) {
    throw new ExtensionValueError(`"${text}" is not a ${what} address "host:port"`, `Write each ${what} as host:port, as in ${example}.`)
  }
  return address
}

registerExtension({
  key: SENTINELS_KEY,
  description: 'servers are Sentinel masters named by their server name; twproxy follows failovers (+switch-master) without moving keys',
  value: 'sequence',
  parse(value) {
    return nonEmptyList(value, SENTINELS_KEY, 'List at least one sentinel as host:port, or delete the key.').map((item) => parseHostPort(item.trim(), 'sentinel'))
  },
  format: (parsed) => (parsed as SentinelAddress[]).map(formatAddress),
  check(pool) {
    if (!pool.redis) throw new ExtensionValueError('sentinels is set on a memcache pool', 'Add "redis: true" to the pool, or remove sentinels.')
    for (const server of pool.servers) {
      if (server.path !== undefined || !MASTER_NAME.test(server.name)) {
        throw new ExtensionValueError(
          `server "${server.pname}" has no Sentinel master name (its name is "${server.name}")`,
          'In a pool with sentinels, end each server entry with the master\'s name, as in 127.0.0.1:6379:1 mymaster.',
        )
      }
    }
  },
})

/** The pool's sentinels, when its servers are Sentinel masters. */
export function sentinelsOf(pool: PoolConfig): SentinelAddress[] | undefined {
  const value = pool.extensions[SENTINELS_KEY]
  return Array.isArray(value) && value.length > 0 ? (value as SentinelAddress[]) : undefined
}
