// `twlab up`: plan -> check ports and binaries -> render configs -> start processes -> build the
// topology -> write the state file. Any failure stops what was started and removes the folder,
// so a lab is either fully up or not there at all.
import {existsSync, mkdirSync, rmSync} from 'node:fs'
import {UserError, isUserError} from '../errors.js'
import {resolveServer} from '../servers/resolve.js'
import {resolveBinaries} from './binaries.js'
import {createCluster} from './cluster-create.js'
import {isValidLabName, labDir, twlabHome} from './home.js'
import {DEFAULT_BASE_PORT, PORT_BLOCK, planLab, portSpan, portsNeeded, validateOptions, type UpOptions} from './plan.js'
import {busyPorts} from './ports.js'
import {launchDetached, stopProcess, waitForNode} from './processes.js'
import {writeLabConfigs} from './render.js'
import {waitForReplicaLinks, waitForSentinels} from './sentinel-setup.js'
import {isRunning, listLabs, readState, writeState, type LabNode, type LabState} from './state.js'

export type Progress = (message: string) => void

function describePorts(ports: number[]): string {
  return ports.length === 1 ? `port ${ports[0]} is` : `ports ${ports.slice(0, 5).join(', ')}${ports.length > 5 ? '...' : ''} are`
}

/** Ports (from other labs' state files) that must not be handed out again, running or not. */
function portsOfOtherLabs(): Set<number> {
  return new Set(listLabs().flatMap((lab) => portsNeeded(lab)))
}

async function chooseBasePort(options: UpOptions, requested: number | undefined, planFor: (base: number) => LabState): Promise<LabState> {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1024 || requested + portSpan(options) > 65535) {
      throw new UserError(`--base-port ${requested} is out of range: use 1024 to ${65535 - portSpan(options)}.`)
    }
    const plan = planFor(requested)
    const needed = portsNeeded(plan)
    if (needed.some((port) => port > 65535)) {
      throw new UserError(`--base-port ${requested} leaves no room for cluster bus ports (port + 10000): use a base port below ${55535 - portSpan(options)}.`)
    }
    const taken = portsOfOtherLabs()
    const clash = needed.filter((port) => taken.has(port))
    if (clash.length > 0) {
      throw new UserError(`${describePorts(clash)} already given to another lab: pick another --base-port or leave it out.`, {hint: 'See `twlab ls` for the labs and their ports.'})
    }
    const busy = await busyPorts(options.host, needed)
    if (busy.length > 0) {
      throw new UserError(`${describePorts(busy)} in use on ${options.host}: pick another --base-port or stop what listens there.`)
    }
    return plan
  }
  const stride = Math.ceil(portSpan(options) / PORT_BLOCK) * PORT_BLOCK
  const taken = portsOfOtherLabs()
  for (let base = DEFAULT_BASE_PORT; base + stride < 32_000; base += stride) {
    const plan = planFor(base)
    const needed = portsNeeded(plan)
    if (needed.some((port) => taken.has(port))) continue
    if ((await busyPorts(options.host, needed)).length === 0) return plan
  }
  throw new UserError(`No free block of ${portSpan(options)} ports was found between ${DEFAULT_BASE_PORT} and 32000: pass --base-port.`)
}

async function startNodes(lab: LabState, nodes: LabNode[]): Promise<void> {
  for (const node of nodes) {
    node.pid = launchDetached(node.launch, node.dataDir)
  }
  // Record pids at once: should this process die now, `twlab down` can still find them.
  writeState(lab)
  await Promise.all(nodes.map((node) => waitForNode(node)))
}

async function teardown(lab: LabState): Promise<void> {
  await Promise.all(lab.nodes.filter((node) => node.pid > 0).map((node) => stopProcess(node.pid, 1000)))
  rmSync(lab.dir, {recursive: true, force: true})
}

export interface UpResult {
  lab: LabState
  /** from the first process start to a ready topology */
  elapsedMs: number
}

export async function upLab(options: UpOptions, requestedBasePort: number | undefined, progress: Progress = () => undefined): Promise<UpResult> {
  if (!isValidLabName(options.name)) {
    throw new UserError(`"${options.name}" is not a valid lab name: use letters, digits, ".", "_" or "-" (at most 40, starting with a letter or digit).`)
  }
  validateOptions(options)
  const existing = readState(options.name)
  if (existing && isRunning(existing)) {
    throw new UserError(`A lab named "${options.name}" is already running: use another --name, or stop it first with \`twlab down --name ${options.name}\`.`)
  }
  if (existing) {
    // Lab nodes keep no data across restarts (no RDB, no AOF), so a stopped lab holds only
    // configs and logs: replace it rather than make the user destroy it first.
    progress(`Replacing the stopped lab "${options.name}"...`)
    rmSync(labDir(options.name), {recursive: true, force: true})
  }
  const dir = labDir(options.name)
  if (existsSync(dir)) {
    throw new UserError(`${dir} exists but holds no lab state: remove it or use another --name.`)
  }
  // A server not installed yet is fetched first, as `twlab servers add` would.
  const server = await resolveServer(twlabHome(), options.server ?? 'system', {redisBin: options.redisBin, fetchMissing: true, progress})
  const binaries = resolveBinaries({...options, server})
  const lab = await chooseBasePort(options, requestedBasePort, (base) => planLab(options, base, dir, binaries))

  mkdirSync(dir, {recursive: true})
  const started = Date.now()
  try {
    writeLabConfigs(lab)
    const redis = lab.nodes.filter((node) => node.role === 'master' || node.role === 'replica')
    progress(`Starting ${redis.length} ${server.product}-server processes${server.name === 'system' ? '' : ` (${server.name}, ${server.product} ${server.version})`} on ${lab.host}:${redis[0].port}-${redis.at(-1)?.port}...`)
    await startNodes(lab, redis)
    const replicas = redis.filter((node) => node.role === 'replica')
    if (lab.topology === 'cluster') {
      progress('Creating the cluster (slots, meet, replicate) and waiting for every node to agree...')
      await createCluster(redis, {password: lab.password})
    } else if (replicas.length > 0) {
      progress('Waiting for replicas to sync...')
      await waitForReplicaLinks(replicas, lab.password)
    }
    const sentinels = lab.nodes.filter((node) => node.role === 'sentinel')
    if (sentinels.length > 0) {
      progress(`Starting ${sentinels.length} sentinels (quorum ${lab.sentinel?.quorum})...`)
      await startNodes(lab, sentinels)
      await waitForSentinels(lab)
    }
    const proxy = lab.nodes.filter((node) => node.role === 'proxy')
    if (proxy.length > 0) {
      progress(`Starting ${lab.proxy.kind} on ${lab.proxy.address}...`)
      await startNodes(lab, proxy)
    }
    const elapsedMs = Date.now() - started
    lab.upMs = elapsedMs
    lab.createdAt = new Date().toISOString()
    writeState(lab)
    return {lab, elapsedMs}
  } catch (error) {
    await teardown(lab)
    if (isUserError(error)) throw error
    throw new UserError(`Lab "${lab.name}" could not start: ${(error as Error).message}; everything it started was stopped.`, {cause: error})
  }
}
