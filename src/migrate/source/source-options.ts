// Which servers a migration reads from, as the user named them: the servers of a twemproxy pool
// (-c nutcracker.yml [--pool NAME], or --lab NAME, or the only running lab), whose hashing then
// settles keys found on several servers; bare servers (--from HOST:PORT,...); the masters of a
// Redis Cluster (--from-cluster, cluster-source.ts); or a Sentinel group's master
// (--from-sentinel with --master, sentinel-source.ts). RDB files (--from-rdb) are no servers:
// they are read by src/migrate/rdb/.
import {formatAddress, parseAddressList, type Address} from '../../address.js'
import {clusterSeedsOf, loadConfig} from '../../config/index.js'
import {loadLab} from '../../lab/state.js'
import {PoolTarget} from '../../targets/index.js'
import {resolveTarget} from '../../lab/target.js'
import {UserError} from '../../errors.js'
import {openClusterSource} from './cluster-source.js'
import {openSentinelSource} from './sentinel-source.js'
import {connectSources, type SourceSet} from './sources.js'

/**
 * The source as the user named it: one of from, fromCluster, fromSentinel (with master),
 * fromRdb, lab or config (with pool), or none (the only lab).
 */
export interface SourceOptions {
  from?: string
  fromCluster?: string
  fromSentinel?: string
  /** with fromSentinel: the group's name */
  master?: string
  /** RDB files (read by src/migrate/rdb/, not here) */
  fromRdb?: string[]
  /** with fromRdb: the database of the files to restore */
  db?: number
  lab?: string
  config?: string
  pool?: string
  password?: string
}

export async function openSources(options: SourceOptions): Promise<SourceSet> {
  if (options.fromCluster) return openClusterSource({seed: options.fromCluster, password: options.password})
  if (options.fromSentinel) {
    if (!options.master) throw new UserError('--from-sentinel needs the group\'s name: add --master NAME (as in SENTINEL MASTERS).')
    return openSentinelSource({sentinel: options.fromSentinel, master: options.master, password: options.password})
  }
  if (options.from) {
    const addresses = parseAddressList(options.from, {what: '--from'})
    return connectSources(addresses.map((address) => ({name: formatAddress(address), address, password: options.password})),
      `${addresses.length} server(s) given by --from`)
  }
  await refuseCutOverPool(options)
  let target
  try {
    target = await resolveTarget({lab: options.lab, config: options.config, pool: options.pool, password: options.password})
  } catch (error) {
    if (options.lab === undefined && options.config === undefined && error instanceof UserError) {
      throw new UserError('No source to migrate from: give -c nutcracker.yml [--pool NAME], --lab NAME or --from HOST:PORT,... (or start one pool lab with twlab up).', {cause: error})
    }
    throw error
  }
  try {
    if (!(target instanceof PoolTarget)) {
      throw new UserError(`${target.description} is a cluster, not a pool: migrate copies a pool (or --from servers) into a cluster.`)
    }
    const pool = target.pool
    const nodes = target.nodes()
    const servers = pool.servers.map((server, index) => {
      if (server.path) {
        throw new UserError(`Server ${server.name} of pool ${pool.name} is a unix socket: migrate reads servers over TCP; use --from HOST:PORT.`)
      }
      const address: Address = {host: server.host, port: server.port}
      return {name: server.name, address, password: options.password ?? pool.redisAuth, db: pool.redisDb, index}
    })
    const indexById = new Map(nodes.map((node, i) => [node.id, i]))
    const ownerOf = target.placementIsFixed ? (key: Buffer) => indexById.get(target.ownerOf(key).id) as number : undefined
    return await connectSources(servers, target.description, {kind: 'pool', ownerOf, hashTag: pool.hashTag, db: pool.redisDb})
  } finally {
    await target.close()
  }
}

/**
 * A pool already cut over (its file has cluster: instead of servers:) has nothing left to
 * migrate: its keys live in the cluster now. Said plainly rather than failing on an empty pool.
 */
async function refuseCutOverPool(options: SourceOptions): Promise<void> {
  const file = options.config ?? (options.lab !== undefined ? loadLab(options.lab).proxy.configFile : undefined)
  if (!file) return
  let pools
  try {
    pools = (await loadConfig(file, {extensions: true})).pools
  } catch {
    return // the source resolution explains a file it cannot read
  }
  const pool = options.pool !== undefined ? pools.find((p) => p.name === options.pool) : pools.length === 1 ? pools[0] : undefined
  const seeds = pool && clusterSeedsOf(pool)
  if (pool && seeds) {
    throw new UserError(`Pool ${pool.name} in ${file} is already served by a Redis Cluster (cluster: ${seeds.map((s) => `${s.host}:${s.port}`).join(', ')}): its keys live there now, so there is nothing left to migrate.`)
  }
}
