// read_from (config/read-from.ts): read-only commands of a Sentinel-backed or cluster-backed pool
// go to a replica of the master that would serve them; writes and everything else stay on the
// master. The command table says which commands are reads (protocol/redis-commands.ts).
// Replicas come from their master's own report (replica-health.ts): up and lag. `replica` uses
// the replicas that are in step, else any that is up (lagging), else the master; `prefer-replica`
// uses only replicas in step, else the master. A read that fails on a replica (connection lost,
// refused, timed out, -LOADING, -MASTERDOWN) marks it down for a while and goes to the master:
// a read may run twice without harm. Replicas get connections of their own, which never count as
// failures of the master (no ejection); their traffic is not in the stats document, whose
// servers stay the masters.
import {type Address, formatAddress} from '../../address.js'
import type {ReadFrom} from '../../config/extension-keys/read-from.js'
import {lookupCommand} from '../../protocol/redis-commands.js'
import type {Logger} from '../cli/log.js'
import {Request, type RequestOwner} from '../client/request.js'
import {ECONNREFUSED} from '../io/errno.js'
import {ServerStats} from '../stats/stats.js'
import type {ConnectionSettings, ServerConnection} from './server-connection.js'
import {type ConnectionOwner, connectionTo, dropConnection} from './server-connections.js'
import {ReplicaHealth, type ReplicaReport} from './replica-health.js'
import type {ServerAccess} from './server-access.js'

/** A replica that failed a read is left out this long (and until its master reports it again). */
const REPLICA_DOWN_MS = 2000

/** Whether a RESP request (`*N $len name ...`) is a read-only command. */
export function isReadRequest(data: Uint8Array): boolean {
  if (data[0] !== 42 /* '*' */) return false
  let i = 1
  while (i < data.length && data[i] !== 36 /* '$' */) i++
  let len = 0
  for (i++; i < data.length && data[i] >= 48 && data[i] <= 57; i++) len = len * 10 + data[i] - 48
  const start = i + 2
  return start + len <= data.length && lookupCommand(data, start, start + len)?.read === true
}

class Replica implements ConnectionOwner {
  readonly index = -1
  readonly name: string
  readonly stats: ServerStats
  connections: ServerConnection[] = []
  nextConnection = 0
  /** msec since epoch until which it is left out after a failed read */
  downUntil = 0

  constructor(readonly host: string, readonly port: number) {
    this.name = formatAddress({host, port})
    this.stats = new ServerStats(this.name)
  }
}

/** A read on its way to a replica: its failure sends the original to the master instead. */
class ReplicaRead extends Request {
  constructor(owner: RequestOwner, readonly original: Request, readonly replica: Replica, readonly toMaster: (request: Request) => void) {
    super(owner, original.data)
  }
}

const TRANSIENT = ['-LOADING', '-MASTERDOWN', '-BUSY']

function startsWith(reply: Uint8Array, prefix: string): boolean {
  if (reply.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (reply[i] !== prefix.charCodeAt(i)) return false
  return true
}

export class ReplicaReads implements RequestOwner {
  private readonly health: ReplicaHealth
  private readonly replicas = new Map<string, Replica>()
  /** per master: round-robin position */
  private readonly turn = new Map<string, number>()
  /** per master: the last choice logged ('replicas' or 'the master') */
  private readonly choice = new Map<string, string>()
  private readonly settings: ConnectionSettings
  private outstanding = 0
  private closing = false

  constructor(
    private readonly pool: string,
    private readonly mode: ReadFrom,
    private readonly maxLag: number,
    base: ConnectionSettings,
    access: ServerAccess,
    masters: () => Address[],
    private readonly logger: Logger,
  ) {
    this.settings = {...base, serverOk: () => {}, connectionClosed: (conn) => dropConnection(conn.server as Replica, conn)}
    this.health = new ReplicaHealth(masters, access, (master) => this.logChoice(master))
  }

  start(): Promise<void> {
    return this.health.start()
  }

  /** Nothing sent to a replica and unanswered. */
  get idle(): boolean {
    return this.outstanding === 0
  }

  /**
   * Sends `request` to a replica of `master` when it is a read and a replica may take it;
   * false when the caller sends it to the master. `toMaster` sends it there after a failed read.
   */
  trySend(master: Address, request: Request, toMaster: (request: Request) => void): boolean {
    if (this.closing || !isReadRequest(request.data)) return false
    const replica = this.pick(formatAddress(master))
    if (replica === undefined) return false
    this.outstanding++
    connectionTo(replica, 1, this.settings).send(new ReplicaRead(this, request, replica, toMaster))
    return true
  }

  requestDone(request: Request): void {
    const read = request as ReplicaRead
    this.outstanding--
    const reply = read.reply
    const failed = read.error !== null || (reply !== null && TRANSIENT.some((prefix) => startsWith(reply, prefix)))
    if (!failed) {
      read.original.complete(reply, null)
      return
    }
    read.replica.downUntil = Date.now() + REPLICA_DOWN_MS
    if (this.closing) read.original.complete(null, read.error ?? ECONNREFUSED)
    else read.toMaster(read.original)
  }

  close(): void {
    this.closing = true
    this.health.stop()
    for (const replica of this.replicas.values()) for (const conn of [...replica.connections]) conn.fail(ECONNREFUSED, 'err')
  }

  /** The replica the next read of `master` goes to, or undefined for the master. */
  private pick(master: string): Replica | undefined {
    const candidates = this.candidates(master)
    if (candidates.length === 0) return undefined
    const turn = (this.turn.get(master) ?? 0) % candidates.length
    this.turn.set(master, turn + 1)
    return candidates[turn]
  }

  private candidates(master: string): Replica[] {
    const now = Date.now()
    const up = this.health.replicasOf(master).filter((report) => this.replica(report).downUntil <= now)
    const inStep = up.filter((report) => report.lag <= this.maxLag)
    const usable = inStep.length > 0 || this.mode === 'prefer-replica' ? inStep : up
    return usable.map((report) => this.replica(report))
  }

  private replica(report: ReplicaReport): Replica {
    const name = formatAddress(report)
    let replica = this.replicas.get(name)
    if (replica === undefined) this.replicas.set(name, (replica = new Replica(report.host, report.port)))
    return replica
  }

  /** Logs where a master's reads go whenever that changes (replicas, or the master for want of one). */
  private logChoice(master: string): void {
    const names = this.candidates(master).map((replica) => replica.name)
    const choice = names.length > 0 ? `replicas ${names.join(', ')}` : 'the master (no replica is up and in step)'
    if (this.choice.get(master) === choice) return
    this.choice.set(master, choice)
    this.logger.notice(`pool '${this.pool}': reads of master ${master} go to ${choice}`, 'read-from.ts')
  }
}
