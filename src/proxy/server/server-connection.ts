// One connection from the proxy to one server: connects (TCP or unix socket), sends the session
// preamble (AUTH, SELECT) ahead of everything, writes queued requests once per event-loop turn,
// matches replies to requests in order, and times out. When it closes, every request still on it
// fails with the errno text nutcracker uses.
import net from 'node:net'
import type tls from 'node:tls'
import {ECONNRESET, EINVAL, ETIMEDOUT, UNKNOWN, errnoText} from '../io/errno.js'
import {encodeCommand} from '../../protocol/redis-encode.js'
import {INCOMPLETE, INVALID} from '../../protocol/redis-request.js'
import {isTransientError} from '../../protocol/redis-reply.js'
import type {ReplyScanner} from './reply-scanner.js'
import {Request} from '../client/request.js'
import {RequestQueue} from '../client/request-queue.js'
import {onreadOption, ownedSpan} from '../io/socket-read.js'
import {countConnectionClosed, countConnectionOpened, type ServerStats} from '../stats/stats.js'
import {OutBuffer, queueWrite} from '../io/write-batcher.js'
import {Pieces} from '../io/pieces.js'
import {connectTls} from '../io/tls.js'

/** What a connection needs to know about its server and pool. */
export interface ServerEndpoint {
  readonly index: number
  readonly name: string
  readonly host: string
  readonly port: number
  /** unix socket path, when the server is one */
  readonly path?: string
  readonly stats: ServerStats
}

export interface ConnectionSettings {
  redis: boolean
  /** msec; <= 0 waits forever */
  timeout: number
  redisAuth?: string
  /** redis_user: AUTH as this ACL user (with redisAuth as its password) */
  redisUser?: string
  redisDb: number
  /** tls_server: every connection is TLS with these options (io/tls.ts) */
  tls?: tls.ConnectionOptions
  /** read_from on a cluster: READONLY in the preamble, so a replica answers reads */
  readOnly?: boolean
  newScanner(): ReplyScanner
  /** a reply arrived: the server is healthy */
  serverOk(server: ServerEndpoint): void
  /** the connection closed (after its requests failed) */
  connectionClosed(conn: ServerConnection): void
  log(level: 'error' | 'warn' | 'info', message: string): void
  /** --metrics: each reply's latency in msec */
  observeLatency?: (stats: ServerStats, ms: number) => void
}

export type CloseKind = 'eof' | 'err' | 'timedout'


export class ServerConnection {
  readonly socket: net.Socket
  private readonly out: OutBuffer
  /** requests written (or queued to be written) whose reply has not arrived, oldest first */
  private readonly inflight = new RequestQueue()
  private readonly scanner: ReplyScanner
  /** the reply in progress, when it spans reads */
  private readonly pending = new Pieces()
  private connected = false
  closed = false
  private timer: NodeJS.Timeout | null = null
  private closeError: string | null = null
  private closeKind: CloseKind = 'err'

  constructor(readonly server: ServerEndpoint, private readonly settings: ConnectionSettings) {
    this.scanner = settings.newScanner()
    const onread = onreadOption((chunk) => this.onData(chunk))
    const socket = server.path !== undefined
      ? net.connect({path: server.path, onread})
      : settings.tls !== undefined
        ? connectTls(server.host, server.port, settings.tls, onread).setNoDelay(true)
        : net.connect({host: server.host, port: server.port, noDelay: true, onread})
    this.socket = socket
    this.out = new OutBuffer(socket)
    countConnectionOpened()
    socket.on('connect', () => this.onConnect())
    socket.on('end', () => this.fail(UNKNOWN, 'eof'))
    socket.on('error', (error) => {
      // a TLS failure (certificate refused, handshake) has no errno: say what it was
      if (settings.tls !== undefined && !this.closed && errnoText(error) === UNKNOWN) settings.log('error', `tls to ${server.name} failed: ${error.message}`)
      this.fail(errnoText(error), 'err')
    })
    socket.on('close', () => this.fail(ECONNRESET, 'err'))
    this.queuePreamble()
  }

  /** Requests waiting for a reply on this connection. */
  get depth(): number {
    return this.inflight.length
  }

  /** Requests sent and not answered, oldest first (a cut-over copies their keys: cluster-cutover.ts). */
  pendingRequests(): Request[] {
    return this.inflight.toArray().filter((request) => request.onInternalReply === null)
  }

  send(request: Request): void {
    const stats = this.server.stats
    stats.requests++
    stats.request_bytes += request.data.length
    queueWrite(this.out, request.data)
    if (request.noreply) {
      request.complete(null, null)
      return
    }
    stats.out_queue++
    stats.out_queue_bytes += request.data.length
    if (this.settings.observeLatency !== undefined) request.sentAt = performance.now()
    if (this.settings.timeout > 0) {
      request.deadline = performance.now() + this.settings.timeout
      if (this.timer === null) this.armTimer(this.settings.timeout)
    }
    this.inflight.push(request)
  }

