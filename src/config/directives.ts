// The pool keys nutcracker 0.5.0 accepts, what kind of value each takes, and its default.
// Keys are matched case-sensitively, as nutcracker does.
import {DISTRIBUTIONS, HASH_NAMES} from './types.js'

export type DirectiveKind = 'listen' | 'hash' | 'hash_tag' | 'distribution' | 'number' | 'bool' | 'string' | 'servers'

export interface Directive {
  key: string
  kind: DirectiveKind
  /** the PoolConfig field it sets */
  field: string
  /** nutcracker's default, as written in a nutcracker.yml (undefined: none / required) */
  default?: string
  description: string
}

export const DIRECTIVES: readonly Directive[] = [
  {key: 'listen', kind: 'listen', field: 'listen', description: 'address the pool listens on: host:port or /unix/path [perm] (required)'},
  {key: 'hash', kind: 'hash', field: 'hash', default: 'fnv1a_64', description: `key hash: ${HASH_NAMES.join(', ')}`},
  {key: 'hash_tag', kind: 'hash_tag', field: 'hashTag', description: 'two characters; only the part of a key between them is hashed, e.g. "{}"'},
  {key: 'distribution', kind: 'distribution', field: 'distribution', default: 'ketama', description: `key distribution: ${DISTRIBUTIONS.join(', ')}`},
  {key: 'timeout', kind: 'number', field: 'timeout', default: '-1', description: 'msec to wait for a server reply (unset: forever)'},
  {key: 'backlog', kind: 'number', field: 'backlog', default: '512', description: 'listen(2) backlog'},
  {key: 'client_connections', kind: 'number', field: 'clientConnections', default: '0', description: 'parsed, then ignored by nutcracker 0.5.0'},
  {key: 'redis', kind: 'bool', field: 'redis', default: 'false', description: 'redis protocol (false: memcache)'},
  {key: 'redis_auth', kind: 'string', field: 'redisAuth', description: 'password sent with AUTH to each server connection (redis pools only)'},
  {key: 'redis_db', kind: 'number', field: 'redisDb', default: '0', description: 'database selected on each server connection'},
  {key: 'preconnect', kind: 'bool', field: 'preconnect', default: 'false', description: 'connect to every server at start-up'},
  {key: 'auto_eject_hosts', kind: 'bool', field: 'autoEjectHosts', default: 'false', description: 'eject a server after server_failure_limit failures'},
  {key: 'server_connections', kind: 'number', field: 'serverConnections', default: '1', description: 'connections per server (not 0)'},
  {key: 'server_retry_timeout', kind: 'number', field: 'serverRetryTimeout', default: '30000', description: 'msec before an ejected server is tried again'},
  {key: 'server_failure_limit', kind: 'number', field: 'serverFailureLimit', default: '2', description: 'failures before a server is ejected'},
  {key: 'tcpkeepalive', kind: 'bool', field: 'tcpkeepalive', default: 'false', description: 'SO_KEEPALIVE on client connections'},
  {key: 'servers', kind: 'servers', field: 'servers', description: 'list of host:port:weight [name] or /unix/path:weight [name] (required)'},
]

const byKey = new Map(DIRECTIVES.map((d) => [d.key, d]))

export function findDirective(key: string): Directive | undefined {
  return byKey.get(key)
}

/** Default values of the numeric and boolean keys, as PoolConfig fields. */
export const POOL_DEFAULTS = {
  hash: 'fnv1a_64',
  distribution: 'ketama',
  timeout: -1,
  backlog: 512,
  clientConnections: 0,
  redis: false,
  redisDb: 0,
  preconnect: false,
  autoEjectHosts: false,
  serverConnections: 1,
  serverRetryTimeout: 30000,
  serverFailureLimit: 2,
  tcpkeepalive: false,
  reuseport: false,
} as const

/** The closest known key to a misspelt one, for "did you mean". */
export function suggestKey(key: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = editDistance(key.toLowerCase(), candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}
