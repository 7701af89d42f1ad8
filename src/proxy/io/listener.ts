// A pool's listening socket (TCP host:port or unix socket path with its permission, or TLS with
// the pool's tls_* keys): accepts clients and hands each to a redis or memcache client connection.
// A plain (not TLS) client gets its net.Socket and client connection at its first read
// (parked-accept.ts) unless an idle timeout must run from the accept; it is counted from the accept.
// Such clients are swept every REST_SWEEP_MS: one idle since the last sweep gives its socket up
// until its next read (ClientConnection.restIfIdle).
import {chmodSync, existsSync, unlinkSync} from 'node:fs'
import net from 'node:net'
import {listenerTlsOf} from '../../config/extension-keys/tls.js'
import type {PoolConfig} from '../../config/types.js'
import type {ClientConnection, ClientContext, ClientTracker} from '../client/client.js'
import {MemcacheClient} from '../client/memcache-client.js'
import {RedisClient} from '../client/redis-client.js'
import {countConnectionClosed, countConnectionOpened} from '../stats/stats.js'
import {type AcceptedHandle, closeParked, parkAccepted} from './parked-accept.js'
import {createTlsServer, listenerTlsOptions} from './tls.js'

/** How often plain clients are looked at: one that read nothing for a whole period rests. */
export const REST_SWEEP_MS = 500

export class PoolListener implements ClientTracker {
  readonly server: net.Server
  private clients = 0
  /** the client connections made (each at its first read or at the accept) and not closed */
  private readonly connections = new Set<ClientConnection>()
  private sweep: NodeJS.Timeout | null = null
  /** accepted connections that have not read yet (no socket yet); null: every client has a socket */
  private parked: Set<AcceptedHandle> | null = null
  private readonly tls: boolean

  constructor(private readonly pool: PoolConfig, private readonly ctx: ClientContext, private readonly shared = false) {
    // accepted paused: the client starts reading once it has set up how (socket-read.ts)
    const settings = listenerTlsOf(pool)
    this.tls = settings !== undefined
    this.server = settings === undefined
      ? net.createServer({allowHalfOpen: true, pauseOnConnect: true}, (socket) => this.accept(socket))
      // handed over once the handshake is done (and the client's certificate checked)
      : createTlsServer({...listenerTlsOptions(pool.name, settings), allowHalfOpen: true, pauseOnConnect: true}, (socket) => this.accept(socket))
    if (settings !== undefined) this.server.on('tlsClientError', (error) => ctx.logger.info(`tls client refused on pool '${pool.name}': ${error.message}`, 'proxy.ts'))
  }

  /** Counts an accepted connection, or refuses it (false) over the client limit. */
  private admit(): boolean {
    const {maxClients} = this.ctx.limits
    if (maxClients > 0 && this.clients >= maxClients) {
      this.ctx.logger.error(`client connections ${this.clients} exceed limit ${maxClients}`, 'proxy.ts')
      return false
    }
    this.clients++
    countConnectionOpened()
    this.ctx.stats.client_connections++
    return true
  }

  private accept(socket: net.Socket): void {
    if (!this.admit()) {
      socket.destroy()
      return
    }
    this.serve(socket)
  }

  /** A counted connection's socket gets its client connection. */
  private serve(socket: net.Socket): void {
    if (this.pool.tcpkeepalive) socket.setKeepAlive(true)
    const client = this.pool.redis ? new RedisClient(socket, this.ctx) : new MemcacheClient(socket, this.ctx)
    client.tracker = this
    this.connections.add(client)
  }

  clientClosed(client: ClientConnection): void {
    if (this.connections.delete(client)) this.clients--
  }

  /** Lets every plain client idle since the last sweep rest (without its socket). */
  private restIdleClients(): void {
    for (const client of this.connections) client.restIfIdle()
  }

  /** Binds; rejects with the bind error (EADDRINUSE, EACCES...). */
  listen(): Promise<void> {
    const listen = this.pool.listen
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      const done = () => {
        this.server.off('error', reject)
        countConnectionOpened()
        // an idle timeout runs from the accept, on the client's socket: no parking then
        if (!this.tls && this.ctx.limits.idleTimeout === 0) this.parked = parkAccepted(this.server, () => this.admit(), (socket) => this.serve(socket))
        if (this.parked !== null) {
          this.sweep = setInterval(() => this.restIdleClients(), REST_SWEEP_MS)
          this.sweep.unref()
        }
        if (listen.kind === 'unix' && listen.perm !== undefined) chmodSync(listen.path, listen.perm)
        resolve()
      }
      if (listen.kind === 'unix') {
        if (!this.shared && existsSync(listen.path)) unlinkSync(listen.path)
        this.server.listen({path: listen.path, backlog: this.pool.backlog}, done)
      } else {
        this.server.listen({host: listen.host, port: listen.port, backlog: this.pool.backlog}, done)
      }
    })
  }

  /** Stops accepting and closes the clients (their pending replies are dropped). */
  close(): void {
    this.server.close()
    if (this.sweep !== null) clearInterval(this.sweep)
    this.sweep = null
    for (const client of this.connections) client.drop()
    if (this.parked !== null) this.dropParked(closeParked(this.parked))
  }

  /** Parked connections closed by close(): counted closed as a destroyed client is. */
  private dropParked(count: number): void {
    const stats = this.ctx.stats
    for (let i = 0; i < count; i++) countConnectionClosed()
    this.clients -= count
    stats.client_connections -= count
    stats.client_err += count
  }
}
