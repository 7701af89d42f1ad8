// Fault injection on a running lab: kill (SIGKILL), stop (graceful), start again, pause
// (SIGSTOP/SIGCONT) and failovers (Sentinel or CLUSTER FAILOVER). Every signal goes to the pid
// the state file recorded, after checking it is still that node's process.
import {isPrimaryRole, isReplicaRole} from '../servers/traits.js'
import {tryParseAddress} from '../address.js'
import {UserError} from '../errors.js'
import {adminClient, parseInfo} from './admin-client.js'
import {stopNode} from './down.js'
import {isNodeProcess, isPaused, killProcess, launchDetached, pauseProcess, resumeProcess, waitForNode} from './processes.js'
import {setTimeout as sleep} from 'node:timers/promises'
import {findNode, writeState, type LabNode, type LabState} from './state.js'

function requireRunning(lab: LabState, node: LabNode): void {
  if (!isNodeProcess(node)) {
    throw new UserError(`${node.name} of lab "${lab.name}" is not running.`, {hint: `Start it with \`twlab start ${node.name} --lab ${lab.name}\`.`})
  }
}

export async function killNode(lab: LabState, nodeName: string): Promise<{name: string; pid: number}> {
  const node = findNode(lab, nodeName)
  requireRunning(lab, node)
  await killProcess(node.pid)
  return {name: node.name, pid: node.pid}
}

export async function stopOneNode(lab: LabState, nodeName: string): Promise<{name: string; pid: number; result: string}> {
  const node = findNode(lab, nodeName)
  requireRunning(lab, node)
  return stopNode(node)
}

/** Starts a stopped or killed node with its original command line; resumes a paused one. */
export async function startNode(lab: LabState, nodeName: string): Promise<{name: string; pid: number; action: 'started' | 'resumed'}> {
  const node = findNode(lab, nodeName)
  if (isNodeProcess(node)) {
    if (isPaused(node.pid)) {
      resumeProcess(node.pid)
      return {name: node.name, pid: node.pid, action: 'resumed'}
    }
    throw new UserError(`${node.name} of lab "${lab.name}" is already running (pid ${node.pid}).`)
  }
  node.pid = launchDetached(node.launch, node.dataDir)
  lab.status = 'running'
  writeState(lab)
  await waitForNode(node)
  return {name: node.name, pid: node.pid, action: 'started'}
}

/** SIGSTOP; with `forMs`, waits and sends SIGCONT (otherwise `twlab start` resumes it). */
export async function pauseNode(lab: LabState, nodeName: string, forMs?: number): Promise<{name: string; pid: number; resumed: boolean}> {
  const node = findNode(lab, nodeName)
  requireRunning(lab, node)
  pauseProcess(node.pid)
  if (forMs === undefined) return {name: node.name, pid: node.pid, resumed: false}
  // Resume even if we are interrupted, so a Ctrl-C never leaves a node frozen by accident.
  const resume = () => resumeProcess(node.pid)
  process.once('SIGINT', resume)
  try {
    await sleep(forMs)
  } finally {
    resume()
    process.removeListener('SIGINT', resume)
  }
  return {name: node.name, pid: node.pid, resumed: true}
}

async function liveInfo(lab: LabState, node: LabNode): Promise<Map<string, string> | undefined> {
  const client = adminClient(node, lab.password, 500)
  try {
    return parseInfo(String(await client.info('replication')))
  } catch {
    return undefined
  } finally {
    client.disconnect()
  }
}

export interface FailoverResult {
  kind: 'sentinel' | 'cluster'
  group?: string
  from?: string
  to: string
  elapsedMs: number
}

function nodeAt(lab: LabState, address: string | undefined): string | undefined {
  if (!address) return undefined
  const port = tryParseAddress(address)?.port
  return lab.nodes.find((node) => node.port === port)?.name ?? address
}

