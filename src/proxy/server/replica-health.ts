// Which replicas of a master may serve reads (read_from), as the master itself sees them: every
// second each master is asked INFO replication, whose `slaveN:ip=..,port=..,state=online,
// offset=..,lag=N` lines list the replicas connected to it, whether their link is up (state
// online: the replica's master_link_status is up) and how many seconds since each last
// acknowledged the stream (lag, the measure min-replicas-max-lag uses). A replica that is killed
// drops its link, so it leaves the list at once; a hung one shows a growing lag. When a master
// does not answer, its last known replicas are kept but counted as lagging (their data may be
// old). Control path: one ioredis client per master address (control-client.ts).
import type {Redis} from 'ioredis'
import {type Address, formatAddress, parsePort} from '../../address.js'
import {replicaCheckClient} from '../control-client.js'
import type {ServerAccess} from './server-access.js'

const POLL_MS = 1000
const QUERY_LIMIT_MS = 800

/** A replica as its master reported it. */
export interface ReplicaReport {
  host: string
  port: number
  /** seconds since its last acknowledgement; Infinity when its master did not answer */
  lag: number
}

/** Reads a master's INFO replication: its online replicas. */
export function parseReplicas(info: string): ReplicaReport[] {
  const replicas: ReplicaReport[] = []
  for (const line of info.split('\n')) {
    const match = /^slave\d+:(.*)$/.exec(line.trim())
    if (match === null) continue
    const fields = new Map(match[1].split(',').map((pair) => pair.split('=') as [string, string]))
    const port = parsePort(fields.get('port') ?? '')
    const host = fields.get('ip')
    if (fields.get('state') !== 'online' || port === undefined || host === undefined) continue
    const lag = Number(fields.get('lag') ?? 'NaN')
    replicas.push({host, port, lag: Number.isFinite(lag) ? lag : Infinity})
  }
  return replicas
}

export class ReplicaHealth {
  /** per master "host:port": its replicas as last reported */
  private readonly reports = new Map<string, ReplicaReport[]>()
  private readonly clients = new Map<string, Redis>()
  private timer: NodeJS.Timeout | null = null
  private stopped = false

  /** `masters` says which masters to ask now (they move on failover); `changed` hears each new report. */
  constructor(private readonly masters: () => Address[], private readonly access: ServerAccess, private readonly changed: (master: string) => void) {}

  /** The first round (bounded), then one every second. */
  async start(): Promise<void> {
    await this.poll()
    this.schedule()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    for (const client of this.clients.values()) client.disconnect()
    this.clients.clear()
  }

  /** The replicas of the master at `master` ("host:port"), as last reported. */
  replicasOf(master: string): readonly ReplicaReport[] {
    return this.reports.get(master) ?? []
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), POLL_MS)
  }

  private async poll(): Promise<void> {
    const names = new Set<string>()
    await Promise.all(this.masters().map(async (master) => {
      const name = formatAddress(master)
      names.add(name)
      const info = await this.ask(master, name)
      const before = this.reports.get(name)
      const after = info !== undefined ? parseReplicas(info) : (before ?? []).map((replica) => ({...replica, lag: Infinity}))
      this.reports.set(name, after)
      if (JSON.stringify(before) !== JSON.stringify(after)) this.changed(name)
    }))
    // masters that moved away: forget them and their clients
    for (const [name, client] of this.clients) {
      if (names.has(name)) continue
      client.disconnect()
      this.clients.delete(name)
      this.reports.delete(name)
    }
  }

  private async ask(master: Address, name: string): Promise<string | undefined> {
    if (this.stopped) return undefined
    let client = this.clients.get(name)
    if (client === undefined) this.clients.set(name, (client = replicaCheckClient(master, {...this.access, timeoutMs: QUERY_LIMIT_MS})))
    try {
      return String(await client.info('replication'))
    } catch {
      return undefined
    }
  }
}
