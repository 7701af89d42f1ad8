// Where a pool change applies: `--lab NAME` (the lab's nutcracker.yml, pool and proxy), or
// `-c nutcracker.yml [--pool P]` with the proxy named by --proxy-pid / --pid-file (or --no-proxy
// when clients talk to the servers directly). The proxy must be known: moving keys behind a
// proxy that still routes the old way would lose writes.
import {Flags} from '@oclif/core'
import {loadLab} from '../lab/state.js'
import {targetFlags} from '../cli/target-flags.js'
import {UserError} from '../errors.js'
import {proxyFromPid, readPidFile, type PoolProxy} from './proxy.js'

const GROUP = 'TARGET'

// --lab, -c, --pool and --password are the shared target flags (a pool change has no --cluster)
export const poolChangeFlags = {
  lab: targetFlags.lab,
  config: targetFlags.config,
  pool: targetFlags.pool,
  'proxy-pid': Flags.integer({description: 'pid of the twproxy (reloaded with SIGUSR1) or nutcracker (restart step printed) running --config', exclusive: ['pid-file', 'no-proxy'], helpGroup: GROUP}),
  'pid-file': Flags.string({description: 'the proxy\'s -p pid file, instead of --proxy-pid', exclusive: ['proxy-pid', 'no-proxy'], helpGroup: GROUP}),
  'no-proxy': Flags.boolean({description: 'no proxy runs --config: clients use the servers directly', exclusive: ['proxy-pid', 'pid-file'], default: false, helpGroup: GROUP}),
  password: targetFlags.password,
}

export interface PoolChangeFlags {
  lab?: string
  config?: string
  pool?: string
  'proxy-pid'?: number
  'pid-file'?: string
  'no-proxy'?: boolean
  password?: string
}

export interface PoolChangeTarget {
  configFile: string
  poolName?: string
  proxy: PoolProxy
  password?: string
}

export function resolvePoolChangeTarget(flags: PoolChangeFlags): PoolChangeTarget {
  if (flags.config !== undefined) {
    let proxy: PoolProxy
    if (flags['proxy-pid'] !== undefined) proxy = proxyFromPid(flags['proxy-pid'])
    else if (flags['pid-file'] !== undefined) proxy = proxyFromPid(readPidFile(flags['pid-file']))
    else if (flags['no-proxy']) proxy = {kind: 'none'}
    else throw new UserError('Say which proxy runs this file with --proxy-pid PID or --pid-file FILE (or --no-proxy if none does): keys must not move behind a proxy that routes the old way.')
    return {configFile: flags.config, poolName: flags.pool, proxy, password: flags.password}
  }
  const lab = loadLab(flags.lab)
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
  return {configFile: lab.proxy.configFile, poolName: lab.proxy.pool, proxy, password: flags.password ?? lab.password}
}