async function sentinelFailover(lab: LabState, nodeName: string | undefined, timeoutMs: number): Promise<FailoverResult> {
  const groups = lab.sentinel?.groups ?? []
  const group = nodeName === undefined ? groups[0] : groups.includes(nodeName) ? nodeName : findNode(lab, nodeName).group
  if (!group) throw new UserError(`${nodeName} is not part of a Sentinel group: name a master, a replica or a group (${groups.join(', ')}).`)
  const sentinels = lab.nodes.filter((node) => node.role === 'sentinel' && isNodeProcess(node) && !isPaused(node.pid))
  if (sentinels.length === 0) throw new UserError(`No sentinel of lab "${lab.name}" is running.`)
  const client = adminClient(sentinels[0], undefined, 2000)
  const started = Date.now()
  try {
    const before = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group)) as [string, string] | null
    const from = before ? `${before[0]}:${before[1]}` : undefined
    try {
      await client.call('SENTINEL', 'FAILOVER', group)
    } catch (error) {
      throw new UserError(`Sentinel refused to fail over ${group}: ${(error as Error).message}.`, {hint: 'A group needs a healthy replica, and no failover may be in progress.'})
    }
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const now = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group).catch(() => null)) as [string, string] | null
      const to = now ? `${now[0]}:${now[1]}` : undefined
      if (to && to !== from) return {kind: 'sentinel', group, from: nodeAt(lab, from), to: nodeAt(lab, to) ?? to, elapsedMs: Date.now() - started}
      await sleep(100)
    }
    throw new UserError(`The failover of ${group} did not finish within ${timeoutMs / 1000} s.`, {hint: 'See the sentinel logs with `twlab logs s1`.'})
  } finally {
    client.disconnect()
  }
}

async function clusterFailover(lab: LabState, nodeName: string | undefined, force: boolean, timeoutMs: number): Promise<FailoverResult> {
  const redis = lab.nodes.filter((node) => (node.role === 'master' || node.role === 'replica') && isNodeProcess(node))
  const infos = new Map<string, Map<string, string>>()
  await Promise.all(redis.map(async (node) => {
    const info = await liveInfo(lab, node)
    if (info) infos.set(node.name, info)
  }))
  const followsWhom = (node: LabNode): string | undefined => {
    const info = infos.get(node.name)
    return isReplicaRole(info?.get('role')) && info ? nodeAt(lab, `${info.get('master_host')}:${info.get('master_port')}`) : undefined
  }
  let replica: LabNode | undefined
  if (nodeName === undefined) {
    replica = redis.find((node) => followsWhom(node) !== undefined)
  } else {
    const named = findNode(lab, nodeName)
    replica = followsWhom(named) !== undefined ? named : redis.find((node) => followsWhom(node) === named.name)
    if (!replica) throw new UserError(`${nodeName} has no running replica to promote: name a replica, or a master that has one.`)
  }
  if (!replica) throw new UserError(`Lab "${lab.name}" has no running replica to promote.`)
  const from = followsWhom(replica)
  const client = adminClient(replica, lab.password, 2000)
  const started = Date.now()
  try {
    try {
      await client.call('CLUSTER', 'FAILOVER', ...(force ? ['FORCE'] : []))
    } catch (error) {
      throw new UserError(`${replica.name} refused CLUSTER FAILOVER: ${(error as Error).message}.`)
    }
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const info = await client.info('replication').then((text) => parseInfo(String(text))).catch(() => undefined)
      if (isPrimaryRole(info?.get('role'))) return {kind: 'cluster', from, to: replica.name, elapsedMs: Date.now() - started}
      await sleep(100)
    }
    throw new UserError(`${replica.name} did not become master within ${timeoutMs / 1000} s.`, {hint: force ? undefined : 'If its master is down, try again with --force.'})
  } finally {
    client.disconnect()
  }
}

export async function failover(lab: LabState, nodeName: string | undefined, options: {force?: boolean; timeoutMs?: number} = {}): Promise<FailoverResult> {
  const timeoutMs = options.timeoutMs ?? 30_000
  if (lab.topology === 'sentinel') return sentinelFailover(lab, nodeName, timeoutMs)
  if (lab.topology === 'cluster') return clusterFailover(lab, nodeName, options.force ?? false, timeoutMs)
  throw new UserError(`Lab "${lab.name}" is a pool: pools have no failover. Use \`twlab up --sentinel\` or \`--cluster\` for one.`)
}
