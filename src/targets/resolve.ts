// Which live data a command works on, the same way for every command (keys, reshard, migrate):
// `--lab NAME`, `-c nutcracker.yml [--pool NAME]`, or `--cluster HOST:PORT`; with none of them
// and exactly one lab running, that lab. `--password` overrides what the config or lab says.
import {isRunning, listLabs, loadLab} from '../lab/state.js'
import {UserError} from '../errors.js'
import {ClusterTarget} from './cluster.js'
import {labTarget} from './lab.js'
import {checkReachable} from './reachable.js'
import {pickPool, readPoolConfig} from './pool.js'
import {poolBackendTarget} from './pool-backend.js'
import type {Target} from './types.js'

export interface TargetFlags {
  lab?: string
  config?: string
  pool?: string
  cluster?: string
  password?: string
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
