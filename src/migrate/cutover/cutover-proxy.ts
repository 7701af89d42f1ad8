// Which proxy a cut-over switches, found before anything is copied so a wrong pid or stats
// address is refused at once rather than after an hour of copying. From a lab: its state file
// (proxy pid, nutcracker.yml, pool, stats port). From -c FILE: --proxy-pid and --proxy-stats.
// Only twproxy can switch a pool to a cluster (SIGUSR1 reload); nutcracker can neither reload
// nor talk to a Redis Cluster, so a cut-over behind it is refused with the step that fixes it.
import {parseAddress, type Address} from '../../address.js'
import type {LabState} from '../../lab/state.js'
import {UserError} from '../../errors.js'
import {DEFAULT_STATS_PORT, findProxyProcess, shellWords, statsAddressOf} from '../../targets/proxy-process.js'
import {choosePool, readPoolConfig} from '../../targets/pool-config.js'

export interface CutoverProxy {
  pid: number
  configFile: string
  pool: string
  stats: Address
  /** what to tell the user the proxy is ("twproxy of lab shop", "twproxy pid 123") */
  description: string
}

export interface CutoverProxyFlags {
  config?: string
  pool?: string
  'proxy-pid'?: number
  'proxy-stats'?: string
}

function refuseNutcracker(pid: number, restart: string): never {
  throw new UserError(`The pool is served by nutcracker (pid ${pid}), which can neither reload its configuration nor talk to a Redis Cluster, so --cutover cannot switch it.`, {
    hint: `Run the pool on twproxy first (same file, same flags: ${restart}), then run this command again; or migrate without --cutover and move clients to the cluster yourself.`,
  })
}

/** The proxy of a lab, when the migration's source is that lab. */
export function cutoverProxyOfLab(lab: LabState): CutoverProxy {
  const node = lab.nodes.find((n) => n.role === 'proxy')
  if (lab.proxy.kind === 'none' || !node || !lab.proxy.statsPort) {
    throw new UserError(`Lab "${lab.name}" has no proxy in front of its pool, so there is nothing to cut over: migrate without --cutover.`)
  }
  if (!node.alive) {
    throw new UserError(`The ${lab.proxy.kind} of lab "${lab.name}" is not running: start it with \`twlab start ${node.name} --name ${lab.name}\`, then run again.`)
  }
  if (lab.proxy.kind === 'nutcracker') {
    const twproxy = shellWords(['twproxy', ...node.launch.args, '-d'])
    refuseNutcracker(node.pid, `twlab stop ${node.name} --name ${lab.name} && ${twproxy}, then migrate with -c ${lab.proxy.configFile} --proxy-pid <its pid>`)
  }
  return {
    pid: node.pid,
    configFile: lab.proxy.configFile,
    pool: lab.proxy.pool,
    stats: {host: lab.host, port: lab.proxy.statsPort},
    description: `twproxy of lab "${lab.name}" (pid ${node.pid})`,
  }
}

/** The proxy running -c FILE, named by --proxy-pid (and --proxy-stats, default :22222). */
export async function cutoverProxyOfConfig(flags: CutoverProxyFlags): Promise<CutoverProxy> {
  const file = flags.config as string
  if (flags['proxy-pid'] === undefined) {
    throw new UserError(`--cutover with -c needs the pid of the twproxy running that file: pass --proxy-pid PID (and --proxy-stats HOST:PORT unless its stats port is the default ${DEFAULT_STATS_PORT}).`)
  }
  const pid = flags['proxy-pid']
  const running = findProxyProcess(pid)
  if (!running) throw new UserError(`No process has pid ${pid}: pass the running twproxy's pid with --proxy-pid.`)
  const {argv} = running
  if (running.program === 'nutcracker') refuseNutcracker(pid, `kill -TERM ${pid} && ${shellWords(['twproxy', ...argv.slice(1)])}`)
  if (running.program !== 'twproxy') throw new UserError(`Process ${pid} (${argv[0]}) is not twproxy: pass the pid of the twproxy running ${file} with --proxy-pid.`)
  const pool = choosePool(await readPoolConfig(file), flags.pool)
  const stats = flags['proxy-stats'] !== undefined
    ? parseAddress(flags['proxy-stats'], {what: '--proxy-stats', example: '127.0.0.1:22222'})
    : statsAddressOf(argv)
  return {pid, configFile: file, pool: pool.name, stats, description: `twproxy pid ${pid}`}
}
