// What `twlab pool add-server` / `remove-server` changes: the pool's server list before and after,
// in nutcracker's order, and the key placement under each. A key moves when the server that holds
// it under the new list is a different address from the one under the old list.
import {splitHostPort} from '../address.js'
import {compareNutcracker, formatServerEntry, parseServerEntry, type PoolConfig, type ServerConfig} from '../config/index.js'
import {KeyPlacer} from '../hashing/index.js'
import {UserError} from '../errors.js'

export type PoolChangeAction = 'add' | 'remove'

export interface PoolChange {
  action: PoolChangeAction
  pool: string
  /** the server added or removed */
  server: ServerConfig
  before: ServerConfig[]
  after: ServerConfig[]
}

/**
 * "HOST:PORT" or "HOST:PORT:WEIGHT" as a servers: entry (weight 1 when absent), or undefined when
 * it is neither: a last number preceded by HOST:PORT is the weight.
 */
function serverEntryOfSpec(spec: string): string | undefined {
  const last = splitHostPort(spec)
  if (!last || !/^\d+$/.test(last.portText)) return undefined
  const first = splitHostPort(last.host)
  if (first === undefined) return `${spec}:1`
  if (!/^\d+$/.test(first.portText) || first.host.includes(':')) return undefined
  return spec
}

/** "HOST:PORT[:WEIGHT]" plus an optional name, as a servers: entry. */
export function serverFromSpec(spec: string, name?: string): ServerConfig {
  const entry = serverEntryOfSpec(spec)
  if (entry === undefined) {
    throw new UserError(`"${spec}" is not HOST:PORT or HOST:PORT:WEIGHT: write it as 127.0.0.1:6390 or 127.0.0.1:6390:1.`)
  }
  if (name !== undefined && !/^\S+$/.test(name)) throw new UserError(`The server name "${name}" has a space in it: pick a name without spaces.`)
  const parsed = parseServerEntry(name === undefined ? entry : `${entry} ${name}`)
  if (!parsed.ok) throw new UserError(`${parsed.problem}: ${parsed.fix}`)
  if (parsed.server.port < 1 || parsed.server.port > 65535) throw new UserError(`Port ${parsed.server.port} in "${spec}" is not a TCP port: use 1 to 65535.`)
  if (parsed.server.weight < 1) throw new UserError(`The weight in "${spec}" must be 1 or more.`)
  return parsed.server
}

function assertMovable(pool: PoolConfig): void {
  if (!pool.redis) throw new UserError(`Pool "${pool.name}" is a memcache pool: add-server and remove-server move keys of redis pools (redis: true).`)
  if (pool.distribution === 'random') {
    throw new UserError(`Pool "${pool.name}" uses distribution random: keys have no fixed server, so there is nothing to move; edit servers: directly.`)
  }
}

function sorted(servers: ServerConfig[]): ServerConfig[] {
  return [...servers].sort((a, b) => compareNutcracker(a.name, b.name))
}

export function planAddServer(pool: PoolConfig, server: ServerConfig): PoolChange {
  assertMovable(pool)
  const clash = pool.servers.find((s) => s.name === server.name || s.address === server.address)
  if (clash) {
    throw new UserError(`Pool "${pool.name}" already has ${clash.address} named "${clash.name}": give the new server another address or name.`)
  }
  return {action: 'add', pool: pool.name, server, before: pool.servers, after: sorted([...pool.servers, server])}
}

export function planRemoveServer(pool: PoolConfig, which: string): PoolChange {
  assertMovable(pool)
  const server = pool.servers.find((s) => s.name === which) ?? pool.servers.find((s) => s.address === which)
  if (!server) {
    throw new UserError(`Pool "${pool.name}" has no server "${which}": name one of ${pool.servers.map((s) => s.name).join(', ')}.`)
  }
  if (pool.servers.length === 1) throw new UserError(`"${which}" is the only server of pool "${pool.name}": add another before removing it.`)
  return {action: 'remove', pool: pool.name, server, before: pool.servers, after: pool.servers.filter((s) => s !== server)}
}

/** The servers: entries of a list, as they are written back. */
export function serverEntries(servers: ServerConfig[]): string[] {
  return servers.map((server) => formatServerEntry(server))
}

/** Placement of keys under the old and the new server list of one pool. */
export class MovePlacement {
  private readonly before: KeyPlacer
  private readonly after: KeyPlacer

  constructor(pool: Pick<PoolConfig, 'hash' | 'hashTag' | 'distribution'>, readonly beforeServers: ServerConfig[], readonly afterServers: ServerConfig[]) {
    const placer = (servers: ServerConfig[]) => new KeyPlacer({hash: pool.hash, hashTag: pool.hashTag, distribution: pool.distribution, servers})
    this.before = placer(beforeServers)
    this.after = placer(afterServers)
  }

  oldOwner(key: Uint8Array | string): ServerConfig {
    return this.beforeServers[this.before.serverIndex(key)]
  }

  newOwner(key: Uint8Array | string): ServerConfig {
    return this.afterServers[this.after.serverIndex(key)]
  }
}
