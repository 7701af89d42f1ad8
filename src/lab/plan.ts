// From `twlab up` options to a plan: every node's name, role, ports, folders and command line,
// before anything is written or started. Port layout from the base port B:
//   B proxy, B+1 proxy stats, B+2..B+4 sentinels, B+10... redis masters then replicas
// (cluster bus ports are the redis port + 10000).
import {join} from 'node:path'
import {UserError} from '../errors.js'
import type {Distribution, HashName} from '../config/types.js'
import type {LabBinaries} from './binaries.js'
import type {LabNode, LabProxy, LabState, ProxyKind, Topology} from './state.js'
import {STATE_VERSION} from './state.js'

export const DEFAULT_BASE_PORT = 21000
/** the lowest base port `up` picks by itself (below 21000 only when the blocks above are taken) */
export const LOWEST_AUTO_BASE_PORT = 11000
/** Auto-picked base ports step by this much, so labs side by side never share a block. */
export const PORT_BLOCK = 100
export const REDIS_PORT_OFFSET = 10
export const SENTINEL_COUNT = 3
export const SENTINEL_QUORUM = 2
export const CLUSTER_BUS_OFFSET = 10000
export const DEFAULT_POOL = 'alpha'

export interface UpOptions {
  name: string
  topology: Topology
  masters: number
  replicas: number
  proxy: ProxyKind
  hash: HashName
  distribution: Distribution
  host: string
  password?: string
  /** an ACL user made on every node with `password` */
  user?: string
  /** every node and the proxy speak TLS only (certificates made by tls-certs.ts) */
  tls?: boolean
  /** where twproxy sends reads of a Sentinel lab */
  readFrom?: 'master' | 'replica' | 'prefer-replica'
  redisBin?: string
  /** "system" (the default) or an installed server's name */
  server?: string
  /** cluster-node-timeout (cluster labs) */
  nodeTimeoutMs: number
  /** Sentinel down-after-milliseconds (sentinel labs) */
  downAfterMs: number
  failoverTimeoutMs: number
  /** keep no data across stops (`save ""`); by default a lab keeps every key */
  ephemeral?: boolean
  /**
   * The shape the user asked for explicitly. A stopped lab of that name is started again as it
   * was, and only these are compared with it (absent: every field of the options counts).
   */
  given?: Partial<Pick<UpOptions, 'topology' | 'masters' | 'replicas'>>
}

export function validateOptions(options: UpOptions): void {
  if (!Number.isInteger(options.masters) || options.masters < 1 || options.masters > 50) {
    throw new UserError(`--masters ${options.masters} is out of range: use 1 to 50.`)
  }
  if (!Number.isInteger(options.replicas) || options.replicas < 0 || options.replicas > 5) {
    throw new UserError(`--replicas ${options.replicas} is out of range: use 0 to 5.`)
  }
  if (options.topology === 'sentinel' && options.replicas < 1) {
    throw new UserError('A sentinel lab needs --replicas 1 or more: with no replica there is nothing to fail over to.')
  }
  if (options.topology === 'cluster' && options.masters < 3) {
    throw new UserError(`A cluster lab needs --masters 3 or more (got ${options.masters}): Redis Cluster fails over only with a majority of masters.`)
  }
  if (options.password !== undefined && !/^[A-Za-z0-9._~!@#%^&*+=-]{1,128}$/.test(options.password)) {
    throw new UserError('--password may hold letters, digits and ._~!@#%^&*+=- only (no spaces or quotes), 1 to 128 of them.')
  }
  validateAccessOptions(options)
}

/** --user, --tls and --read-from: what each needs beside it. */
function validateAccessOptions(options: UpOptions): void {
  if (options.user !== undefined) {
    if (options.password === undefined) throw new UserError('--user needs --password: the ACL user is made with that password.')
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(options.user) || options.user === 'default') {
      throw new UserError(`--user "${options.user}" is not a name twlab makes: use letters, digits and ._- (1 to 64 of them), and not "default".`)
    }
  }
  if (options.tls && options.proxy === 'nutcracker') {
    throw new UserError('nutcracker speaks no TLS, and --tls makes every node listen with TLS only: use --proxy twproxy (the default), or leave out --tls.')
  }
  if (options.readFrom !== undefined && options.readFrom !== 'master') {
    if (options.topology === 'cluster') {
      throw new UserError('A cluster lab has no proxy to send reads to replicas: put twproxy in front of it with a pool of `cluster:` seeds and `read_from:`, or use --sentinel.')
    }
    if (options.topology !== 'sentinel' || options.proxy !== 'twproxy') {
      throw new UserError('--read-from needs a Sentinel lab behind twproxy (--sentinel): twproxy finds the replicas through the masters Sentinel names.')
    }
  }
}

/** How many consecutive ports from the base port a lab uses. */
export function portSpan(options: Pick<UpOptions, 'masters' | 'replicas'>): number {
  return REDIS_PORT_OFFSET + options.masters * (1 + options.replicas)
}

/** Every port the lab will listen on: nodes, cluster bus ports and the proxy's stats port. */
export function portsNeeded(state: Pick<LabState, 'nodes' | 'proxy'>): number[] {
  const ports = state.nodes.flatMap((node) => (node.busPort ? [node.port, node.busPort] : [node.port]))
  if (state.proxy.statsPort) ports.push(state.proxy.statsPort)
  return ports
}