  /** The preamble nutcracker sends on a new connection; replies are swallowed. */
  private queuePreamble(): void {
    const {redisAuth, redisUser, redisDb} = this.settings
    if (!this.settings.redis) return
    if (redisAuth !== undefined) {
      this.sendInternal(encodeCommand(redisUser === undefined ? ['AUTH', redisAuth] : ['AUTH', redisUser, redisAuth]), 'AUTH')
    }
    if (this.settings.readOnly === true) this.sendInternal(encodeCommand(['READONLY']), 'READONLY')
    if (redisDb > 0) {
      const db = String(redisDb)
      this.sendInternal(encodeCommand(['SELECT', db]), `SELECT ${db}`)
    }
  }

  private sendInternal(data: Uint8Array, what: string): void {
    const request = new Request(null, data)
    request.swallow = true
    request.onInternalReply = (reply) => {
      if (reply[0] === 45 /* '-' */) {
        this.settings.log('error', `${what.split(' ')[0]} ${what.split(' ')[1] ?? ''} failed on ${this.server.name}: ${Buffer.from(reply).toString('latin1').trim()}`.replace('  ', ' '))
      }
    }
    queueWrite(this.out, data)
    this.inflight.push(request)
  }

  private onConnect(): void {
    this.connected = true
    this.server.stats.server_connections++
  }

  /**
   * Replies are scanned as the bytes arrive, each read once: a reply that spans reads keeps its
   * pieces in a list, joined once when the scanner finds its end.
   */
  private onData(chunk: Buffer): void {
    const end = chunk.length
    const scanner = this.scanner
    let pos = 0
    while (pos < end) {
      const replyEnd = scanner.scan(chunk, pos, end)
      if (replyEnd === INCOMPLETE) {
        this.pending.push(chunk, pos, end)
        return
      }
      if (replyEnd === INVALID) {
        this.settings.log('error', `parsed bad reply from ${this.server.name}`)
        this.fail(EINVAL, 'err')
        return
      }
      if (!this.reply(this.takeReply(chunk, pos, replyEnd))) return
      pos = replyEnd
    }
  }

  /** The whole reply that ends at chunk[end]: its earlier pieces joined with this one. */
  private takeReply(chunk: Buffer, start: number, end: number): Uint8Array {
    return this.pending.bytes === 0 ? ownedSpan(chunk, start, end) : this.pending.join(chunk, start, end)
  }

  /** Hands one reply to the oldest request. Returns false when the connection was closed. */
  private reply(reply: Uint8Array): boolean {
    const request = this.inflight.peek()
    if (request === undefined) {
      // a reply nobody asked for: the stream is out of step, nutcracker closes the connection
      this.settings.log('error', `stray reply from ${this.server.name}`)
      this.fail(EINVAL, 'err')
      return false
    }
    if (this.settings.redis && isTransientError(reply, 0, reply.length)) {
      // -OOM / -BUSY / -LOADING: nutcracker drops the reply and closes the connection (a failure)
      this.fail(EINVAL, 'err')
      return false
    }
    this.inflight.shift()
    const stats = this.server.stats
    if (request.onInternalReply === null) {
      stats.out_queue--
      stats.out_queue_bytes -= request.data.length
      stats.responses++
      stats.response_bytes += reply.length
      if (this.settings.observeLatency !== undefined) this.settings.observeLatency(stats, performance.now() - request.sentAt)
    }
    this.settings.serverOk(this.server)
    if (request.onInternalReply !== null) request.onInternalReply(reply)
    request.complete(reply, null)
    return true
  }

  /**
   * The timeout's timer is not cleared when the last reply arrives: at pipeline depth 1 that is
   * after nearly every read, and the next request would arm a new one. It fires at most once per
   * `timeout` while requests come and go, looks at the oldest request with a deadline, and is
   * armed again for that one, or left off when nothing is in flight.
   */
  private armTimer(ms: number): void {
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(ms)))
  }

  private readonly onTimer = (): void => {
    this.timer = null
    for (let i = 0; i < this.inflight.length; i++) {
      const request = this.inflight.at(i)!
      if (request.deadline === 0) continue
      const left = request.deadline - performance.now()
      if (left <= 0) {
        this.settings.log('error', `req timeout on s ${this.server.name}`)
        this.fail(ETIMEDOUT, 'timedout')
      } else {
        this.armTimer(left)
      }
      return
    }
  }

  /** Closes the connection once; every request on it fails with `error`. */
  fail(error: string, kind: CloseKind): void {
    if (this.closed) return
    this.closed = true
    this.closeError = error
    this.closeKind = kind
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.socket.destroy()
    this.pending.clear()
    this.scanner.reset()
    countConnectionClosed()
    const stats = this.server.stats
    if (this.connected) stats.server_connections--
    if (kind === 'eof') stats.server_eof++
    else if (kind === 'timedout') stats.server_timedout++
    else stats.server_err++
    for (const request of this.inflight.takeAll()) {
      if (request.onInternalReply === null) {
        stats.out_queue--
        stats.out_queue_bytes -= request.data.length
      }
      request.complete(null, error)
    }
    this.settings.connectionClosed(this)
  }

  get error(): string | null {
    return this.closeError
  }

  get kind(): CloseKind {
    return this.closeKind
  }
}
