// The lab state file: what a lab is made of (topology, proxy, nodes, pids) so that every later
// command (status, down, kill, keys, migrate...) can find its processes without guessing.
// Other modules read labs only through listLabs() and loadLab().
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {UserError} from '../errors.js'
import type {Distribution, HashName} from '../config/types.js'
import {isProcessAlive, processArgv} from '../targets/process.js'
import type {LabTls} from './tls-certs.js'
import {registerTls} from '../targets/connection-access.js'
import {isValidLabName, labDir, stateFile, twlabHome} from './home.js'

export const STATE_VERSION = 1

export type Topology = 'pool' | 'sentinel' | 'cluster'
export type ProxyKind = 'twproxy' | 'nutcracker' | 'none'
/** Roles as created. Live roles (after a failover) come from `twlab status`, not from here. */
export type NodeRole = 'master' | 'replica' | 'sentinel' | 'proxy'

/** How to start a node again (`twlab start NODE`): the exact command line `up` used. */
export interface LaunchCommand {
  bin: string
  args: string[]
}

/** Which server a redis node or sentinel runs (absent in labs made before servers could be chosen: the system's). */
export interface LabNodeServer {
  /** "system", or a name from `twlab servers ls` */
  name: string
  product: 'redis' | 'valkey'
  /** as the binary reported it when the lab was made */
  version?: string
}

export interface LabNode {
  /** short handle users type: m1, m1-r1, s1, proxy */
  name: string
  role: NodeRole
  host: string
  port: number
  /** pid of the process as last started by twlab; 0 if it never started */
  pid: number
  /** set by loadLab(): whether `pid` is a live process (zombies count as dead) */
  alive?: boolean
  /** replicas: the name of the master node it was created to follow */
  master?: string
  /** sentinel labs: the Sentinel master name of the group the node belongs to */
  group?: string
  /** cluster nodes: the cluster bus port */
  busPort?: number
  configFile: string
  logFile: string
  dataDir: string
  launch: LaunchCommand
  server?: LabNodeServer
}

export interface LabProxy {
  kind: ProxyKind
  /** "host:port" clients connect to; absent when kind is "none" */
  address?: string
  host?: string
  port?: number
  /** "host:port" of the nutcracker-style stats server */
  statsAddress?: string
  statsPort?: number
  /** the pool's nutcracker.yml, which the proxy runs (written for proxy "none" too); "" for a cluster lab */
  configFile: string
  pool: string
  hash: HashName
  distribution: Distribution
}

export interface LabSentinelInfo {
  /** the Sentinel master names, one per master group (alpha-1, alpha-2, ...) */
  groups: string[]
  quorum: number
  downAfterMs: number
  failoverTimeoutMs: number
}

export interface LabClusterInfo {
  nodeTimeoutMs: number
}

export interface LabState {
  version: number
  name: string
  topology: Topology
  /** ISO time `up` finished */
  createdAt: string
  /** the lab folder: configs, data, logs, this state file */
  dir: string
  host: string
  basePort: number
  masters: number
  replicas: number
  password?: string
  /** --user: an ACL user on every node with `password` (the default user keeps the password too) */
  user?: string
  /** --tls: every node and the proxy listen with TLS only, with these files */
  tls?: LabTls
  /** --read-from: where the proxy sends reads (a Sentinel lab behind twproxy) */
  readFrom?: 'master' | 'replica' | 'prefer-replica'
  proxy: LabProxy
  /** every process the lab runs: redis nodes, sentinels, and the proxy (role "proxy") */
  nodes: LabNode[]
  sentinel?: LabSentinelInfo
  cluster?: LabClusterInfo
  /** made with --ephemeral: the nodes keep no data across a stop (absent: they keep it) */
  ephemeral?: boolean
  /** "running" after up, "stopped" after down */
  status: 'running' | 'stopped'
  /** milliseconds `up` took from the first process start to a ready topology */
  upMs?: number
}

/**
 * Whether `pid` is still the process started for a node listening on `port` with `configFile`:
 * pids get reused, and we must never signal a stranger. redis rewrites its title to
 * "redis-server host:port"; nutcracker and twproxy keep their arguments, which name the config.
 */
