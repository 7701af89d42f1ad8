// `twlab up`: plan -> check ports and binaries -> render configs -> start processes -> build the
// topology -> write the state file. Any failure stops what was started and removes the folder,
// so a lab is either fully up or not there at all. A stopped lab of that name is started again
// instead, with its data: the same ports and folder, every node loading what it saved when it
// stopped (and a cluster its nodes.conf); asking for another shape is refused rather than
// silently dropping the data.
import {existsSync, mkdirSync, rmSync} from 'node:fs'
import {UserError, isUserError} from '../errors.js'
import {setTimeout as sleep} from 'node:timers/promises'
import {withAdminClient} from './admin-client.js'
import {downLab} from './down.js'
import {describeLab} from './summary.js'
import {resolveServer} from '../servers/resolve.js'
import {resolveBinaries} from './binaries.js'
import {createCluster, waitForClusterReady} from './cluster-create.js'
import {isValidLabName, labDir, twlabHome} from './home.js'
import {CLUSTER_BUS_OFFSET, DEFAULT_BASE_PORT, LOWEST_AUTO_BASE_PORT, PORT_BLOCK, planLab, portSpan, portsNeeded, validateOptions, type UpOptions} from './plan.js'
import {busyPorts, ephemeralRange, inEphemeralRange} from './ports.js'
import {launchDetached, stopProcess, waitForNode} from './processes.js'
import {writeLabConfigs} from './render.js'
import {makeLabCertificates} from './tls-certs.js'
import {registerTls} from '../targets/connection-access.js'
import {join} from 'node:path'
import {waitForReplicaLinks, waitForSentinels} from './sentinel-setup.js'
import {isRunning, listLabs, loadLab, readState, redisNodes, writeState, type LabNode, type LabState} from './state.js'

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
    const range = ephemeralRange()
    const ephemeralBus = inEphemeralRange(busPorts(plan), range)
    if (ephemeralBus.length > 0) {
      throw new UserError(`--base-port ${requested} puts cluster bus ports (${ephemeralBus[0]}...) in the kernel's ephemeral range ${range[0]}-${range[1]}, where any outgoing connection may take them: use a base port below ${range[0] - CLUSTER_BUS_OFFSET - portSpan(options)}, or leave it out.`)
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
  const taken = portsOfOtherLabs()
  const [low] = ephemeralRange()
  for (const base of candidateBasePorts(options, low)) {
    const plan = planFor(base)
    const needed = portsNeeded(plan)
    // every port, bus ports included, below the ephemeral range: no client can have borrowed it
    if (needed.some((port) => taken.has(port) || port >= low)) continue
    if ((await busyPorts(options.host, needed)).length === 0) return plan
  }
  throw new UserError(`No free block of ${portSpan(options)} ports (with cluster bus ports below ${low}) was found from ${LOWEST_AUTO_BASE_PORT}: pass --base-port.`)
}

/** Base ports to try: from 21000 up, then the blocks below it; only those whose ports can all stay below `low`. */
function* candidateBasePorts(options: UpOptions, low: number): Generator<number> {
  const stride = Math.ceil(portSpan(options) / PORT_BLOCK) * PORT_BLOCK
  for (let base = DEFAULT_BASE_PORT; base + stride <= low; base += stride) yield base
  for (let base = DEFAULT_BASE_PORT - stride; base >= LOWEST_AUTO_BASE_PORT; base -= stride) yield base
}

