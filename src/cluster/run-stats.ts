// What a run of slot moves reports per source and per target, whichever way the slots moved:
// slots, keys and time per pair of nodes, and per node the network bytes it sent or received
// during the run (INFO stats before and after, client and replication traffic together, so other
// traffic of the node during the run is included; Valkey streams an atomic migration as
// replication traffic, MIGRATE travels as client traffic).
import type {ClusterTarget} from '../targets/cluster.js'
import type {SlotMove} from './plan.js'

export interface PairStats {
  from: string
  to: string
  slots: number
  keys: number
  /** from the first slot started to the last one owned by the target */
  seconds: number
}

export interface NodeStats {
  node: string
  slotsOut: number
  slotsIn: number
  keysOut: number
  keysIn: number
  bytesOut: number
  bytesIn: number
}

type Counters = Map<string, {in: number; out: number}>

/** Network byte counters of every node of the moves, by node id (nodes that do not answer are left out). */
export async function readCounters(target: ClusterTarget, moves: SlotMove[]): Promise<Counters> {
  const counters: Counters = new Map()
  const ids = [...new Set(moves.flatMap((move) => [move.from, move.to]))]
  await Promise.all(ids.map(async (id) => {
    const node = target.byId(id)
    if (!node) return
    const info = String(await target.client(node).info('stats').catch(() => ''))
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0)
    if (info) counters.set(id, {in: field('total_net_input_bytes') + field('total_net_repl_input_bytes'), out: field('total_net_output_bytes') + field('total_net_repl_output_bytes')})
  }))
  return counters
}

/** Per-node totals of a run: moved slots and keys (`done` slots only) and the byte counters' growth. */
export function nodeStats(target: ClusterTarget, moves: SlotMove[], done: Set<number>, keysBySlot: Map<number, number>, before: Counters, after: Counters): NodeStats[] {
  const stats = new Map<string, NodeStats>()
  const entry = (id: string) => {
    let found = stats.get(id)
    if (!found) stats.set(id, (found = {node: target.byId(id)?.address ?? id.slice(0, 8), slotsOut: 0, slotsIn: 0, keysOut: 0, keysIn: 0, bytesOut: 0, bytesIn: 0}))
    return found
  }
  for (const move of moves) {
    const from = entry(move.from)
    const to = entry(move.to)
    if (!done.has(move.slot)) continue
    const keys = keysBySlot.get(move.slot) ?? 0
    from.slotsOut++
    from.keysOut += keys
    to.slotsIn++
    to.keysIn += keys
  }
  for (const [id, node] of stats) {
    const start = before.get(id)
    const end = after.get(id)
    if (!start || !end) continue
    node.bytesIn = Math.max(0, end.in - start.in)
    node.bytesOut = Math.max(0, end.out - start.out)
  }
  return [...stats.values()]
}

/** Tracks when each pair started and finished, for PairStats. */
export class PairClock {
  private readonly pairs = new Map<string, PairStats & {startedAt: number; endedAt: number}>()

  constructor(private readonly name: (id: string) => string) {}

  started(from: string, to: string): void {
    const key = `${from}>${to}`
    if (!this.pairs.has(key)) this.pairs.set(key, {from, to, slots: 0, keys: 0, seconds: 0, startedAt: Date.now(), endedAt: Date.now()})
  }

  finished(from: string, to: string, slots: number, keys: number): void {
    this.started(from, to)
    const pair = this.pairs.get(`${from}>${to}`)!
    pair.slots += slots
    pair.keys += keys
    pair.endedAt = Date.now()
  }

  stats(): PairStats[] {
    return [...this.pairs.values()].map((pair) => ({
      from: this.name(pair.from), to: this.name(pair.to), slots: pair.slots, keys: pair.keys, seconds: Math.max(0, pair.endedAt - pair.startedAt) / 1000,
    }))
  }
}
