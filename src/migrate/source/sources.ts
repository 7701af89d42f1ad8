// The servers a migration reads from: the backends of a twemproxy pool, or servers named by
// --from. Each gets one client for data (SCAN, DUMP) that the engine pipelines on, from the
// targets' client factory with the `patient` policy: a data connection that drops mid-migration
// is retried a few times, then the migration stops with a clear error (and a checkpoint to
// resume from) rather than waiting forever.
import type {Redis} from 'ioredis'
import {formatAddress, type Address} from '../../address.js'
import {UserError, describeSystemError} from '../../errors.js'
import {closeClients, createClient} from '../../targets/client-factory.js'

export interface Source {
  index: number
  /** what users call it: the nutcracker server name, or host:port */
  name: string
  address: Address
  client: Redis
  password?: string
  /** the database the pool uses (redis_db) */
  db: number
  /** Redis 7 answers PEXPIRETIME (absolute expiry, exact); older servers get PTTL + our clock */
  hasExpireTime: boolean
}

export interface SourceSet {
  sources: Source[]
  /** one line for humans: "3 servers given by --from" or "pool alpha from nutcracker.yml" */
  description: string
  /**
   * The index of the source twemproxy hashing routes a key to, when the sources are a pool whose
   * hashing is known. A key found on another source too is a misplaced duplicate: the copy on
   * this owner wins. Without it, the first source listed that holds the key wins.
   */
  ownerOf?: (key: Buffer) => number
  /** the pool's hash_tag ("{}", "::"...), used by the plan to find tags that split across slots */
  hashTag?: string
  /** the database the keys are in (the pool's redis_db) */
  db: number
  close(): Promise<void>
}

export interface ConnectOptions {
  name?: string
  password?: string
  db?: number
}

/** A client to one source server (data, or the change feed's subscriber). */
export function sourceClient(address: Address, options: ConnectOptions = {}): Redis {
  return createClient(address, {policy: 'patient', name: options.name, password: options.password, db: options.db})
}

async function connectOrExplain(client: Redis, what: string): Promise<void> {
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    client.disconnect()
    const sentence = describeSystemError(error, what) ?? `${what} cannot be used: ${(error as Error).message}.`
    throw new UserError(sentence, {cause: error})
  }
}

async function redisMajorVersion(client: Redis): Promise<number> {
  const info = await client.info('server')
  const match = /redis_version:(\d+)/.exec(info)
  return match ? Number(match[1]) : 0
}

export interface SourceServer {
  name: string
  address: Address
  password?: string
  db?: number
}

/** Connects to every server, in the order given; nothing is left open on failure. */
export async function connectSources(servers: SourceServer[], description: string,
  extra: {ownerOf?: (key: Buffer) => number; hashTag?: string; db?: number} = {}): Promise<SourceSet> {
  const sources: Source[] = []
  const close = () => closeClients(sources.map((s) => s.client))
  try {
    for (const [index, server] of servers.entries()) {
      const what = `source ${formatAddress(server.address)}`
      const client = sourceClient(server.address, {name: 'twlab-migrate', password: server.password, db: server.db})
      await connectOrExplain(client, what)
      const major = await redisMajorVersion(client)
      sources.push({index, name: server.name, address: server.address, client, db: server.db ?? 0, password: server.password, hasExpireTime: major >= 7})
      const mode = await client.info('cluster')
      if (/cluster_enabled:1/.test(mode)) {
        throw new UserError(`${what} is a cluster node: migrate reads standalone servers (pool backends).`)
      }
    }
  } catch (error) {
    await close()
    throw error
  }
  return {sources, description, ...extra, db: extra.db ?? 0, close}
}
