// One ioredis client per node, created on first use and closed together. The tools talk to
// servers directly (never through a proxy), so a server that is down must fail fast with an
// error the command can turn into a sentence, not retry forever in the background: `probe`.
import type {Redis} from 'ioredis'
import {closeClients, createClient} from './client-factory.js'
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
    client = createClient(path ? {path} : {host: node.host, port: node.port}, {
      policy: 'probe',
      password: this.options.password,
      db: this.options.db,
      connectTimeoutMs: this.options.connectTimeoutMs,
    })
    this.byAddress.set(node.address, client)
    return client
  }

  async closeAll(): Promise<void> {
    const clients = [...this.byAddress.values()]
    this.byAddress.clear()
    await closeClients(clients)
  }
}
