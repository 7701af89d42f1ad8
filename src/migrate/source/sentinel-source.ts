// A Sentinel group as the source (--from-sentinel HOST:PORT --master NAME): the group's master is
// asked of Sentinel and read like one server. Sentinel announces a failover on its +switch-master
// channel; the source listens there, so a failover during the copy is noticed at once: the old
// master's connection is dropped (its reads fail instead of waiting for a dead server), and
// `follow()` re-points the source at the new master once Sentinel names it and it answers as a
// master. What the copy does then (read the new master from the start) is migration.ts's.
// Sentinel names the new master (GET-MASTER-ADDR-BY-NAME) while it still reconfigures the other
// replicas, before it announces +switch-master: a failover `follow()` has already followed may be
// announced afterwards, and is then not taken for another one.
import type {Redis} from 'ioredis'
import {formatAddress, parseAddress, type Address} from '../../address.js'
import {UserError, describeSystemError} from '../../errors.js'
import {createClient} from '../../targets/client-factory.js'
import {connectSources, sourceClient, type FailoverFollower, type Source, type SourceSet} from './sources.js'

export interface SentinelSourceOptions {
  /** --from-sentinel: one Sentinel of the group */
  sentinel: string
  /** --master: the name Sentinel monitors the group under */
  master: string
  password?: string
  /** how long a failover may take before the copy gives up (ms) */
  failoverTimeoutMs?: number
}

const FAILOVER_TIMEOUT_MS = 60_000
const POLL_MS = 250

async function masterAddress(sentinel: Redis, name: string): Promise<Address | undefined> {
  const reply = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null
  return reply ? {host: reply[0], port: Number(reply[1])} : undefined
}

export async function openSentinelSource(options: SentinelSourceOptions): Promise<SourceSet> {
  const at = parseAddress(options.sentinel, {what: '--from-sentinel', example: '127.0.0.1:26379'})
  const what = `Sentinel ${formatAddress(at)}`
  const sentinel = createClient(at, {policy: 'admin', lazyConnect: false})
  let master: Address | undefined
  try {
    master = await masterAddress(sentinel, options.master)
  } catch (error) {
    sentinel.disconnect()
    throw new UserError(describeSystemError(error, what) ?? `${what} cannot be asked for its masters: ${(error as Error).message}.`, {cause: error})
  }
  if (!master) {
    const known = ((await sentinel.call('SENTINEL', 'MASTERS').catch(() => [])) as string[][]).map((fields) => fields[fields.indexOf('name') + 1])
    sentinel.disconnect()
    throw new UserError(`${what} monitors no master named "${options.master}": give one of ${known.join(', ') || '(none)'} with --master.`)
  }
  let set: SourceSet
  try {
    set = await connectSources([{name: options.master, address: master, password: options.password}],
      `master ${options.master} of ${what}`, {kind: 'sentinel'})
  } catch (error) {
    sentinel.disconnect()
    throw error
  }
  const follower = new SentinelFollower(sentinel, at, options, set.sources[0])
  await follower.listen()
  const closeSources = set.close
  return {...set, failover: follower, close: async () => {
    follower.close()
    await closeSources()
  }}
}

class SentinelFollower implements FailoverFollower {
  private subscriber?: Redis
  private switched = false

  constructor(private sentinel: Redis, private readonly at: Address,
    private readonly options: SentinelSourceOptions, private readonly source: Source) {}

  /** Subscribes to +switch-master: a failover drops the old master's connection at once. */
  async listen(): Promise<void> {
    this.subscriber = createClient(this.at, {policy: 'patient', lazyConnect: false})
    this.subscriber.on('message', (_channel: string, message: string) => this.switchAnnounced(message))
    await this.subscriber.subscribe('+switch-master')
  }

  /** "+switch-master <name> <old ip> <old port> <new ip> <new port>" */
  private switchAnnounced(message: string): void {
    const [name, , , host, port] = message.split(' ')
    if (name !== this.options.master) return
    // already followed: Sentinel named this master to follow() before announcing the switch
    if (formatAddress({host, port: Number(port)}) === formatAddress(this.source.address)) return
    this.switched = true
    dropConnection(this.source.client)
  }

  /** Whether Sentinel announced a failover since the last follow(). */
  get pending(): boolean {
    return this.switched
  }

  async follow(): Promise<{from: string; to: string} | undefined> {
    const from = formatAddress(this.source.address)
    const deadline = Date.now() + (this.options.failoverTimeoutMs ?? FAILOVER_TIMEOUT_MS)
    for (let attempt = 0; attempt < 100_000 && Date.now() < deadline; attempt++) {
      const now = await masterAddress(this.sentinelClient(), this.options.master).catch(() => undefined)
      if (now && formatAddress(now) !== from && await answersAsMaster(now, this.options.password)) {
        this.repoint(now)
        return {from, to: formatAddress(now)}
      }
      if (now && formatAddress(now) === from && !this.switched && await answersAsMaster(now, this.options.password)) return undefined
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    throw new UserError(`The master ${this.options.master} at ${from} stopped answering and Sentinel named no new master within ${Math.round((this.options.failoverTimeoutMs ?? FAILOVER_TIMEOUT_MS) / 1000)} s: run again with --resume once the group has a master.`)
  }

  /** The client that asks Sentinel, opened again when an outage of Sentinel outlasted its reconnects. */
  private sentinelClient(): Redis {
    if (this.sentinel.status === 'end') this.sentinel = createClient(this.at, {policy: 'admin', lazyConnect: false})
    return this.sentinel
  }

  private repoint(address: Address): void {
    dropConnection(this.source.client)
    this.source.address = address
    this.source.client = sourceClient(address, {name: 'twlab-migrate', password: this.options.password})
    this.switched = false
  }

  close(): void {
    this.subscriber?.disconnect()
    this.sentinel.disconnect()
  }
}

/**
 * Closes a master's connection so that every command waiting on it fails at once. ioredis's
 * disconnect() alone strands the commands of a client that waits to reconnect (the dead master's,
 * between two refused attempts): it cancels that wait and leaves no socket whose close would fail
 * them, so a copy reading there waited for ever. Such a client is made to start connecting first,
 * which disconnect() aborts, failing what it holds.
 */
function dropConnection(client: Redis): void {
  if (client.status === 'reconnecting') client.connect().catch(() => undefined)
  client.disconnect()
}

async function answersAsMaster(address: Address, password?: string): Promise<boolean> {
  const probe = createClient(address, {policy: 'probe', password, lazyConnect: false})
  try {
    const role = (await probe.call('ROLE')) as unknown[]
    return role[0] === 'master'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}
