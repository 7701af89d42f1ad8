// Which live data a command works on, the same way for every command (keys, reshard, migrate):
// `--lab NAME`, `-c nutcracker.yml [--pool NAME]`, or `--cluster HOST:PORT`; with none of them
// and exactly one lab running, that lab. `--password` overrides what the config or lab says.
// It lives with the labs because only it knows both: targets know pools and clusters, and a lab
// is one of them (a cluster lab is its cluster, found from any live master; a pool or Sentinel
// lab is the pool of the nutcracker.yml it rendered for its proxy, or the cluster that pool was
// cut over to).
import {formatAddress} from '../address.js'
import {UserError} from '../errors.js'
import {ClusterTarget} from '../targets/cluster.js'
import {poolBackendTarget} from '../targets/pool-backend.js'
import {pickPool, readPoolConfig} from '../targets/pool-config.js'
import {checkReachable} from '../targets/reachable.js'
import type {Target} from '../targets/types.js'
import {isRunning, listLabs, loadLab, type LabState} from './state.js'

export interface TargetFlags {
  lab?: string
  config?: string
  pool?: string
  cluster?: string
  password?: string
}

/** A lab as a Target: its cluster, or the pool its proxy serves. */
export async function labTarget(lab: LabState, options: {password?: string} = {}): Promise<Target> {
  const password = options.password ?? lab.password
  const masters = lab.nodes.filter((node) => node.role === 'master')
  if (!masters.some((node) => node.alive)) {
    throw new UserError(`Lab "${lab.name}" is not running: start it with \`twlab up --lab ${lab.name}\`.`)
  }
  if (lab.topology === 'cluster') {
    const seed = masters.find((node) => node.alive)!
    return ClusterTarget.connect(formatAddress(seed), {password})
  }
  if (!lab.proxy.configFile) {
    throw new UserError(`Lab "${lab.name}" has no nutcracker.yml describing its pool: recreate it with \`twlab up\`.`)
  }
  const config = await readPoolConfig(lab.proxy.configFile)
  return poolBackendTarget(pickPool(config, lab.proxy.pool), {password, source: `lab ${lab.name}`})
}

export async function resolveTarget(flags: TargetFlags): Promise<Target> {
  if (flags.config !== undefined) return poolFromConfig(flags.config, flags.pool, flags.password)
  if (flags.cluster !== undefined) return ClusterTarget.connect(flags.cluster, {password: flags.password})
  if (flags.lab !== undefined) return labTarget(loadLab(flags.lab), {password: flags.password})
  const running = listLabs().filter(isRunning)
  if (running.length === 1) return labTarget(running[0], {password: flags.password})
  throw new UserError(running.length === 0
    ? 'No target given and no lab is running: pass -c nutcracker.yml, --cluster HOST:PORT or --lab NAME.'
    : `No target given and ${running.length} labs are running (${running.map((lab) => lab.name).join(', ')}): say which with --lab NAME.`)
}

async function poolFromConfig(file: string, poolName: string | undefined, password: string | undefined): Promise<Target> {
  return poolBackendTarget(pickPool(await readPoolConfig(file), poolName), {password, source: file})
}

/** resolveTarget, then every node must answer before any work starts. */
export async function openTarget(flags: TargetFlags): Promise<Target> {
  const target = await resolveTarget(flags)
  try {
    await checkReachable(target)
  } catch (error) {
    await target.close()
    throw error
  }
  return target
}

/** What a cluster command was pointed at: the cluster, the lab behind it if any, and how to say it again. */
export interface ClusterChoice {
  target: ClusterTarget
  lab?: LabState
  /** the flags that name this cluster in a next-step command: `--lab NAME` or `--cluster HOST:PORT` */
  flagText: string
  /** a NODE as users write it (a lab node name, an id, a prefix, HOST:PORT) in the form ClusterTarget resolves */
  nodeSpec(spec: string): string
}

