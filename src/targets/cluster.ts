// A Redis Cluster as a Target: the slot map discovered from any node (CLUSTER NODES), one
// ioredis client per node, ownerOf(key) by key slot, and the migrating/importing states that
// resharding and `cluster fix` work from. refresh() re-reads the map after a change.
import type {Redis} from 'ioredis'
import {parseAddress, type Address} from '../address.js'
import {CLUSTER_SLOTS, keySlot} from '../hashing/index.js'
import {UserError, describeSystemError} from '../errors.js'
import {closeClients, createClient} from './client-factory.js'
import {parseClusterNodes, rangesOf, slotsOf, type ClusterNodeInfo} from './cluster-nodes.js'
import type {Target, TargetNode} from './types.js'

export interface ClusterAuth {
  password?: string
  username?: string
}

/** A slot some node is moving: who migrates it where, who imports it from where. */
export interface OpenSlot {
  slot: number
  owner?: string
  migrating: Array<{node: string; to: string}>
  importing: Array<{node: string; from: string}>
}

/** A cluster node's address as users write it ("127.0.0.1:7000", "[::1]:7000"). */
function parseNodeAddress(text: string, what: string): Address {
  return parseAddress(text, {what, example: '127.0.0.1:7000'})
}

/** Opens a client to one node, failing fast with one sentence when it cannot be reached. */
export async function connectNode(host: string, port: number, auth: ClusterAuth = {}): Promise<Redis> {
  // `admin`: a node that goes away mid-operation is retried briefly, then its commands fail
  // instead of queueing forever: resharding must notice a dead node, not hang on it.
  const client = createClient({host, port}, {policy: 'admin', ...auth})
  // ioredis reports the cause (ECONNREFUSED...) as an event and rejects connect() with a generic
  // "Connection is closed"; keep the first cause for the message.
  let cause: unknown
  client.on('error', (error) => (cause ??= error))
  try {
    await client.connect()
  } catch (rejection) {
    client.disconnect()
    const error = cause ?? rejection
    const message = (error as Error).message ?? ''
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message)) {
      throw new UserError(`The node at ${host}:${port} refused the password: pass the right one with --password.`, {cause: error})
    }
    throw new UserError(describeSystemError(error, `The node at ${host}:${port}`) ?? `Cannot connect to ${host}:${port}: ${message}`, {cause: error})
  }
  return client
}

export class ClusterTarget implements Target {
  readonly kind = 'cluster' as const
  private view: ClusterNodeInfo[] = []
  private owners: Array<string | undefined> = new Array(CLUSTER_SLOTS)
  private readonly clients = new Map<string, Redis>()
  private seed: {host: string; port: number}

  private constructor(seed: {host: string; port: number}, readonly auth: ClusterAuth) {
    this.seed = seed
  }

  /** Connects to any node of the cluster (HOST:PORT) and reads the slot map from it. */
  static async connect(address: string, auth: ClusterAuth = {}): Promise<ClusterTarget> {
    const target = new ClusterTarget(parseNodeAddress(address, 'The cluster node address'), auth)
    try {
      await target.refresh()
    } catch (error) {
      await target.close()
      throw error
    }
    return target
  }

  get description(): string {
    return `cluster at ${this.seed.host}:${this.seed.port} (${this.masters().length} masters, ${this.view.length} nodes)`
  }

  /** Re-reads CLUSTER NODES: from the seed, or from any node known before if the seed is gone. */
  async refresh(): Promise<void> {
    const candidates = [this.seed, ...this.view.filter((node) => !node.failing).map((node) => ({host: node.host, port: node.port}))]
    let lastError: unknown
    for (const candidate of candidates) {
      try {
        const client = await this.clientAt(candidate.host, candidate.port)
        const text = await clusterNodesText(client, `${candidate.host}:${candidate.port}`)
        const view = parseClusterNodes(text, candidate.host)
        await this.readOwnSlotStates(view)
        this.load(view)
        this.seed = candidate
        return
      } catch (error) {
        if (error instanceof UserError && !/refused the connection|did not answer|Cannot connect/.test(error.message)) throw error
        lastError = error
      }
    }
    throw lastError
  }

