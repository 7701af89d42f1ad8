// A client connection: reads requests (protocol scanning is the subclass's job), keeps them in
// arrival order, and writes each reply once it and every earlier one are done. Everything a
// client can make the proxy hold is bounded (see limits.ts). A plain client that went quiet with
// nothing pending gives its socket up (rest): only its handle and this object stay, and its next
// read event makes a new socket (parked-accept.ts).
import type net from 'node:net'
import type {PoolBackend} from '../backend.js'
import type {ClientLimits} from './limits.js'
import type {Logger} from '../cli/log.js'
import type {Request, RequestOwner} from './request.js'
import {RequestQueue} from './request-queue.js'
import {countConnectionClosed, type PoolStats} from '../stats/stats.js'
import {readAccepted, readSpan} from '../io/socket-read.js'
import {Pieces} from '../io/pieces.js'
import {Flush, OutBuffer, queueWrite} from '../io/write-batcher.js'
import {type AcceptedHandle, closeResting, restSocket, type RestingOwner} from '../io/parked-accept.js'
import {INCOMPLETE, INVALID} from '../../protocol/redis-request.js'
import type {PublishedCommands} from '../../protocol/redis-commands.js'

export interface ClientContext {
  backend: PoolBackend
  stats: PoolStats
  limits: ClientLimits
  logger: Logger
  poolName: string
  redisAuth?: string
  /** redis_user: clients may also AUTH as this user (with redisAuth) */
  redisUser?: string
  /** the largest key nutcracker accepts (mbuf data size) */
  maxKeyLength: number
  /** `command_keys: backend`: the newer commands the pool's servers publish */
  published?: PublishedCommands
}

const EMPTY = new Uint8Array(0)

/** What onData() needs of a protocol's request scanner; both scanners share INCOMPLETE/INVALID. */
export interface RequestScanner {
  /** goes on scanning the stream: the end of the request in progress in buf, INCOMPLETE or INVALID */
  scan(buf: Uint8Array, start: number, end: number): number
  /** forgets a request in progress */
  reset(): void
  /** forgets a request in progress and gives back its tables (an idle client) */
  release(): void
  /** why the request is INVALID */
  readonly reason: string
}

/** Who counts a client connection (the pool's listener): told once, when it closes. */
export interface ClientTracker {
  clientClosed(client: ClientConnection): void
}

export abstract class ClientConnection implements RequestOwner, RestingOwner {
  /** requests in arrival order, until their replies are written */
  private readonly queue = new RequestQueue()
  /** the client's socket and its output; null while the client rests */
  private socket: net.Socket | null
  private out: OutBuffer | null
  /** the parked handle while the client rests (no socket) */
  private resting: AcceptedHandle | null = null
  /** something was read since the last restIfIdle() */
  private active = true
  tracker: ClientTracker | null = null
  /** the request in progress, when it spans reads (made at the first such request) */
  private partial: Pieces | null = null
  /** the client half-closed: answer what is pending, then close */
  private eof = false
  /** QUIT seen or an error is being answered: read nothing more */
  protected stopReading = false
  private closed = false
  private paused = false

  constructor(socket: net.Socket, protected readonly ctx: ClientContext) {
    // counted as opened by the listener, when accepted
    this.socket = socket
    this.out = new OutBuffer(socket, Flush.Callback)
    this.attach(socket)
  }

  /** Reads and watches the client's socket (made at the accept, or when it wakes from rest). */
  private attach(socket: net.Socket): void {
    const ctx = this.ctx
    socket.setNoDelay(true)
    socket.on('end', () => this.onEnd())
    socket.on('error', () => this.close(false))
    socket.on('close', () => this.close(this.eof))
    socket.on('drain', () => this.maybeResume())
    readAccepted(socket, (chunk) => this.onData(chunk))
    if (ctx.limits.idleTimeout > 0) {
      socket.setTimeout(ctx.limits.idleTimeout, () => {
        ctx.logger.info(`closing idle client on pool '${ctx.poolName}'`, 'client.ts')
        this.close(false)
      })
    }
  }

  /** The protocol's request scanner (RESP or memcache ASCII). */
  protected abstract readonly scanner: RequestScanner

  /**
   * Handles one complete request: `data` is its bytes, the scanner's argument offsets count
   * from data[0].
   */
  protected abstract handle(data: Uint8Array): void

  /** The reply bytes the proxy sends for a request that failed with `error` (a strerror text). */
  protected abstract errorReply(error: string): Uint8Array

  /**
   * Requests are scanned as the bytes arrive, each read once: one that spans reads keeps its
   * pieces, joined once when the scanner finds its end.
   */
  private onData(chunk: Buffer): void {
    if (this.stopReading || this.closed) return
    this.active = true
    const scanner = this.scanner
    const end = chunk.length
    let pos = 0
    while (pos < end && !this.stopReading) {
      const requestEnd = scanner.scan(chunk, pos, end)
      if (requestEnd === INCOMPLETE) {
        this.keepPartial(chunk, pos, end)
        break
      }
      if (requestEnd === INVALID) {
        this.fail(scanner.reason)
        return
      }
      this.handle(this.takeRequest(chunk, pos, requestEnd))
      if (this.closed) return
      pos = requestEnd
    }
    if (this.depth >= this.ctx.limits.maxPipeline && !this.paused) {
      this.paused = true
      this.socket!.pause()
    }
  }

