// Where a pool change applies: a lab (its nutcracker.yml, pool and proxy), or a nutcracker.yml
// with the proxy named by its pid or pid file (or no proxy, when clients talk to the servers
// directly). The proxy must be known: moving keys behind a proxy that still routes the old way
// would lose writes.
import {loadLab} from '../lab/state.js'
import {UserError} from '../errors.js'
import {readPidFile} from '../targets/proxy-process.js'
import {proxyFromPid, type PoolProxy} from './proxy.js'

/** What the user named (the command's --lab, -c, --pool, --proxy-pid, --pid-file, --no-proxy). */
export interface PoolChangeTargetRequest {
  lab?: string
  configFile?: string
  pool?: string
  proxyPid?: number
  pidFile?: string
  noProxy?: boolean
  password?: string
}

export interface PoolChangeTarget {
  configFile: string
  poolName?: string
  proxy: PoolProxy
  password?: string
}

export function resolvePoolChangeTarget(request: PoolChangeTargetRequest): PoolChangeTarget {
  return request.configFile !== undefined ? configTarget(request.configFile, request) : labTarget(request)
}

function configTarget(configFile: string, request: PoolChangeTargetRequest): PoolChangeTarget {
  let proxy: PoolProxy
  if (request.proxyPid !== undefined) proxy = proxyFromPid(request.proxyPid)
  else if (request.pidFile !== undefined) proxy = proxyFromPid(readPidFile(request.pidFile))
  else if (request.noProxy) proxy = {kind: 'none'}
  else throw new UserError('Say which proxy runs this file with --proxy-pid PID or --pid-file FILE (or --no-proxy if none does): keys must not move behind a proxy that routes the old way.')
  return {configFile, poolName: request.pool, proxy, password: request.password}
}

function labTarget(request: PoolChangeTargetRequest): PoolChangeTarget {
  const lab = loadLab(request.lab)
  if (lab.topology === 'cluster') throw new UserError(`Lab "${lab.name}" is a Redis Cluster: use \`twlab cluster add-node\` / \`del-node\` and \`twlab reshard\` there.`)
  if (!lab.proxy.configFile) throw new UserError(`Lab "${lab.name}" has no nutcracker.yml describing its pool: recreate it with \`twlab up\`.`)
  const node = lab.nodes.find((n) => n.role === 'proxy')
  let proxy: PoolProxy = {kind: 'none'}
  if (lab.proxy.kind !== 'none' && node) {
    if (!node.alive) throw new UserError(`The ${lab.proxy.kind} of lab "${lab.name}" is not running: start it with \`twlab start ${node.name} --name ${lab.name}\`.`)
    proxy = lab.proxy.kind === 'twproxy'
      ? {kind: 'twproxy', pid: node.pid}
      : {kind: 'nutcracker', pid: node.pid, restartStep: `twlab stop ${node.name} --name ${lab.name} && twlab start ${node.name} --name ${lab.name}`}
  }
  return {configFile: lab.proxy.configFile, poolName: lab.proxy.pool, proxy, password: request.password ?? lab.password}
}
