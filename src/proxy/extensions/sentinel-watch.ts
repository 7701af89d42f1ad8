// Follows the Sentinel masters of a pool (the `sentinels:` extension): every server's name is a
// master name. On start and then every second, each sentinel is asked for each master's address
// (SENTINEL get-master-addr-by-name); an address a majority of the sentinels agree on is where
// the server is. Each sentinel's +switch-master message moves the server at once, so the proxy
// is on the new master as soon as Sentinel announces it. The majority rule keeps a sentinel that
// has not yet heard of a failover from sending writes back to the old master.
import {Redis} from 'ioredis'
import type {SentinelAddress} from '../../config/sentinels.js'
import type {PoolConfig} from '../../config/types.js'
import type {Logger} from '../cli/log.js'
import type {ServerPool} from '../server/server-pool.js'

const POLL_MS = 1000
const QUERY_LIMIT_MS = 800
const START_LIMIT_MS = 2000

export class SentinelWatch {
  private readonly commands: Redis[]
  private readonly subscribers: Redis[]
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  private readonly index = new Map<string, number>()

  constructor(private readonly pool: ServerPool, private readonly config: PoolConfig, sentinels: SentinelAddress[], private readonly logger: Logger) {
    pool.endpoints.forEach((server) => this.index.set(server.name, server.index))
    const options = (s: SentinelAddress) => ({
      host: s.host, port: s.port, connectTimeout: QUERY_LIMIT_MS, maxRetriesPerRequest: 0,
      enableOfflineQueue: false, retryStrategy: () => 500, lazyConnect: false,
    })
    this.commands = sentinels.map((s) => this.quiet(new Redis(options(s))))
    this.subscribers = sentinels.map((s) => {
      const sub = this.quiet(new Redis({...options(s), enableOfflineQueue: true, maxRetriesPerRequest: null}))
      sub.subscribe('+switch-master').catch(() => {})
      sub.on('message', (_channel: string, message: string) => this.onSwitch(message))
      // resubscribed after a reconnect; a switch missed meanwhile is caught by the next poll
      return sub
    })
  }

  /** Resolves every master once (bounded), then keeps following them. */
  async start(): Promise<void> {
    // wait (bounded) for the sentinels to be connected, so the first answers come from them
    // rather than from the addresses written in the file
    const ready = (client: Redis) => client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => {
      client.once('ready', () => resolve())
      client.once('end', () => resolve())
    })
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(this.commands.map(ready)), new Promise<void>((resolve) => (timer = setTimeout(resolve, START_LIMIT_MS)))])
    clearTimeout(timer)
    await this.poll()
    this.schedule()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    for (const client of [...this.commands, ...this.subscribers]) client.disconnect()
  }

  private quiet(client: Redis): Redis {
    // a sentinel that is down is expected; the others answer
    client.on('error', () => {})
    return client
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), POLL_MS)
  }

  /** "+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>" */
  private onSwitch(message: string): void {
    const [name, , , host, port] = message.split(' ')
    if (this.index.has(name) && host !== undefined) this.move(name, host, Number(port), 'switch-master')
  }

  private async poll(): Promise<void> {
    const names = [...this.index.keys()]
    await Promise.all(names.map(async (name) => {
      const answers = await Promise.all(this.commands.map((client) => this.ask(client, name)))
      const votes = new Map<string, number>()
      for (const answer of answers) if (answer !== null) votes.set(answer, (votes.get(answer) ?? 0) + 1)
      for (const [address, count] of votes) {
        if (count * 2 > this.commands.length) {
          const colon = address.lastIndexOf(':')
          this.move(name, address.slice(0, colon), Number(address.slice(colon + 1)), 'sentinels')
        }
      }
    }))
  }

  private async ask(client: Redis, name: string): Promise<string | null> {
    if (client.status !== 'ready') return null
    let timer: NodeJS.Timeout | undefined
    const limit = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), QUERY_LIMIT_MS)))
    try {
      const reply = await Promise.race([client.call('SENTINEL', 'get-master-addr-by-name', name) as Promise<unknown>, limit])
      return Array.isArray(reply) && reply.length === 2 ? `${String(reply[0])}:${String(reply[1])}` : null
    } catch {
      return null
    } finally {
      clearTimeout(timer)
    }
  }

  private move(name: string, host: string, port: number, why: string): void {
    if (this.stopped || !(port > 0 && port < 65536)) return
    const index = this.index.get(name)!
    const before = this.pool.endpoints[index]
    const from = `${before.host}:${before.port}`
    if (this.pool.moveServer(index, host, port)) {
      this.logger.notice(`pool '${this.config.name}': master '${name}' moved from ${from} to ${host}:${port} (${why})`, 'sentinel.ts')
    }
  }
}
