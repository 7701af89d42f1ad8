// A Redis Cluster as the source (--from-cluster HOST:PORT): its slot map is read from any node
// (targets/cluster.ts), and every master is a source scanned in parallel like a pool server.
// Each key lives on one master, so the owner rule is the slot map: a key is read from the master
// serving its slot. Slots some node was migrating or importing when the copy began are left out
// of the scans and copied apart afterwards, node by node in the order keys move (cluster-slots.ts),
// so a key moved meanwhile is neither missed nor copied twice. Followed by replication, the live
// slot map (cluster-view.ts) tells which slots move and which master took over from one that
// failed over (cluster-failover.ts). Masters must run Redis 7 or later
// (the cluster scripts need script flags and PEXPIRETIME).
import {formatAddress, parseAddress} from '../../address.js'
import {CLUSTER_SLOTS, keySlot} from '../../hashing/index.js'
import {UserError} from '../../errors.js'
import {ClusterTarget} from '../../targets/cluster.js'
import {digestWithAsking} from '../verify/digest.js'
import {ClusterMasterFailover} from './cluster-failover.js'
import {ClusterOpenSlots} from './cluster-slots.js'
import {ClusterSourceView} from './cluster-view.js'
import {connectSources, type SourceSet} from './sources.js'

export interface ClusterSourceOptions {
  /** --from-cluster: any node of the source cluster */
  seed: string
  password?: string
}

export async function openClusterSource(options: ClusterSourceOptions): Promise<SourceSet> {
  const seed = parseAddress(options.seed, {what: '--from-cluster', example: '127.0.0.1:7000'})
  const cluster = await ClusterTarget.connect(formatAddress(seed), {password: options.password})
  try {
    const masters = cluster.masters().filter((node) => node.slots.length > 0)
    if (masters.length === 0) throw new UserError(`The cluster at ${formatAddress(seed)} has no master serving slots: nothing to read.`)
    const openAtStart = cluster.openSlots()
    const ownerIndex = new Int32Array(CLUSTER_SLOTS).fill(0)
    masters.forEach((node, index) => {
      for (const [start, end] of node.slots) ownerIndex.fill(index, start, end + 1)
    })
    const set = await connectSources(
      masters.map((node) => ({name: node.address, address: {host: node.host, port: node.port}, password: options.password})),
      `cluster at ${formatAddress(seed)} (${masters.length} masters)`,
      {kind: 'cluster', ownerOf: (key) => ownerIndex[keySlot(key)]})
    const old = set.sources.find((source) => !source.hasExpireTime)
    if (old) {
      await set.close()
      throw new UserError(`Source cluster node ${old.name} runs a Redis before 7: reading a cluster needs Redis 7 or later (script flags, PEXPIRETIME).`)
    }
    const bulkSkipSlots = new Set(openAtStart.map((open) => open.slot))
    for (const source of set.sources) {
      source.cluster = {bulkSkipSlots}
      digestWithAsking(source.client)
    }
    const pass = new ClusterOpenSlots(cluster, set.sources, openAtStart, options.password)
    const clusterView = new ClusterSourceView(cluster, seed, options.password)
    set.sources.forEach((source, index) => {
      const slots = [...ownerIndex.keys()].filter((slot) => ownerIndex[slot] === index)
      source.failover = new ClusterMasterFailover(clusterView, source, slots, options.password)
    })
    const closeSources = set.close
    return {...set, openSlots: pass, clusterView, close: async () => void (await Promise.allSettled([closeSources(), clusterView.close(), cluster.close()]))}
  } catch (error) {
    await cluster.close()
    throw error
  }
}
