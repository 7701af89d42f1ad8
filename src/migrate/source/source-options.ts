// Which servers a migration reads from, as the user named them: the servers of a twemproxy pool
// (-c nutcracker.yml [--pool NAME], or --lab NAME, or the only running lab), whose hashing then
// settles keys found on several servers; or bare servers (--from HOST:PORT,...).
import {Flags} from '@oclif/core'
import {clusterSeedsOf, loadConfig} from '../../config/index.js'
import {loadLab} from '../../lab/state.js'
import {PoolTarget} from '../../targets/index.js'
import {resolveTarget} from '../../lab/target.js'
import {UserError} from '../../errors.js'
import {parseAddressList, type Address} from './address.js'
import {connectSources, type SourceSet} from './sources.js'

const SOURCE_GROUP = 'SOURCE'

export const sourceFlags = {
  from: Flags.string({
    description: 'source servers, HOST:PORT,... (without a pool config: the first listed wins a key found on several)',
    exclusive: ['lab', 'config'],
    helpGroup: SOURCE_GROUP,
  }),
  lab: Flags.string({
    description: 'a pool lab started by `twlab up` (default: the only running lab)',
    exclusive: ['config', 'from'],
    helpGroup: SOURCE_GROUP,
  }),
  config: Flags.string({
    char: 'c',
    description: 'a nutcracker.yml: its pool is migrated, and its hashing settles duplicates',
    exclusive: ['lab', 'from'],
    helpGroup: SOURCE_GROUP,
  }),
  pool: Flags.string({
    description: 'the pool of --config (default: the only pool)',
    dependsOn: ['config'],
    helpGroup: SOURCE_GROUP,
  }),
  password: Flags.string({
    description: 'password for the source servers (default: redis_auth of the pool, or the lab\'s)',
    env: 'TWLAB_PASSWORD',
    helpGroup: SOURCE_GROUP,
  }),
}

export interface SourceFlags {
  from?: string
  lab?: string
  config?: string
  pool?: string
  password?: string
}

export async function openSources(flags: SourceFlags): Promise<SourceSet> {
  if (flags.from) {
    const addresses = parseAddressList(flags.from, '--from')
    return connectSources(addresses.map((address) => ({name: address.text, address, password: flags.password})),
      `${addresses.length} server(s) given by --from`)
  }
  await refuseCutOverPool(flags)
  let target
  try {
    target = await resolveTarget({lab: flags.lab, config: flags.config, pool: flags.pool, password: flags.password})
  } catch (error) {
    if (flags.lab === undefined && flags.config === undefined && error instanceof UserError) {
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
      const address: Address = {host: server.host, port: server.port, text: `${server.host}:${server.port}`}
      return {name: server.name, address, password: flags.password ?? pool.redisAuth, db: pool.redisDb, index}
    })
    const indexById = new Map(nodes.map((node, i) => [node.id, i]))
    const ownerOf = target.placementIsFixed ? (key: Buffer) => indexById.get(target.ownerOf(key).id) as number : undefined
    return await connectSources(servers, target.description, {ownerOf, hashTag: pool.hashTag, db: pool.redisDb})
  } finally {
    await target.close()
  }
}

/**
 * A pool already cut over (its file has cluster: instead of servers:) has nothing left to
 * migrate: its keys live in the cluster now. Said plainly rather than failing on an empty pool.
 */
async function refuseCutOverPool(flags: SourceFlags): Promise<void> {
  const file = flags.config ?? (flags.lab !== undefined ? loadLab(flags.lab).proxy.configFile : undefined)
  if (!file) return
  let pools
  try {
    pools = (await loadConfig(file, {extensions: true})).pools
  } catch {
    return // the source resolution explains a file it cannot read
  }
  const pool = flags.pool !== undefined ? pools.find((p) => p.name === flags.pool) : pools.length === 1 ? pools[0] : undefined
  const seeds = pool && clusterSeedsOf(pool)
  if (pool && seeds) {
    throw new UserError(`Pool ${pool.name} in ${file} is already served by a Redis Cluster (cluster: ${seeds.map((s) => `${s.host}:${s.port}`).join(', ')}): its keys live there now, so there is nothing left to migrate.`)
  }
}
