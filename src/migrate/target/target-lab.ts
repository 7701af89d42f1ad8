// `twlab migrate --to-cluster` with no address, from a lab: the target is a lab cluster of its
// own, named after the source lab (<lab>-cluster), started the way `twlab up --cluster` starts
// one. A running one is used again (the caller refuses it when it holds keys and the migration
// is not a --resume: those may be another migration's keys).
import {isRunning, listLabs, loadLab, readState, type LabState} from '../../lab/state.js'
import {UserError} from '../../errors.js'
import type {Address} from '../../address.js'

export interface TargetLabOptions {
  masters: number
  replicas: number
  /** first port of a new lab (default: the first free block, as `twlab up` picks it) */
  basePort?: number
  /** continuing a migration: a stopped target lab is started again with its data (refused when --ephemeral) */
  resume: boolean
  note: (message: string) => void
}

export interface TargetLab {
  name: string
  /** a master to reach the cluster through */
  address: Address
  created: boolean
}

/**
 * The source lab's target cluster lab when it is running; `why` says why none is created here.
 */
export function existingTargetLab(source: LabState, why: string): TargetLab {
  const name = targetLabName(source)
  const existing = readState(name)
  if (!existing || !isRunning(loadLab(name)) || existing.topology !== 'cluster') {
    throw new UserError(`A bare --to-cluster means lab "${name}", which is not running, and ${why}: run \`twlab migrate --lab ${source.name} --to-cluster\` to create it, or give --to-cluster HOST:PORT.`)
  }
  return {name, address: firstMaster(existing), created: false}
}

/**
 * The lab a migration reads from, when the source is a lab: --lab NAME, or (no source given at
 * all) the only running pool lab. Undefined for -c and --from. The caller names it to the source
 * resolution, so a target lab started meanwhile does not make "the only running lab" ambiguous.
 */
export function sourceLabOf(flags: {lab?: string; config?: string; from?: string}): LabState | undefined {
  if (flags.config !== undefined || flags.from !== undefined) return undefined
  if (flags.lab !== undefined) return loadLab(flags.lab)
  // A cluster lab is never a source (it may well be the target of an earlier run): the only
  // running pool or Sentinel lab is.
  const running = listLabs().filter((lab) => lab.topology !== 'cluster' && isRunning(lab))
  return running.length === 1 ? running[0] : undefined
}

/** what a bare --to-cluster (no address) stands for: the source lab's own cluster lab */
export const NEW_LAB_CLUSTER = 'new'

export function targetLabName(source: LabState): string {
  return `${source.name}-cluster`
}

function firstMaster(lab: LabState): Address {
  const node = lab.nodes.find((n) => n.role === 'master')
  if (!node) throw new UserError(`Lab "${lab.name}" has no master node: destroy it (twlab destroy --name ${lab.name} --yes) and run again.`)
  return {host: node.host, port: node.port}
}

export async function ensureTargetLab(source: LabState, options: TargetLabOptions): Promise<TargetLab> {
  if (source.topology === 'cluster') {
    throw new UserError(`Lab "${source.name}" is already a Redis Cluster: migrate copies a pool lab into a cluster.`)
  }
  const name = targetLabName(source)
  const existing = readState(name)
  if (existing && isRunning(loadLab(name))) {
    if (existing.topology !== 'cluster') {
      throw new UserError(`Lab "${name}" exists and is not a cluster: remove it (twlab destroy --name ${name} --yes) or give --to-cluster HOST:PORT.`)
    }
    options.note(`Migrating into the existing target lab "${name}".`)
    return {name, address: firstMaster(existing), created: false}
  }
  if (options.resume && existing) {
    if (existing.ephemeral) {
      throw new UserError(`The target lab "${name}" of the migration being resumed is stopped, and it was made --ephemeral so its nodes kept no data: start over with --restart.`)
    }
    const {restartLab} = await import('../../lab/up.js')
    const {lab} = await restartLab(loadLab(name), options.note)
    return {name, address: firstMaster(lab), created: false}
  }
  options.note(`Creating the target lab "${name}": a Redis Cluster of ${options.masters} masters, ${options.replicas} replica(s) each...`)
  // loaded here: starting processes pulls in modules no other migrate path needs
  const {upLab} = await import('../../lab/up.js')
  const {lab} = await upLab({
    name,
    topology: 'cluster',
    masters: options.masters,
    replicas: options.replicas,
    proxy: 'none',
    hash: source.proxy.hash,
    distribution: source.proxy.distribution,
    host: source.host,
    redisBin: undefined,
    // the same server as the source lab's (Valkey stays Valkey, Redis 8 stays Redis 8)
    server: source.nodes.find((node) => node.server)?.server?.name,
    nodeTimeoutMs: 2000,
    downAfterMs: 1000,
    failoverTimeoutMs: 5000,
  }, options.basePort, options.note)
  return {name, address: firstMaster(lab), created: true}
}
