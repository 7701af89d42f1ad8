// Direct connections to a pool's servers (never through the proxy): one ioredis client per
// address, failing fast so an unreachable server becomes a sentence, not endless retries.
import type {Redis} from 'ioredis'
import type {PoolConfig, ServerConfig} from '../config/index.js'
import {closeClients, createClient} from '../targets/client-factory.js'
import {UserError, describeSystemError} from '../errors.js'

export class PoolServerClients {
  private readonly byAddress = new Map<string, Redis>()

  constructor(private readonly pool: Pick<PoolConfig, 'redisAuth' | 'redisDb'>, private readonly password?: string) {}

  get(server: ServerConfig): Redis {
    let client = this.byAddress.get(server.address)
    if (client) return client
    const endpoint = server.path !== undefined ? {path: server.path} : {host: server.host, port: server.port}
    client = createClient(endpoint, {policy: 'probe', password: this.password ?? this.pool.redisAuth, db: this.pool.redisDb})
    this.byAddress.set(server.address, client)
    return client
  }

  /** Every server must answer PING before any work starts. */
  async checkReachable(servers: ServerConfig[]): Promise<void> {
    for (const server of servers) {
      try {
        await this.get(server).ping()
      } catch (error) {
        const reason = describeSystemError(error, `Server ${server.name} (${server.address})`)
        throw new UserError(reason ?? `Server ${server.name} (${server.address}) did not answer PING: ${(error as Error).message}.`, {cause: error})
      }
    }
  }

  async close(): Promise<void> {
    const clients = [...this.byAddress.values()]
    this.byAddress.clear()
    await closeClients(clients)
  }
}
