// The backend of a pool after a config reload. Two jobs:
//  - a gate: until the previous backend has answered everything it sent to a server (and
//    forwarded what it still held), requests for that server wait here in arrival order, so
//    nothing sent after the reload can overtake something sent before it. Each server has its own
//    gate when the pool routes by its server list: a hung server (the usual reason to reload)
//    holds back only its own requests, never the healthy servers';
//  - the key handover of a pool change: while the pool has fallback_servers (its previous list),
//    a request whose key belongs to another server under that list first has that server MIGRATE
//    the key to its owner under the new list (+NOKEY when it has already moved, BUSYKEY when the
//    new owner already holds a newer value), and only then goes to the new owner. Reads never see
//    a key vanish, and a write never starts from nothing on the new owner while the old value
//    sits on the old one. Requests wait in arrival order, so a client's pipeline keeps its order.
import type {Address} from '../../address.js'
import type {ServerConfig} from '../../config/types.js'
import type {KeyPlacer} from '../../hashing/index.js'
import {encodeCommand} from '../../protocol/redis-encode.js'
import type {PoolBackend, RoutedRequest} from '../backend.js'
import {ECONNREFUSED} from '../io/errno.js'
import {Request} from '../client/request.js'
import {requestKeys} from '../client/request-keys.js'
import type {PoolStats} from '../stats/stats.js'

export interface Fallback {
  /** the previous servers, with connections of their own */
  pool: PoolBackend
  servers: readonly ServerConfig[]
  placer: KeyPlacer
}

export interface HandoverSettings {
  /** the servers of the new list, in the primary pool's order */
  servers: readonly ServerConfig[]
  /** places keys by the new list (for keys other than the one the request is routed by) */
  placer: KeyPlacer
  redisDb: number
  redisAuth?: string
  /** MIGRATE timeout, msec */
  timeoutMs: number
}

interface Waiting {
  index: number
  request: Request
  /** MIGRATEs sent and not answered yet; -1 until the handover was started */
  pending: number
  error: string | null
}

/** Resolves once the previous backend is idle at the server of route index `index`. */
export type ServerGate = (index: number) => Promise<void>

export class ReloadedBackend implements PoolBackend {
  /** requests held, in arrival order */
  private waiting: Waiting[] = []
  /** every gate is open */
  private open = false
  /** route indexes whose own gate opened before the whole gate did */
  private readonly openIndexes = new Set<number>()
  private readonly opening = new Set<number>()
  /** flush() is running: a request forwarded meanwhile is picked up by it */
  private flushing = false
  private idleWaiters: Array<() => void> = []

  constructor(
    /** what serves the pool now; without a fallback (always so for a cluster) only the gate applies */
    readonly primary: PoolBackend,
    readonly fallback: Fallback | undefined,
    private readonly handover: HandoverSettings | undefined,
    /** resolves once the previous backend is idle */
    gate: Promise<void>,
    /** when given, each route index opens as soon as the previous backend is idle at its server */
    private readonly serverGate?: ServerGate,
  ) {
    void gate.then(() => {
      this.open = true
      this.opened()
    })
  }

  get serverCount(): number {
    return this.primary.serverCount
  }

  /** The stats document reports the primary. */
  get stats(): PoolStats {
    return this.primary.stats
  }

  get routesByServerList(): boolean {
    return this.primary.routesByServerList
  }

  start(): Promise<string | undefined> {
    return this.primary.start()
  }

  describe(): string {
    return this.primary.describe()
  }

  route(key: Uint8Array, start: number, end: number): number {
    return this.primary.route(key, start, end)
  }

  forward(index: number, request: Request): void {
    const entry: Waiting = {index, request, pending: -1, error: null}
    if (this.open && this.waiting.length === 0) {
      this.handOver(entry)
      // no key of it changes owner: nothing to keep it behind
      if (entry.pending === 0) {
        this.primary.forward(index, request)
        return
      }
    }
    this.waiting.push(entry)
    if (this.isOpen(index)) {
      if (entry.pending === -1) this.handOver(entry)
      this.flush()
    } else {
      this.openWhenIdle(index)
    }
  }

  private isOpen(index: number): boolean {
    return this.open || this.openIndexes.has(index)
  }

  /** Opens route index `index` alone once the previous backend is idle at its server. */
  private openWhenIdle(index: number): void {
    if (this.serverGate === undefined || this.opening.has(index)) return
    this.opening.add(index)
    void this.serverGate(index).then(() => {
      this.openIndexes.add(index)
      this.opened()
    })
  }