function clusterLabOf(name: string | undefined): LabState {
  if (name !== undefined) {
    const lab = loadLab(name)
    if (lab.topology !== 'cluster') {
      throw new UserError(`Lab "${lab.name}" is a ${lab.topology} lab, not a Redis Cluster: name a cluster lab with --lab, or a node with --cluster HOST:PORT.`)
    }
    return lab
  }
  const running = listLabs().filter((lab) => lab.topology === 'cluster' && isRunning(lab))
  if (running.length === 1) return running[0]
  throw new UserError(running.length === 0
    ? 'Say which cluster: --cluster HOST:PORT (any node), or --lab NAME for a cluster lab.'
    : `${running.length} cluster labs are running (${running.map((lab) => lab.name).join(', ')}): say which with --lab NAME.`)
}

/**
 * The cluster of `--cluster HOST:PORT`, of `--lab NAME`, or of the only running cluster lab.
 * With a lab, its node names (m1, m1-r1) stand for their addresses wherever a node is named.
 */
export async function openCluster(flags: {lab?: string; cluster?: string; password?: string; user?: string}): Promise<ClusterChoice> {
  const lab = flags.cluster === undefined ? clusterLabOf(flags.lab) : undefined
  const auth = {password: flags.password ?? lab?.password, username: flags.user}
  if (!lab) {
    const target = await ClusterTarget.connect(flags.cluster as string, auth)
    return {target, flagText: `--cluster ${flags.cluster}`, nodeSpec: (spec) => spec}
  }
  const live = lab.nodes.filter((node) => (node.role === 'master' || node.role === 'replica') && node.alive)
  if (live.length === 0) throw new UserError(`Lab "${lab.name}" is not running: start it with \`twlab up --lab ${lab.name}\`.`)
  let lastError: unknown
  for (const node of live) {
    try {
      const target = await ClusterTarget.connect(formatAddress(node), auth)
      return {target, lab, flagText: `--lab ${lab.name}`, nodeSpec: (spec) => labNodeSpec(lab, spec)}
    } catch (error) {
      if (error instanceof UserError && !/refused|did not answer|Cannot connect/.test(error.message)) throw error
      lastError = error
    }
  }
  throw lastError
}

/** A lab node name as HOST:PORT; anything else (ids, prefixes, addresses) unchanged. */
export function labNodeSpec(lab: LabState, spec: string): string {
  const node = lab.nodes.find((candidate) => candidate.name === spec.trim())
  return node ? formatAddress(node) : spec
}

/** Where a client of the lab connects: its proxy, or any live master of a cluster (or of a pool without proxy). */
export function labEndpoint(lab: LabState): {address: string; cluster: boolean; password?: string} {
  const proxy = lab.nodes.find((node) => node.role === 'proxy')
  if (lab.topology !== 'cluster' && proxy) {
    if (!proxy.alive) throw new UserError(`The ${lab.proxy.kind} of lab "${lab.name}" is not running: start it with \`twlab start proxy --lab ${lab.name}\`.`)
    return {address: formatAddress(proxy), cluster: false, password: lab.password}
  }
  const master = lab.nodes.find((node) => node.role === 'master' && node.alive)
  if (!master) throw new UserError(`Lab "${lab.name}" is not running: start it with \`twlab up --lab ${lab.name}\`.`)
  return {address: formatAddress(master), cluster: lab.topology === 'cluster', password: lab.password}
}

/** The lab of `--lab NAME`, or the only running one. */
export function runningLab(name: string | undefined): LabState {
  if (name !== undefined) return loadLab(name)
  const running = listLabs().filter(isRunning)
  if (running.length === 1) return running[0]
  throw new UserError(running.length === 0
    ? 'No target given and no lab is running: pass --target HOST:PORT, --cluster HOST:PORT or --lab NAME.'
    : `No target given and ${running.length} labs are running (${running.map((lab) => lab.name).join(', ')}): say which with --lab NAME.`)
}