export function masterName(index: number): string {
  return `m${index + 1}`
}

export function replicaName(masterIndex: number, replicaIndex: number): string {
  return `m${masterIndex + 1}-r${replicaIndex + 1}`
}

export function sentinelGroup(pool: string, masterIndex: number): string {
  return `${pool}-${masterIndex + 1}`
}

/** The lab as it will be, pids still 0. Rendering and starting follow from this alone. */
export function planLab(options: UpOptions, basePort: number, dir: string, binaries: LabBinaries): LabState {
  const {host} = options
  const nodes: LabNode[] = []
  const redisPort = basePort + REDIS_PORT_OFFSET
  const nodeServer = binaries.server ? {server: binaries.server} : {}
  const makeRedis = (name: string, role: 'master' | 'replica', port: number, extra: Partial<LabNode>): LabNode => {
    const dataDir = join(dir, name)
    const configFile = join(dataDir, 'redis.conf')
    return {
      name, role, host, port, pid: 0, configFile, dataDir, logFile: join(dataDir, 'redis.log'),
      launch: {bin: binaries.redisServer, args: [...binaries.redisPrefixArgs ?? [], configFile]},
      ...nodeServer,
      ...extra,
    }
  }
  for (let m = 0; m < options.masters; m++) {
    const port = redisPort + m
    nodes.push(makeRedis(masterName(m), 'master', port, {
      ...(options.topology === 'cluster' ? {busPort: port + CLUSTER_BUS_OFFSET} : {}),
      ...(options.topology === 'sentinel' ? {group: sentinelGroup(DEFAULT_POOL, m)} : {}),
    }))
  }
  for (let m = 0; m < options.masters; m++) {
    for (let r = 0; r < options.replicas; r++) {
      const port = redisPort + options.masters * (1 + r) + m
      nodes.push(makeRedis(replicaName(m, r), 'replica', port, {
        master: masterName(m),
        ...(options.topology === 'cluster' ? {busPort: port + CLUSTER_BUS_OFFSET} : {}),
        ...(options.topology === 'sentinel' ? {group: sentinelGroup(DEFAULT_POOL, m)} : {}),
      }))
    }
  }
  if (options.topology === 'sentinel' && binaries.sentinel) {
    for (let s = 0; s < SENTINEL_COUNT; s++) {
      const name = `s${s + 1}`
      const dataDir = join(dir, name)
      const configFile = join(dataDir, 'sentinel.conf')
      nodes.push({
        name, role: 'sentinel', host, port: basePort + 2 + s, pid: 0, configFile, dataDir,
        logFile: join(dataDir, 'sentinel.log'),
        launch: {bin: binaries.sentinel.bin, args: [...binaries.sentinel.prefixArgs ?? [], configFile, ...binaries.sentinel.extraArgs]},
        ...nodeServer,
      })
    }
  }
  const proxyDir = join(dir, 'proxy')
  const poolConfigFile = join(proxyDir, 'nutcracker.yml')
  const proxy: LabProxy = {
    kind: options.proxy,
    // a cluster has no pool; the others get a nutcracker.yml even without a proxy to run it
    configFile: options.topology === 'cluster' ? '' : poolConfigFile,
    pool: DEFAULT_POOL,
    hash: options.hash,
    distribution: options.distribution,
  }
  // A cluster is reached natively; nutcracker cannot front it.
  if (options.proxy !== 'none' && binaries.proxy) {
    Object.assign(proxy, {
      host, port: basePort, address: `${host}:${basePort}`, statsPort: basePort + 1, statsAddress: `${host}:${basePort + 1}`,
    })
    const logFile = join(proxyDir, 'proxy.log')
    nodes.push({
      name: 'proxy', role: 'proxy', host, port: basePort, pid: 0, configFile: poolConfigFile, dataDir: proxyDir, logFile,
      launch: {
        bin: binaries.proxy.bin,
        args: [...binaries.proxy.prefixArgs, '-c', poolConfigFile, '-s', String(basePort + 1), '-a', host, '-o', logFile, '-p', join(proxyDir, 'proxy.pid')],
      },
    })
  }
  return {
    version: STATE_VERSION,
    name: options.name,
    topology: options.topology,
    createdAt: new Date().toISOString(),
    dir,
    host,
    basePort,
    masters: options.masters,
    replicas: options.replicas,
    ...(options.password ? {password: options.password} : {}),
    ...(options.user ? {user: options.user} : {}),
    ...(options.readFrom && options.readFrom !== 'master' ? {readFrom: options.readFrom} : {}),
    ...(options.ephemeral ? {ephemeral: true} : {}),
    proxy,
    nodes,
    ...(options.topology === 'sentinel'
      ? {sentinel: {groups: Array.from({length: options.masters}, (_, m) => sentinelGroup(DEFAULT_POOL, m)), quorum: SENTINEL_QUORUM, downAfterMs: options.downAfterMs, failoverTimeoutMs: options.failoverTimeoutMs}}
      : {}),
    ...(options.topology === 'cluster' ? {cluster: {nodeTimeoutMs: options.nodeTimeoutMs}} : {}),
    status: 'running',
  }
}