  /** A gate opened: what it held starts its handover now, all at once, then goes on in order. */
  private opened(): void {
    for (const entry of this.waiting) if (entry.pending === -1 && this.isOpen(entry.index)) this.handOver(entry)
    this.flush()
  }

  preconnect(): void {
    this.primary.preconnect()
  }

  close(): void {
    const waiting = this.waiting
    this.waiting = []
    for (const entry of waiting) entry.request.complete(null, ECONNREFUSED)
    this.primary.close()
    this.fallback?.pool.close()
    this.wakeIdle()
  }

  /** The primary's and the fallback's connections are idle (what waits at the gate is not counted: see whenForwarded). */
  get idle(): boolean {
    return this.primary.idle && (this.fallback?.pool.idle ?? true)
  }

  /** Idle at that server, and nothing held here (a reload in the middle of a gate waits for all of it). */
  idleAt(address: Address): boolean {
    return this.waiting.length === 0 && this.primary.idleAt(address) && (this.fallback?.pool.idleAt(address) ?? true)
  }

  /** The primary's requests, then those held here: they will run on the primary, at the index each was routed to. */
  inFlight(): RoutedRequest[] {
    const waiting = this.waiting.map((entry) => ({backend: this.primary, index: entry.index, request: entry.request}))
    return [...this.primary.inFlight(), ...waiting]
  }

  keyRoute(index: number, key: Uint8Array): number {
    return this.primary.keyRoute(index, key)
  }

  serverAt(index: number): Address | undefined {
    return this.primary.serverAt(index)
  }

  /** Resolves when nothing waits here any more (everything was forwarded). */
  whenForwarded(): Promise<void> {
    if (this.open && this.waiting.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Sends the MIGRATEs a request needs (none when no key of it changed owner). */
  private handOver(entry: Waiting): void {
    entry.pending = 0
    const fallback = this.fallback
    const handover = this.handover
    if (fallback === undefined || handover === undefined) return
    const data = entry.request.data
    const keys = requestKeys(data, entry.request.owner?.published)
    if (keys === null) return
    const newServer = handover.servers[entry.index]
    for (let k = 0; k < keys.length; k += 2) {
      const start = keys[k]
      const end = keys[k + 1]
      // the key the request is routed by goes to `index`; any other key goes to its own owner
      const owner = k === 0 ? newServer : handover.servers[handover.placer.serverIndex(data, start, end)]
      const oldIndex = fallback.placer.serverIndex(data, start, end)
      const oldServer = fallback.servers[oldIndex]
      if (oldServer === undefined || owner === undefined || oldServer.address === owner.address) continue
      entry.pending++
      const migrate = new Request({requestDone: (done) => this.migrated(entry, done)}, this.migrateCommand(owner, data.subarray(start, end)))
      fallback.pool.forward(oldIndex, migrate)
    }
  }

  private migrateCommand(target: ServerConfig, key: Uint8Array): Buffer {
    const {redisDb, redisAuth, timeoutMs} = this.handover!
    const args: Array<string | Uint8Array> = ['MIGRATE', target.host, String(target.port), '', String(redisDb), String(timeoutMs)]
    if (redisAuth !== undefined) args.push('AUTH', redisAuth)
    args.push('KEYS', key)
    return encodeCommand(args)
  }

  private migrated(entry: Waiting, done: Request): void {
    entry.pending--
    if (done.error !== null) {
      entry.error ??= done.error
    } else if (done.reply !== null && done.reply[0] === 45 /* '-' */) {
      const text = Buffer.from(done.reply).toString('latin1').trim()
      // BUSYKEY: the new owner already has a value written after the switch; it wins
      if (!text.includes('BUSYKEY')) entry.error ??= `key handover failed: ${text.slice(1)}`
    }
    if (entry.pending === 0) this.flush()
  }

  /**
   * Forwards, in arrival order, the waiting requests whose gate is open and whose handover is
   * done; a request still held keeps the later ones of its route index behind it.
   */
  private flush(): void {
    if (this.flushing) return
    this.flushing = true
    try {
      this.forwardReady()
    } finally {
      this.flushing = false
    }
  }

  private forwardReady(): void {
    const waiting = this.waiting
    const held = new Set<number>()
    let kept = 0
    for (const entry of waiting) {
      if (entry.pending !== 0 || held.has(entry.index)) {
        held.add(entry.index)
        waiting[kept++] = entry
      } else if (entry.error !== null) {
        entry.request.complete(null, entry.error)
      } else {
        this.primary.forward(entry.index, entry.request)
      }
    }
    waiting.length = kept
    if (kept === 0 && this.open) this.wakeIdle()
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const wake of waiters) wake()
  }
}
