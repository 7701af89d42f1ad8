// The shape of a nutcracker.yml once parsed, validated and filled with nutcracker's defaults.
// Pools and servers are in nutcracker's sorted order: pools by name, servers by name, each with
// compareNutcracker (shorter first, then bytewise). That order sets server indexes for
// modula/random/ketama tie-breaks and the order of the stats JSON.

// The hash and distribution names belong to src/hashing, which imports nothing of ours.
import type {Distribution, HashName} from '../hashing/names.js'
export {HASH_NAMES, DISTRIBUTIONS, type HashName, type Distribution} from '../hashing/names.js'

/** Where a pool listens: TCP host:port, or a unix socket path with an optional octal permission. */
export type ListenAddress =
  | {kind: 'tcp'; host: string; port: number; text: string}
  | {kind: 'unix'; path: string; perm?: number; text: string}

export interface ServerConfig {
  /** nutcracker's name: the explicit name, else host (port 11211), else "host:port" as written */
  name: string
  /** "host:port" as written in the config (or the unix socket path) */
  address: string
  host: string
  /** 0 for unix sockets */
  port: number
  /** set for unix-socket servers */
  path?: string
  weight: number
  /** the whole entry minus " name", used in logs */
  pname: string
  /** 1-based line of the entry in the file, when known */
  line?: number
}

/** A backend that is not a fixed address: twlab extensions that nutcracker itself rejects. */
export interface PoolExtensions {
  [key: string]: unknown
}

export interface PoolConfig {
  name: string
  listen: ListenAddress
  hash: HashName
  /** two bytes, e.g. "{}", or undefined */
  hashTag?: string
  distribution: Distribution
  /** msec; -1 (or <= 0) means wait forever */
  timeout: number
  backlog: number
  clientConnections: number
  redis: boolean
  redisAuth?: string
  redisDb: number
  preconnect: boolean
  autoEjectHosts: boolean
  serverConnections: number
  /** msec */
  serverRetryTimeout: number
  serverFailureLimit: number
  tcpkeepalive: boolean
  reuseport: boolean
  servers: ServerConfig[]
  /** twlab-only keys (opt-in extensions), keyed by their yaml name */
  extensions: PoolExtensions
  /** 1-based line of the pool's key in the file, when known */
  line?: number
}

export interface NutcrackerConfig {
  /** the file it was read from ("<string>" when parsed from text) */
  file: string
  pools: PoolConfig[]
}