  private keepPartial(chunk: Buffer, start: number, end: number): void {
    const partial = this.partial ?? (this.partial = new Pieces())
    partial.push(chunk, start, end)
    if (partial.bytes > this.ctx.limits.maxRequestBytes) this.fail('request too large')
  }

  /** The whole request that ends at chunk[end]: its earlier pieces joined with this one. */
  private takeRequest(chunk: Buffer, start: number, end: number): Uint8Array {
    const partial = this.partial
    if (partial === null || partial.bytes === 0) return readSpan(chunk, start, end)
    const data = partial.join(chunk, start, end)
    this.partial = null
    return data
  }

  /** Requests read and not yet answered. */
  get depth(): number {
    return this.queue.length
  }

  /** Adds a request to the reply order. */
  protected enqueue(request: Request): void {
    this.queue.push(request)
  }

  requestDone(request: Request): void {
    if (this.queue.peek() === request) this.drain()
  }

  /** Writes the replies of the done requests at the head of the queue, in order. */
  protected drain(): void {
    const queue = this.queue
    const out = this.out!
    for (let request = queue.peek(); request !== undefined && request.done; request = queue.peek()) {
      queue.shift()
      if (request.error !== null) {
        this.ctx.stats.forward_error++
        queueWrite(out, this.errorReply(request.error))
      } else if (request.reply !== null && request.reply.length > 0 && !request.noreply) {
        queueWrite(out, request.reply)
      }
      if (request.closeAfter) {
        this.finish()
        return
      }
    }
    if (out.pendingBytes > this.ctx.limits.maxOutputBytes) {
      this.ctx.logger.error(`client on pool '${this.ctx.poolName}' does not read its replies: closing it`, 'client.ts')
      this.close(false)
      return
    }
    if (this.eof && this.depth === 0) this.finish()
    else this.maybeResume()
  }

  private maybeResume(): void {
    if (this.paused && !this.closed && this.depth <= this.ctx.limits.maxPipeline >> 1) {
      this.paused = false
      this.socket!.resume()
    }
  }

  private onEnd(): void {
    this.eof = true
    this.stopReading = true
    if (this.depth === 0) this.finish()
  }

  /** Closes after the replies queued so far are written (QUIT, EOF). */
  protected finish(): void {
    this.stopReading = true
    if (this.out!.bytes > 0) this.out!.endAfterFlush = true
    else this.socket!.end()
  }

  /** A protocol error: nutcracker closes the client at once, without a reply. */
  protected fail(reason: string): void {
    this.ctx.logger.error(`parsed unsupported command on pool '${this.ctx.poolName}': ${reason}`, 'client.ts')
    this.close(false)
  }

  /** Closes now; replies still due are dropped when they arrive. */
  protected close(eof: boolean): void {
    if (this.closed) return
    this.closed = true
    this.stopReading = true
    if (this.socket !== null) this.socket.destroy()
    if (this.resting !== null) closeResting(this.resting)
    this.resting = null
    this.tracker?.clientClosed(this)
    countConnectionClosed()
    const stats = this.ctx.stats
    stats.client_connections--
    if (eof) stats.client_eof++
    else stats.client_err++
    for (const request of this.queue.takeAll()) request.swallow = true
    this.partial = null
    this.scanner.reset()
  }

  /** Closes now, whether it has a socket or rests (the listener stops). */
  drop(): void {
    if (this.socket !== null) this.socket.destroy()
    else this.close(false)
  }

  /**
   * Called now and then (the listener's idle sweep): a client that read nothing since the last
   * call and holds nothing (no request in flight or in pieces, no output, not paused or ending)
   * gives up its socket, output buffer and queue array, and keeps only its handle, parked, and
   * this object. A plain client only: where the socket cannot rest nothing changes.
   */
  restIfIdle(): void {
    if (this.active) {
      this.active = false
      return
    }
    const socket = this.socket
    const out = this.out
    if (socket === null || out === null || this.closed || this.stopReading || this.eof || this.paused || this.queue.length !== 0 ||
      this.partial !== null || out.count !== 0 || out.scheduled || out.writer.queuedBytes !== 0 || out.writer.streamWrites !== 0) return
    const handle = restSocket(socket, this)
    if (handle === null) return
    this.resting = handle
    this.socket = null
    this.out = null
    this.queue.takeAll()
    this.scanner.release()
  }

  /** The next read event of a resting client: its new socket (parked-accept.ts). */
  wake(socket: net.Socket): void {
    this.resting = null
    this.active = true
    this.socket = socket
    this.out = new OutBuffer(socket, Flush.Callback)
    this.attach(socket)
  }

  /** Whether the client has closed. */
  get isClosed(): boolean {
    return this.closed
  }

  protected static readonly EMPTY = EMPTY
}
