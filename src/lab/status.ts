// Live status of a lab: for each node whether its process is alive (or paused), its current role
// and master (after failovers these differ from what `up` created), keys, memory, cluster slots,
// and for Sentinel labs which master each group's sentinels report (a node that still claims
// master when they report another is flagged), and, after a cut-over, the cluster the proxy serves
// (a pool lab whose proxy's nutcracker.yml says `cluster: [...]` instead of `servers:`; `destroy`
// of that cluster lab is refused without --force, or the proxy would hang every request).
import {formatAddress, tryParseAddress} from '../address.js'
import {describeVersion, isReplicaRole, versionFromInfo} from '../servers/traits.js'
import {formatRanges, parseClusterNodes} from '../targets/cluster-nodes.js'
import {adminClient, parseInfo} from './admin-client.js'
import {isPaused} from './processes.js'
import {clusterSeedsOf} from '../config/index.js'
import {pickPool, readPoolConfig} from '../targets/pool-config.js'
import {listLabs, type LabNode, type LabState, type NodeRole} from './state.js'

export interface NodeStatus {
  name: string
  /** the live role; `createdAs` is the role `up` gave it */
  role: NodeRole | 'unknown'
  createdAs: NodeRole
  host: string
  port: number
  address: string
  pid: number
  alive: boolean
  paused: boolean
  /** whether it answered PING just now */
  responding: boolean
  /** redis nodes and sentinels: the server it was started with ("system", "valkey-9.1"...) */
  server?: string
  /** what the running server reports ("valkey 9.1.2"), or, when it does not answer, what it reported at `up` */
  version?: string
  /** replicas: the node name (or host:port if not a lab node) of the master it follows now */
  master?: string
  /** replicas: master_link_status */
  link?: string
  keys?: number
  /** used_memory in bytes */
  memory?: number
  /** used_memory_human ("919.60K"), for people */
  memoryHuman?: string
  /** cluster masters: the slot ranges they serve, "0-5460" */
  slots?: string
  clusterState?: string
  group?: string
  /** nodes of a Sentinel group: the node its sentinels report as the group's master */
  sentinelMaster?: string
  /** a node that says it is master while its group's sentinels report another one */
  staleMaster?: boolean
}

export interface GroupStatus {
  group: string
  /** host:port the majority of responding sentinels report */
  master?: string
  masterNode?: string
  /** how many sentinels answered with that master */
  agreeing: number
}

export interface LabStatus {
  name: string
  topology: LabState['topology']
  dir: string
  proxy: LabState['proxy']
  password?: string
  /** --user: the ACL user on every node (its password is `password`) */
  user?: string
  /** --tls: the CA, and the certificate and key every node presents (clients may present them too) */
  tls?: {caFile: string; certFile: string; keyFile: string}
  /** --read-from: where the proxy sends reads */
  readFrom?: string
  nodes: NodeStatus[]
  groups?: GroupStatus[]
  /** after a cut-over: the cluster the lab's proxy serves instead of the pool */
  fronts?: FrontedCluster
}

function nameOf(lab: LabState, host: string, port: number): string {
  return lab.nodes.find((node) => node.port === port && (node.host === host || host === '127.0.0.1' || host === 'localhost'))?.name ?? `${host}:${port}`
}

function keysFromInfo(info: Map<string, string>): number {
  let total = 0
  for (const [field, value] of info) {
    if (/^db\d+$/.test(field)) total += Number(/keys=(\d+)/.exec(value)?.[1] ?? 0)
  }
  return total
}

async function redisNodeStatus(lab: LabState, node: LabNode, base: NodeStatus): Promise<NodeStatus> {
  const client = adminClient(node, lab.password, 500)
  try {
    const info = parseInfo(String(await client.info()))
    const status: NodeStatus = {...base, responding: true}
    status.role = isReplicaRole(info.get('role')) ? 'replica' : 'master'
    const version = versionFromInfo(info)
    if (version) status.version = describeVersion(version)
    if (status.role === 'replica') {
      status.master = nameOf(lab, info.get('master_host') ?? '', Number(info.get('master_port')))
      status.link = info.get('master_link_status')
    }
    status.keys = keysFromInfo(info)
    const memory = Number(info.get('used_memory'))
    if (Number.isFinite(memory)) status.memory = memory
    status.memoryHuman = info.get('used_memory_human')
    if (lab.topology === 'cluster') {
      const clusterInfo = parseInfo(String(await client.call('CLUSTER', 'INFO')))
      status.clusterState = clusterInfo.get('cluster_state')
      const myself = parseClusterNodes(String(await client.call('CLUSTER', 'NODES')), node.host).find((line) => line.myself)
      if (myself && status.role === 'master') status.slots = myself.slots.length > 0 ? formatRanges(myself.slots) : ''
    }
    return status
  } catch {
    return base
  } finally {
    client.disconnect()
  }
}