  /**
   * A node shows its MIGRATING/IMPORTING states only in its own ("myself") line, so ask every
   * reachable master for its own line. A master that does not answer keeps what the seed said.
   */
  private async readOwnSlotStates(view: ClusterNodeInfo[]): Promise<void> {
    const claims = new Map<ClusterNodeInfo, Array<[number, number]>>()
    await Promise.all(view.filter((node) => node.role === 'master' && !node.failing && !node.myself).map(async (node) => {
      try {
        const own = (await this.viewOf(node)).find((entry) => entry.myself)
        if (own) {
          node.migrating = own.migrating
          node.importing = own.importing
          if (own.role === 'master') claims.set(node, own.slots)
        }
      } catch {
        // unreachable: it cannot be migrating anything we could act on right now
      }
    }))
    adoptClaimsOfFailedOwners(view, claims)
  }

  /** The CLUSTER NODES view of one node (for comparing what nodes believe). */
  async viewOf(node: ClusterNodeInfo): Promise<ClusterNodeInfo[]> {
    return parseClusterNodes(await clusterNodesText(await this.clientAt(node.host, node.port), node.address), node.host)
  }

  private load(view: ClusterNodeInfo[]): void {
    this.view = view
    this.owners = new Array(CLUSTER_SLOTS)
    for (const node of view) {
      if (node.role !== 'master') continue
      for (const [start, end] of node.slots) for (let slot = start; slot <= end; slot++) this.owners[slot] = node.id
    }
  }

  /** Every node the cluster knows, replicas and failing ones included. */
  allNodes(): ClusterNodeInfo[] {
    return this.view
  }

  /** Masters that are not failing (with or without slots). */
  masters(): ClusterNodeInfo[] {
    return this.view.filter((node) => node.role === 'master' && !node.failing)
  }

  replicasOf(masterId: string): ClusterNodeInfo[] {
    return this.view.filter((node) => node.role === 'replica' && node.masterId === masterId)
  }

  byId(id: string): ClusterNodeInfo | undefined {
    return this.view.find((node) => node.id === id)
  }

  nodes(): TargetNode[] {
    return this.masters().map(toTargetNode)
  }

  ownerOfSlot(slot: number): ClusterNodeInfo | undefined {
    const id = this.owners[slot]
    return id === undefined ? undefined : this.byId(id)
  }

  ownerOf(key: Uint8Array | string): TargetNode {
    const slot = keySlot(key)
    const owner = this.ownerOfSlot(slot)
    if (!owner) throw new UserError(`No node serves slot ${slot}: run \`twlab cluster fix\` to cover it.`)
    return toTargetNode(owner)
  }

  /** Slots no master serves. */
  uncoveredSlots(): number[] {
    const slots: number[] = []
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (this.owners[slot] === undefined) slots.push(slot)
    return slots
  }

  /** Slots some node of this view marks migrating or importing. */
  openSlots(): OpenSlot[] {
    const open = new Map<number, OpenSlot>()
    const entry = (slot: number): OpenSlot => {
      let found = open.get(slot)
      if (!found) open.set(slot, (found = {slot, owner: this.owners[slot], migrating: [], importing: []}))
      return found
    }
    for (const node of this.view) {
      for (const [slot, to] of node.migrating) entry(slot).migrating.push({node: node.id, to})
      for (const [slot, from] of node.importing) entry(slot).importing.push({node: node.id, from})
    }
    return [...open.values()].sort((a, b) => a.slot - b.slot)
  }

