// A Redis Cluster's slot map as CLUSTER SLOTS describes it: for each slot, the address of the
// master that serves it, plus every node address seen (masters and replicas), so a refresh after
// a master dies can ask a replica that took over.
import {type Address, formatAddress, parsePort, splitHostPort} from '../../address.js'
import {CLUSTER_SLOTS} from '../../hashing/index.js'

export class SlotMap {
  /** per slot: the master's "host:port", or undefined when no master serves it */
  readonly owners: Array<string | undefined> = new Array(CLUSTER_SLOTS)
  /** masters in the order of the first slot each serves */
  readonly masters: Address[] = []
  /** every node named by the map (masters, then replicas) */
  readonly nodes: Address[] = []

  /** Slots no master serves. */
  get uncovered(): number {
    let count = 0
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) if (this.owners[slot] === undefined) count++
    return count
  }
}

/** One CLUSTER SLOTS node entry: [host, port, id, ...]; an empty or "?" host means the node we asked. */
function nodeOf(entry: unknown, asked: Address): Address | undefined {
  if (!Array.isArray(entry) || entry.length < 2) return undefined
  const rawHost = String(entry[0])
  const port = Number(entry[1])
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined
  const host = rawHost === '' || rawHost === '?' ? asked.host : rawHost
  return {host, port}
}

/**
 * Reads a CLUSTER SLOTS reply (as decoded by a client: arrays of [start, end, master, replicas...]).
 * Returns undefined when the reply is not that shape.
 */
export function parseClusterSlots(reply: unknown, asked: Address): SlotMap | undefined {
  if (!Array.isArray(reply)) return undefined
  const map = new SlotMap()
  const seen = new Set<string>()
  const replicas: Address[] = []
  const ranges = reply
    .filter((range): range is unknown[] => Array.isArray(range) && range.length >= 3)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
  for (const range of ranges) {
    const first = Number(range[0])
    const last = Number(range[1])
    const master = nodeOf(range[2], asked)
    if (master === undefined || !Number.isInteger(first) || !Number.isInteger(last)) return undefined
    const name = formatAddress(master)
    for (let slot = Math.max(0, first); slot <= Math.min(last, CLUSTER_SLOTS - 1); slot++) map.owners[slot] = name
    if (!seen.has(name)) {
      seen.add(name)
      map.masters.push(master)
    }
    for (const entry of range.slice(3)) {
      const replica = nodeOf(entry, asked)
      if (replica !== undefined) replicas.push(replica)
    }
  }
  map.nodes.push(...map.masters)
  for (const replica of replicas) {
    const name = formatAddress(replica)
    if (seen.has(name)) continue
    seen.add(name)
    map.nodes.push(replica)
  }
  return map
}

/** "-MOVED 3999 127.0.0.1:6381" / "-ASK 3999 127.0.0.1:6381": the slot and address; empty host = the node that answered. */
export function parseRedirect(text: string, answered: Address): {slot: number; to: Address} | undefined {
  const parts = text.trim().split(' ')
  if (parts.length < 3) return undefined
  const slot = Number(parts[1])
  const address = splitHostPort(parts[2])
  const port = address === undefined ? undefined : parsePort(address.portText)
  if (address === undefined || port === undefined || !Number.isInteger(slot) || slot < 0 || slot >= CLUSTER_SLOTS) return undefined
  return {slot, to: {host: address.host === '' ? answered.host : address.host, port}}
}
