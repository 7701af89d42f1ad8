// One ioredis client per node, created on first use and closed together. The tools talk to
// servers directly (never through a proxy), so a server that is down must fail fast with an
// error the command can turn into a sentence, not retry forever in the background.
import {Redis} from 'ioredis'
import type {TargetNode} from './types.js'

export interface NodeClientOptions {
  password?: string
  db?: number
  /** unix-socket servers: the socket path for a node, if it has one */
  socketPathOf?: (node: TargetNode) => string | undefined
  connectTimeoutMs?: number
}

export class NodeClients {
  private readonly byAddress = new Map<string, Redis>()

  constructor(private readonly options: NodeClientOptions = {}) {}

  get(node: TargetNode): Redis {
    let client = this.byAddress.get(node.address)
    if (client) return client
    const path = this.options.socketPathOf?.(node)
    client = new Redis({
      ...(path ? {path} : {host: node.host, port: node.port}),
      password: this.options.password,
      db: this.options.db ?? 0,
      lazyConnect: true,
      connectTimeout: this.options.connectTimeoutMs ?? 3000,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      // keys are binary-safe Buffers in our calls; replies we read as strings are ASCII
      enableAutoPipelining: false,
    })
    // errors reach the caller through the rejected command; this keeps ioredis from logging them
    client.on('error', () => {})
    this.byAddress.set(node.address, client)
    return client
  }

  async closeAll(): Promise<void> {
    const clients = [...this.byAddress.values()]
    this.byAddress.clear()
    await closeClients(clients)
  }
}

/** QUIT what is connected, drop the rest; a client that fails to quit is disconnected. */
export async function closeClients(clients: Iterable<Redis>): Promise<void> {
  await Promise.all([...clients].map(async (client) => {
    try {
      if (client.status === 'ready') await client.quit()
      else client.disconnect()
    } catch {
      client.disconnect()
    }
  }))
}
