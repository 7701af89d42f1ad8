// Follows the Sentinel masters of a pool (the `sentinels:` extension): every server's name is a
// master name. On start and then every second, each sentinel is asked for each master's address
// (SENTINEL get-master-addr-by-name); an address a majority of the sentinels agree on is where
// the server is. Each sentinel's +switch-master message moves the server at once, so the proxy
// is on the new master as soon as Sentinel announces it. The majority rule keeps a sentinel that
// has not yet heard of a failover from sending writes back to the old master.
import type {Redis} from 'ioredis'
import {type Address, formatAddress, parsePort} from '../../address.js'
import type {SentinelAddress} from '../../config/extension-keys/sentinels.js'
import type {PoolConfig} from '../../config/types.js'
import type {Logger} from '../cli/log.js'
import {sentinelClient} from '../control-client.js'
import type {ServerPool} from '../server/server-pool.js'
import type {ServerAccess} from '../server/server-access.js'

const POLL_MS = 1000
const QUERY_LIMIT_MS = 800
const START_LIMIT_MS = 2000

export class SentinelWatch {
  private readonly commands: Redis[]
  private readonly subscribers: Redis[]
  private timer: NodeJS.Timeout | null = null
  private stopped = false
  private readonly index = new Map<string, number>()

  constructor(private readonly pool: ServerPool, private readonly config: PoolConfig, sentinels: SentinelAddress[], private readonly logger: Logger, access: ServerAccess = {}) {
    pool.endpoints.forEach((server) => this.index.set(server.name, server.index))
    // sentinels speak TLS where the servers do (tls_server); they need no password of the pool's
    this.commands = sentinels.map((s) => sentinelClient(s, {connectTimeoutMs: QUERY_LIMIT_MS, subscriber: false, tls: access.tls}))
    this.subscribers = sentinels.map((s) => {
      const sub = sentinelClient(s, {connectTimeoutMs: QUERY_LIMIT_MS, subscriber: true, tls: access.tls})
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

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), POLL_MS)
  }

  /** "+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>" */
  private onSwitch(message: string): void {
    const [name, , , host, portText] = message.split(' ')
    const port = portText === undefined ? undefined : parsePort(portText)
    if (this.index.has(name) && host !== undefined && port !== undefined) this.move(name, {host, port}, 'switch-master')
  }

  private async poll(): Promise<void> {
    const names = [...this.index.keys()]
    await Promise.all(names.map(async (name) => {
      const answers = await Promise.all(this.commands.map((client) => this.ask(client, name)))
      const votes = new Map<string, {address: Address; count: number}>()
      for (const answer of answers) {
        if (answer === null) continue
        const vote = votes.get(formatAddress(answer))
        if (vote === undefined) votes.set(formatAddress(answer), {address: answer, count: 1})
        else vote.count++
      }
      for (const {address, count} of votes.values()) {
        if (count * 2 > this.commands.length) this.move(name, address, 'sentinels')
      }
    }))
  }

  private async ask(client: Redis, name: string): Promise<Address | null> {
    if (client.status !== 'ready') return null
    let timer: NodeJS.Timeout | undefined
    const limit = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), QUERY_LIMIT_MS)))
    try {
      const reply = await Promise.race([client.call('SENTINEL', 'get-master-addr-by-name', name) as Promise<unknown>, limit])
      if (!Array.isArray(reply) || reply.length !== 2) return null
      const port = parsePort(String(reply[1]))
      return port === undefined ? null : {host: String(reply[0]), port}
    } catch {
      return null
    } finally {
      clearTimeout(timer)
    }
  }

  private move(name: string, to: Address, why: string): void {
    if (this.stopped) return
    const index = this.index.get(name)!
    const from = formatAddress(this.pool.endpoints[index])
    if (this.pool.moveServer(index, to.host, to.port)) {
      this.logger.notice(`pool '${this.config.name}': master '${name}' moved from ${from} to ${formatAddress(to)} (${why})`, 'sentinel.ts')
    }
  }
}