  /**
   * NODE as users write it: a node id, a unique prefix of one, or host:port.
   * Throws one sentence naming the spec when it matches nothing or more than one node.
   */
  resolveNode(spec: string): ClusterNodeInfo {
    const text = spec.trim()
    if (text.includes(':')) {
      const {host, port} = parseNodeAddress(text, 'The node')
      const byAddress = this.view.filter((node) => node.port === port && (node.host === host || sameLoopback(node.host, host)))
      if (byAddress.length === 1) return byAddress[0]
      throw new UserError(`No cluster node listens on ${text}: use an address or id from \`twlab cluster check\`.`)
    }
    const matches = this.view.filter((node) => node.id.startsWith(text.toLowerCase()))
    if (matches.length === 1 && text.length > 0) return matches[0]
    if (matches.length > 1) throw new UserError(`The node id prefix "${text}" matches ${matches.length} nodes: give more characters of the id.`)
    throw new UserError(`No cluster node has the id "${text}": use an id or host:port from \`twlab cluster check\`.`)
  }

  client(node: TargetNode | ClusterNodeInfo): Redis {
    const existing = this.clients.get(`${node.host}:${node.port}`)
    if (existing) return existing
    const client = nodeClient(node.host, node.port, this.auth)
    this.clients.set(`${node.host}:${node.port}`, client)
    return client
  }

  /** A connected client for host:port (created once and reused). */
  async clientAt(host: string, port: number): Promise<Redis> {
    const key = `${host}:${port}`
    const existing = this.clients.get(key)
    if (existing && ['ready', 'connect', 'connecting'].includes(existing.status)) return existing
    if (existing) {
      this.clients.delete(key)
      existing.disconnect()
    }
    const client = await connectNode(host, port, this.auth)
    this.clients.set(key, client)
    return client
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()]
    this.clients.clear()
    await closeClients(clients)
  }
}

/**
 * A node importing a slot ignores other nodes' claims on it (Redis skips importing slots when it
 * updates its map), so a seed that was importing from a master that then died still credits the
 * dead master after its replica took over. Slots the view gives to a failing master but that a
 * working master lists as its own go to that master.
 */
function adoptClaimsOfFailedOwners(view: ClusterNodeInfo[], claims: Map<ClusterNodeInfo, Array<[number, number]>>): void {
  const failed = view.filter((node) => node.role === 'master' && node.failing && node.slots.length > 0)
  if (failed.length === 0 || claims.size === 0) return
  const claimer = new Map<number, ClusterNodeInfo>()
  for (const [node, ranges] of claims) for (const slot of slotsOf(ranges)) claimer.set(slot, node)
  for (const node of failed) {
    const kept: number[] = []
    const taken = new Map<ClusterNodeInfo, number[]>()
    for (const slot of slotsOf(node.slots)) {
      const to = claimer.get(slot)
      if (to) taken.set(to, [...(taken.get(to) ?? []), slot])
      else kept.push(slot)
    }
    if (taken.size === 0) continue
    node.slots = rangesOf(kept)
    for (const [to, slots] of taken) to.slots = rangesOf([...slotsOf(to.slots), ...slots].sort((a, b) => a - b))
  }
}

function toTargetNode(node: ClusterNodeInfo): TargetNode {
  return {id: node.id, name: node.address, host: node.host, port: node.port, address: node.address, role: node.role, slots: node.slots}
}

function sameLoopback(a: string, b: string): boolean {
  const loopback = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '::1'
  return loopback(a) && loopback(b)
}

/** A client that connects at once and is used without awaiting the connection. */
function nodeClient(host: string, port: number, auth: ClusterAuth): Redis {
  return createClient({host, port}, {policy: 'admin', ...auth, lazyConnect: false})
}

async function clusterNodesText(client: Redis, address: string): Promise<string> {
  try {
    return String(await client.call('CLUSTER', 'NODES'))
  } catch (error) {
    const message = (error as Error).message ?? ''
    if (/cluster support disabled/i.test(message)) {
      throw new UserError(`The redis at ${address} is not a cluster node (cluster-enabled is off): point --cluster at a node of a Redis Cluster.`)
    }
    if (/NOAUTH|WRONGPASS/i.test(message)) throw new UserError(`The node at ${address} wants a password: pass it with --password.`)
    throw error
  }
}
