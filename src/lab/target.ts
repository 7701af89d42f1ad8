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
import {pickPool, readPoolConfig} from '../targets/pool.js'
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
    throw new UserError(`Lab "${lab.name}" is not running: start it with \`twlab up --name ${lab.name}\`.`)
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
