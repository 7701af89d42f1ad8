// The servers a migration reads from: the backends of a twemproxy pool, or servers named by
// --from. Each gets one client for data (SCAN, DUMP) that the engine pipelines on, from the
// targets' client factory with the `patient` policy: a data connection that drops mid-migration
// is retried a few times, then the migration stops with a clear error (and a checkpoint to
// resume from) rather than waiting forever.
import type {Redis} from 'ioredis'
import {formatAddress, type Address} from '../../address.js'
import {UserError, describeSystemError} from '../../errors.js'
import {closeClients, createClient} from '../../targets/client-factory.js'
import type {ClusterSourceView} from './cluster-view.js'

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
  /**
   * A master of a source cluster: its reads run the cluster scripts (cluster-scripts.ts), which
   * leave out keys this node does not serve, and the bulk copy leaves out keys of `bulkSkipSlots`
   * (slots being moved when the copy began: copied apart, cluster-slots.ts).
   */
  cluster?: {bulkSkipSlots: ReadonlySet<number>}
  /** a cluster source's master: re-points it at the master that took over its slots (cluster-failover.ts) */
  failover?: FailoverFollower
}

/** What the sources are, for the phases that differ: a pool or bare servers, a cluster's masters, a Sentinel group's master. */
export type SourceKind = 'servers' | 'pool' | 'cluster' | 'sentinel'

export interface SourceSet {
  kind: SourceKind
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
  /** a cluster source: the slots that moved or were moving during the copy, copied apart */
  openSlots?: OpenSlotPass
  /** a Sentinel source: re-points the source at the group's current master after a failover */
  failover?: FailoverFollower
  /** a cluster source: its live slot map, for following it by replication (cluster-view.ts) */
  clusterView?: ClusterSourceView
  close(): Promise<void>
}

/** A cluster source's second pass (cluster-slots.ts): every key of the slots that were moving. */
export interface OpenSlotPass {
  /** copies the keys of every slot that was open when the copy began or moved since; returns how many slots */
  copy(write: (source: Source, keys: Buffer[]) => Promise<void>): Promise<number>
}

/** A Sentinel source (sentinel-source.ts): finds the group's master again after a failover. */
export interface FailoverFollower {
  /** Sentinel announced a failover the source has not followed yet */
  readonly pending: boolean
  /** the group's master now; when it moved, the source's client is re-pointed and the old and new addresses returned */
  follow(): Promise<{from: string; to: string} | undefined>
}

/**
 * What names each source in a checkpoint: its address, except for a Sentinel group, whose master
 * may change between runs: the group's name stands for it.
 */
export function sourceIdentities(set: SourceSet): string[] {
  if (set.kind === 'sentinel') return set.sources.map((source) => `sentinel master ${source.name}`)
  return set.sources.map((source) => formatAddress(source.address))
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

export interface SourceSetExtras {
  kind?: SourceKind
  ownerOf?: (key: Buffer) => number
  hashTag?: string
  db?: number
}

/** Connects to every server, in the order given; nothing is left open on failure. */
export async function connectSources(servers: SourceServer[], description: string, extra: SourceSetExtras = {}): Promise<SourceSet> {
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
      if (/cluster_enabled:1/.test(mode) && extra.kind !== 'cluster') {
        throw new UserError(`${what} is a cluster node: read a cluster with --from-cluster HOST:PORT.`)
      }
    }
  } catch (error) {
    await close()
    throw error
  }
  return {sources, description, ...extra, kind: extra.kind ?? 'servers', db: extra.db ?? 0, close}
}
