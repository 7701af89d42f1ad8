// A lab as a target: a cluster lab is its cluster (discovered from any live master), a pool or
// Sentinel lab is the pool of the nutcracker.yml the lab rendered for its proxy (or the cluster
// that pool was cut over to).
import type {LabState} from '../lab/state.js'
import {UserError} from '../errors.js'
import {ClusterTarget} from './cluster.js'
import {pickPool, readPoolConfig} from './pool.js'
import {poolBackendTarget} from './pool-backend.js'
import type {Target} from './types.js'

export async function labTarget(lab: LabState, options: {password?: string} = {}): Promise<Target> {
  const password = options.password ?? lab.password
  const masters = lab.nodes.filter((node) => node.role === 'master')
  if (!masters.some((node) => node.alive)) {
    throw new UserError(`Lab "${lab.name}" is not running: start it with \`twlab up --name ${lab.name}\`.`)
  }
  if (lab.topology === 'cluster') {
    const seed = masters.find((node) => node.alive)!
    return ClusterTarget.connect(`${seed.host}:${seed.port}`, {password})
  }
  if (!lab.proxy.configFile) {
    throw new UserError(`Lab "${lab.name}" has no nutcracker.yml describing its pool: recreate it with \`twlab up\`.`)
  }
  const config = await readPoolConfig(lab.proxy.configFile)
  return poolBackendTarget(pickPool(config, lab.proxy.pool), {password, source: `lab ${lab.name}`})
}