function busPorts(plan: LabState): number[] {
  return plan.nodes.flatMap((node) => (node.busPort ? [node.busPort] : []))
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
    throw new UserError(`A lab named "${options.name}" is already running: use another --lab, or stop it first with \`twlab down --lab ${options.name}\`.`)
  }
  if (existing) {
    // A stopped lab keeps its data and ports: start it again as it was.
    refuseOtherShape(existing, options, requestedBasePort)
    return restartLab(loadLab(options.name), progress)
  }
  const dir = labDir(options.name)
  if (existsSync(dir)) {
    throw new UserError(`${dir} exists but holds no lab state: remove it or use another --lab.`)
  }
  // A server not installed yet is fetched first, as `twlab servers add` would.
  const server = await resolveServer(twlabHome(), options.server ?? 'system', {redisBin: options.redisBin, fetchMissing: true, progress})
  const binaries = resolveBinaries({...options, server})
  const lab = await chooseBasePort(options, requestedBasePort, (base) => planLab(options, base, dir, binaries))

  mkdirSync(dir, {recursive: true})
  const started = Date.now()
  try {
    if (options.tls) {
      progress('Making the lab\'s certificate authority and node certificate (openssl)...')
      lab.tls = await makeLabCertificates(join(dir, 'tls'), lab.name)
      registerTls(lab.nodes, lab.tls)
    }
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

// A stopped lab started again.


/** The first field the user asked for that the existing lab does not have, as words. */
function shapeConflict(lab: LabState, given: NonNullable<UpOptions['given']>): string | undefined {
  if (given.topology !== undefined && given.topology !== lab.topology) return `it is a ${lab.topology} lab, not a ${given.topology} one`
  if (given.masters !== undefined && given.masters !== lab.masters) return `it has ${lab.masters} masters, not ${given.masters}`
  if (given.replicas !== undefined && given.replicas !== lab.replicas) return `it has ${lab.replicas} replicas per master, not ${given.replicas}`
  return undefined
}

export function refuseOtherShape(lab: LabState, options: UpOptions, requestedBasePort: number | undefined): void {
  const given = options.given ?? {topology: options.topology, masters: options.masters, replicas: options.replicas}
  const conflict = shapeConflict(lab, given) ?? (requestedBasePort !== undefined && requestedBasePort !== lab.basePort
    ? `its ports start at ${lab.basePort}, not ${requestedBasePort}` : undefined)
  if (conflict) {
    throw new UserError(`Lab "${lab.name}" exists (stopped) and keeps its data, but ${conflict}.`, {
      hint: `Start it again as it was with \`twlab up --lab ${lab.name}\`, pick another --lab, or remove it first with \`twlab destroy --lab ${lab.name}\`.`,
    })
  }
}

/** Until the node answers PING (not LOADING): a node with a big snapshot listens before it has loaded it. */
async function waitLoaded(lab: LabState, node: LabNode, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 10_000; attempt++) {
    try {
      await withAdminClient(node, lab.password, (client) => client.ping())
      return
    } catch (error) {
      if (Date.now() > deadline) throw new UserError(`${node.name} did not finish loading its data within ${timeoutMs / 1000} s: ${(error as Error).message}.`, {hint: `Its log is ${node.logFile}.`})
    }
    await sleep(attempt < 50 ? 10 : 50)
  }
}

async function startAll(lab: LabState, nodes: LabNode[]): Promise<void> {
  for (const node of nodes) node.pid = launchDetached(node.launch, node.dataDir)
  writeState(lab)
  await Promise.all(nodes.map((node) => waitForNode(node)))
}

export async function restartLab(lab: LabState, progress: (message: string) => void): Promise<UpResult> {
  const busy = await busyPorts(lab.host, portsNeeded(lab))
  if (busy.length > 0) {
    throw new UserError(`Lab "${lab.name}" cannot start again: port ${busy.slice(0, 3).join(', ')} of it is in use now.`, {
      hint: `Stop what listens there, or remove the lab with \`twlab destroy --lab ${lab.name}\` and start a new one.`,
    })
  }
  progress(`Starting the stopped lab "${lab.name}" again (${describeLab(lab)}) with its data${lab.ephemeral ? ' (none: it is --ephemeral)' : ''}...`)
  const started = Date.now()
  lab.status = 'running'
  try {
    const redis = redisNodes(lab)
    await startAll(lab, redis)
    await Promise.all(redis.map((node) => waitLoaded(lab, node)))
    if (lab.topology === 'cluster') await waitForClusterReady(redis, {password: lab.password})
    const sentinels = lab.nodes.filter((node) => node.role === 'sentinel')
    if (sentinels.length > 0) {
      await startAll(lab, sentinels)
      await waitForSentinels(lab)
    }
    const proxy = lab.nodes.filter((node) => node.role === 'proxy')
    if (proxy.length > 0) await startAll(lab, proxy)
  } catch (error) {
    // stop what started; the folder and its data stay for the next try
    await downLab(lab)
    if (isUserError(error)) throw error
    throw new UserError(`Lab "${lab.name}" could not start again: ${(error as Error).message}; what started was stopped, its data stays.`, {cause: error})
  }
  const elapsedMs = Date.now() - started
  writeState(lab)
  return {lab, elapsedMs}
}