export function isPidOfNode(pid: number, port: number, configFile: string): boolean {
  if (!isProcessAlive(pid)) return false
  const argv = processArgv(pid)
  if (argv === undefined) return true
  const commandLine = argv.join(' ')
  return commandLine.includes(`:${port}`) || (configFile.length > 0 && commandLine.includes(configFile))
}

/**
 * The lab with each node's liveness. A lab made with --tls is also made known to the client
 * factory here, so every tool that loads it reaches its nodes (and proxy) with its certificates.
 */
function withLiveness(state: LabState): LabState {
  if (state.tls !== undefined) registerTls(state.nodes, state.tls)
  return {...state, nodes: state.nodes.map((node) => ({...node, alive: node.pid > 0 && isPidOfNode(node.pid, node.port, node.configFile)}))}
}

/** Reads one lab's state file as stored, without liveness. */
export function readState(name: string): LabState | undefined {
  const file = stateFile(name)
  if (!existsSync(file)) return undefined
  let parsed: LabState
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as LabState
  } catch (error) {
    throw new UserError(`The state file of lab "${name}" (${file}) is not valid JSON.`, {
      hint: `Remove the lab with \`twlab destroy --lab ${name} --yes\` and start it again.`,
      cause: error,
    })
  }
  return parsed
}

/** Writes the state atomically (temp file + rename) so a crash never leaves half a file. */
export function writeState(state: LabState): void {
  const file = stateFile(state.name)
  mkdirSync(labDir(state.name), {recursive: true})
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify({...state, nodes: state.nodes.map(({alive: _alive, ...node}) => node)}, null, 2)}\n`)
  renameSync(tmp, file)
}

/** Every lab in $TWLAB_HOME, sorted by name, each node with `alive` filled in. */
export function listLabs(): LabState[] {
  const dir = join(twlabHome(), 'labs')
  if (!existsSync(dir)) return []
  const labs: LabState[] = []
  for (const name of readdirSync(dir).sort()) {
    if (!isValidLabName(name)) continue
    const state = readState(name)
    if (state) labs.push(withLiveness(state))
  }
  return labs
}

/** A lab counts as running while any of its processes is alive. */
export function isRunning(state: LabState): boolean {
  return state.nodes.some((node) => node.alive ?? (node.pid > 0 && isPidOfNode(node.pid, node.port, node.configFile)))
}

/**
 * One lab by name, with `alive` on every node. Without a name: the only lab there is, or the
 * only running one; anything ambiguous is a UserError asking for --lab.
 */
export function loadLab(name?: string): LabState {
  if (name !== undefined) {
    if (!isValidLabName(name)) {
      throw new UserError(`"${name}" is not a valid lab name: use letters, digits, ".", "_" or "-" (at most 40).`)
    }
    const state = readState(name)
    if (!state) {
      throw new UserError(`There is no lab named "${name}" in ${twlabHome()}.`, {hint: 'See `twlab ls` for the labs there are, or start one with `twlab up`.'})
    }
    return withLiveness(state)
  }
  const labs = listLabs()
  if (labs.length === 0) {
    throw new UserError(`There is no lab in ${twlabHome()}.`, {hint: 'Start one with `twlab up`.'})
  }
  if (labs.length === 1) return labs[0]
  const running = labs.filter(isRunning)
  if (running.length === 1) return running[0]
  throw new UserError(`There are ${running.length > 1 ? `${running.length} running labs` : `${labs.length} labs`} (${(running.length > 1 ? running : labs).map((lab) => lab.name).join(', ')}): say which with --lab.`)
}

export function findNode(state: LabState, nodeName: string): LabNode {
  const node = state.nodes.find((candidate) => candidate.name === nodeName)
  if (!node) {
    throw new UserError(`Lab "${state.name}" has no node named "${nodeName}": it has ${state.nodes.map((n) => n.name).join(', ')}.`)
  }
  return node
}

/** The redis-server nodes (masters and replicas as created), without sentinels and proxy. */
export function redisNodes(state: LabState): LabNode[] {
  return state.nodes.filter((node) => node.role === 'master' || node.role === 'replica')
}