async function sentinelGroups(lab: LabState, statuses: NodeStatus[]): Promise<GroupStatus[]> {
  const sentinels = lab.nodes.filter((node) => node.role === 'sentinel')
  const groups: GroupStatus[] = []
  for (const group of lab.sentinel?.groups ?? []) {
    const answers = await Promise.all(sentinels.filter((node) => statuses.find((s) => s.name === node.name)?.responding).map(async (sentinel) => {
      const client = adminClient(sentinel, undefined, 500)
      try {
        const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group)) as [string, string] | null
        return reply ? `${reply[0]}:${reply[1]}` : undefined
      } catch {
        return undefined
      } finally {
        client.disconnect()
      }
    }))
    const counts = new Map<string, number>()
    for (const answer of answers) if (answer) counts.set(answer, (counts.get(answer) ?? 0) + 1)
    const [master, agreeing] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [undefined, 0]
    const address = master === undefined ? undefined : tryParseAddress(master)
    groups.push({group, master, masterNode: address ? nameOf(lab, address.host, address.port) : undefined, agreeing})
  }
  return groups
}

async function sentinelNodeStatus(node: LabNode, base: NodeStatus): Promise<NodeStatus> {
  const client = adminClient(node, undefined, 500)
  try {
    const version = versionFromInfo(parseInfo(String(await client.info('server'))))
    return {...base, role: 'sentinel', responding: true, ...(version ? {version: describeVersion(version)} : {})}
  } catch {
    return base
  } finally {
    client.disconnect()
  }
}

/** The server a node was started with; labs from before servers could be chosen ran the system's. */
function recordedServer(node: LabNode): Pick<NodeStatus, 'server' | 'version'> {
  if (node.role === 'proxy') return {}
  const server = node.server ?? {name: 'system', product: 'redis' as const}
  return {server: server.name, ...(server.version ? {version: describeVersion({product: server.product, version: server.version})} : {})}
}

export async function labStatus(lab: LabState): Promise<LabStatus> {
  const nodes = await Promise.all(lab.nodes.map(async (node) => {
    const alive = node.alive ?? false
    const paused = alive && isPaused(node.pid)
    const base: NodeStatus = {
      name: node.name, role: 'unknown', createdAs: node.role, host: node.host, port: node.port, address: `${node.host}:${node.port}`,
      pid: node.pid, alive, paused, responding: false, ...(node.group ? {group: node.group} : {}), ...recordedServer(node),
    }
    if (!alive || paused) return {...base, role: node.role === 'proxy' || node.role === 'sentinel' ? node.role : 'unknown'} as NodeStatus
    if (node.role === 'proxy') return {...base, role: 'proxy' as const, responding: true}
    if (node.role === 'sentinel') return sentinelNodeStatus(node, base)
    return redisNodeStatus(lab, node, base)
  }))
  const result: LabStatus = {name: lab.name, topology: lab.topology, dir: lab.dir, proxy: lab.proxy, nodes}
  if (lab.password) result.password = lab.password
  if (lab.user) result.user = lab.user
  if (lab.tls) result.tls = {caFile: lab.tls.caFile, certFile: lab.tls.certFile, keyFile: lab.tls.keyFile}
  if (lab.readFrom) result.readFrom = lab.readFrom
  if (lab.topology === 'sentinel') {
    result.groups = await sentinelGroups(lab, nodes)
    for (const node of nodes) {
      const group = result.groups.find((candidate) => candidate.group === node.group)
      if (group?.masterNode && node.createdAs !== 'sentinel') node.sentinelMaster = group.masterNode
      if (group?.masterNode && node.role === 'master' && group.masterNode !== node.name) node.staleMaster = true
    }
  }
  const fronts = await frontedCluster(lab)
  if (fronts) result.fronts = fronts
  return result
}

// After a cut-over: which proxy fronts which cluster.

export interface FrontedCluster {
  /** the cluster seeds in the proxy's config, HOST:PORT */
  seeds: string[]
  /** the cluster lab those seeds belong to, when there is one */
  lab?: string
}
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])

function sameAddress(a: {host: string; port: number}, b: {host: string; port: number}): boolean {
  return a.port === b.port && (a.host === b.host || (LOOPBACK.has(a.host) && LOOPBACK.has(b.host)))
}

/** The cluster a (non-cluster) lab's proxy serves since a cut-over; undefined while it serves its pool. */
export async function frontedCluster(lab: LabState, labs: LabState[] = listLabs()): Promise<FrontedCluster | undefined> {
  if (lab.topology === 'cluster' || !lab.proxy.configFile || lab.proxy.kind === 'none') return undefined
  let seeds
  try {
    seeds = clusterSeedsOf(pickPool(await readPoolConfig(lab.proxy.configFile), lab.proxy.pool))
  } catch {
    return undefined
  }
  if (!seeds || seeds.length === 0) return undefined
  const owner = labs.find((other) => other.topology === 'cluster' && other.nodes.some((node) => seeds.some((seed) => sameAddress(node, seed))))
  return {seeds: seeds.map(formatAddress), ...(owner ? {lab: owner.name} : {})}
}

/** The labs whose proxy fronts `cluster` (a cluster lab). */
export async function labsFronting(cluster: LabState): Promise<LabState[]> {
  const labs = listLabs()
  const fronting: LabState[] = []
  for (const lab of labs) {
    if ((await frontedCluster(lab, labs))?.lab === cluster.name) fronting.push(lab)
  }
  return fronting
}
