// A pool's listening socket (TCP host:port or unix socket path with its permission, or TLS with
// the pool's tls_* keys): accepts clients and hands each to a redis or memcache client connection.
import {chmodSync, existsSync, unlinkSync} from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import {listenerTlsOf} from '../../config/extension-keys/tls.js'
import type {PoolConfig} from '../../config/types.js'
import type {ClientContext} from '../client/client.js'
import {MemcacheClient} from '../client/memcache-client.js'
import {RedisClient} from '../client/redis-client.js'
import {countConnectionOpened} from '../stats/stats.js'
import {listenerTlsOptions} from './tls.js'

export class PoolListener {
  readonly server: net.Server
  private clients = 0
  private readonly sockets = new Set<net.Socket>()

  constructor(private readonly pool: PoolConfig, private readonly ctx: ClientContext, private readonly shared = false) {
    // accepted paused: the client starts reading once it has set up how (socket-read.ts)
    const settings = listenerTlsOf(pool)
    this.server = settings === undefined
      ? net.createServer({allowHalfOpen: true, pauseOnConnect: true}, (socket) => this.accept(socket))
      // handed over once the handshake is done (and the client's certificate checked)
      : tls.createServer({...listenerTlsOptions(pool.name, settings), allowHalfOpen: true, pauseOnConnect: true}, (socket) => this.accept(socket))
    if (settings !== undefined) this.server.on('tlsClientError', (error) => ctx.logger.info(`tls client refused on pool '${pool.name}': ${error.message}`, 'proxy.ts'))
  }

  private accept(socket: net.Socket): void {
    const {maxClients} = this.ctx.limits
    if (maxClients > 0 && this.clients >= maxClients) {
      this.ctx.logger.error(`client connections ${this.clients} exceed limit ${maxClients}`, 'proxy.ts')
      socket.destroy()
      return
    }
    if (this.pool.tcpkeepalive) socket.setKeepAlive(true)
    this.clients++
    this.sockets.add(socket)
    socket.once('close', () => {
      this.clients--
      this.sockets.delete(socket)
    })
    if (this.pool.redis) new RedisClient(socket, this.ctx)
    else new MemcacheClient(socket, this.ctx)
  }

  /** Binds; rejects with the bind error (EADDRINUSE, EACCES...). */
  listen(): Promise<void> {
    const listen = this.pool.listen
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      const done = () => {
        this.server.off('error', reject)
        countConnectionOpened()
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
    for (const socket of this.sockets) socket.destroy()
  }
}
