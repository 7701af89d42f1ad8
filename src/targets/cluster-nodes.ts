// Parsing the text of CLUSTER NODES: one line per node with its id, address, flags, master,
// the slot ranges it serves and the slots it is migrating away or importing. Pure, no I/O.
import {formatAddress, splitHostPort} from '../address.js'

export interface ClusterNodeInfo {
  id: string
  host: string
  port: number
  /** "host:port" (the client port, not the bus port) */
  address: string
  flags: string[]
  role: 'master' | 'replica'
  /** id of the master, for replicas */
  masterId?: string
  /** the node answering CLUSTER NODES */
  myself: boolean
  /** flagged fail or fail? (pfail), or handshake/noaddr: not usable */
  failing: boolean
  linkState: 'connected' | 'disconnected'
  configEpoch: number
  /** inclusive ranges, ascending */
  slots: Array<[number, number]>
  /** slot -> id of the node this one is migrating it to */
  migrating: Map<number, string>
  /** slot -> id of the node this one is importing it from */
  importing: Map<number, string>
}

/** Parses one CLUSTER NODES reply. `fallbackHost` fills the empty address of a node that has not
 * learned its own IP yet (a fresh node before MEET answers ":port@cport"). */
export function parseClusterNodes(text: string, fallbackHost = '127.0.0.1'): ClusterNodeInfo[] {
  const nodes: ClusterNodeInfo[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    const fields = line.split(' ')
    if (fields.length < 8) throw new Error(`unexpected CLUSTER NODES line: ${line}`)
    const [id, addressField, flagField, master, , , epoch, link, ...slotFields] = fields
    const {host, port} = parseNodeAddress(addressField, fallbackHost)
    const flags = flagField.split(',')
    const node: ClusterNodeInfo = {
      id,
      host,
      port,
      address: formatAddress({host, port}),
      flags,
      role: flags.includes('slave') ? 'replica' : 'master',
      masterId: master === '-' ? undefined : master,
      myself: flags.includes('myself'),
      failing: flags.some((flag) => flag === 'fail' || flag === 'fail?' || flag === 'handshake' || flag === 'noaddr'),
      linkState: link === 'connected' ? 'connected' : 'disconnected',
      configEpoch: Number(epoch),
      slots: [],
      migrating: new Map(),
      importing: new Map(),
    }
    for (const item of slotFields) parseSlotField(item, node)
    nodes.push(node)
  }
  return nodes
}

/**
 * "ip:port@cport[,hostname]" -> host and client port. Not a user's input: the port is taken as
 * the server wrote it (a node without an address says ":0@0"), so it is not validated here.
 */
function parseNodeAddress(field: string, fallbackHost: string): {host: string; port: number} {
  const split = splitHostPort(field.split('@')[0])
  return {host: split?.host || fallbackHost, port: Number(split?.portText)}
}

function parseSlotField(item: string, node: ClusterNodeInfo): void {
  if (item.startsWith('[')) {
    // "[slot->-id]" migrating to id, "[slot-<-id]" importing from id
    const body = item.slice(1, -1)
    const migrating = body.indexOf('->-')
    if (migrating >= 0) {
      node.migrating.set(Number(body.slice(0, migrating)), body.slice(migrating + 3))
      return
    }
    const importing = body.indexOf('-<-')
    if (importing >= 0) node.importing.set(Number(body.slice(0, importing)), body.slice(importing + 3))
    return
  }
  const dash = item.indexOf('-')
  const range: [number, number] = dash < 0 ? [Number(item), Number(item)] : [Number(item.slice(0, dash)), Number(item.slice(dash + 1))]
  node.slots.push(range)
}

export function countSlots(ranges: Array<[number, number]>): number {
  let total = 0
  for (const [start, end] of ranges) total += end - start + 1
  return total
}

/** Expands inclusive ranges into the list of slots, ascending. */
export function slotsOf(ranges: Array<[number, number]>): number[] {
  const slots: number[] = []
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) for (let slot = start; slot <= end; slot++) slots.push(slot)
  return slots
}

/** Folds a list of slots into inclusive ranges (sorted, merged). */
export function rangesOf(slots: Iterable<number>): Array<[number, number]> {
  const sorted = [...new Set(slots)].sort((a, b) => a - b)
  const ranges: Array<[number, number]> = []
  for (const slot of sorted) {
    const last = ranges.at(-1)
    if (last && last[1] === slot - 1) last[1] = slot
    else ranges.push([slot, slot])
  }
  return ranges
}

/** "0-5460,5462" for humans. */
export function formatRanges(ranges: Array<[number, number]>): string {
  if (ranges.length === 0) return '-'
  return ranges.map(([start, end]) => (start === end ? String(start) : `${start}-${end}`)).join(',')
}
