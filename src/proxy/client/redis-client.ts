// A client of a redis pool: scans RESP requests in place, answers PING, QUIT and AUTH itself as
// nutcracker does (and `AUTH user password` where the pool names its redis_user), splits multi-key commands, and forwards everything else unchanged to the
// server of its first key.
import type net from 'node:net'
import {Arity, type PublishedCommands, Special} from '../../protocol/redis-commands.js'
import {RedisRequestScanner} from '../../protocol/redis-request.js'
import {ClientConnection, type ClientContext} from './client.js'
import {ECONNREFUSED} from '../io/errno.js'
import {splitAndForward} from './fragment.js'
import {Merge, Request} from './request.js'
import {ACROSS_SERVERS, CROSSSERVER, routePublished} from './published-route.js'
import {CROSSSLOT_REPLY} from '../cluster/cluster-keys.js'

const PONG = Buffer.from('+PONG\r\n')
const OK = Buffer.from('+OK\r\n')
const NO_PASSWORD = Buffer.from('-ERR Client sent AUTH, but no password is set\r\n')
const BAD_PASSWORD = Buffer.from('-ERR invalid password\r\n')
const WRONGPASS = Buffer.from('-WRONGPASS invalid username-password pair or user is disabled.\r\n')
const NOAUTH = Buffer.from('-NOAUTH Authentication required\r\n')
const EMPTY = new Uint8Array(0)

const errorReplies = new Map<string, Uint8Array>()

export class RedisClient extends ClientConnection {
  protected override readonly scanner: RedisRequestScanner
  private readonly password: Buffer | undefined
  private readonly user: Buffer | undefined
  private authenticated: boolean

  constructor(socket: net.Socket, ctx: ClientContext) {
    super(socket, ctx)
    this.scanner = new RedisRequestScanner(ctx.maxKeyLength, ctx.limits.maxRequestBytes, ctx.published)
    this.password = ctx.redisAuth === undefined ? undefined : Buffer.from(ctx.redisAuth)
    this.user = ctx.redisUser === undefined ? undefined : Buffer.from(ctx.redisUser)
    this.authenticated = this.password === undefined
  }

  /** the pool's published commands, read by a reload's key handover */
  get published(): PublishedCommands | undefined {
    return this.ctx.published
  }

  protected errorReply(error: string): Uint8Array {
    let reply = errorReplies.get(error)
    if (reply === undefined) errorReplies.set(error, (reply = Buffer.from(`-ERR ${error}\r\n`)))
    return reply
  }

  protected override handle(buf: Uint8Array): void {
    const scanner = this.scanner
    const cmd = scanner.cmd!
    // AUTH takes a password, or a user and a password where the pool names its user; other
    // counts close the client, as nutcracker's arity check does
    if (cmd.special === Special.Auth && (scanner.argc > 3 || (scanner.argc === 3 && this.user === undefined))) {
      this.fail('wrong number of arguments for auth')
      return
    }
    const request = new Request(this, buf)
    this.enqueue(request)
    const special = cmd.special
    if (special === Special.Quit) {
      request.closeAfter = true
      this.stopReading = true
      request.complete(EMPTY, null)
      return
    }
    if (special === Special.Auth) {
      request.complete(scanner.argc === 3 ? this.authenticateUser(buf) : this.authenticate(buf, scanner.argStart(1), scanner.argEnd(1)), null)
      return
    }
    if (!this.authenticated) {
      request.complete(NOAUTH, null)
      return
    }
    if (special === Special.Ping) {
      request.complete(PONG, null)
      return
    }
    const backend = this.ctx.backend
    if (special >= Special.Mget && scanner.argc > (special === Special.Mset ? 3 : 2)) {
      const name = cmd.name
      const merge = special === Special.Mget ? Merge.Mget : special === Special.Mset ? Merge.Ok : Merge.Sum
      if (!splitAndForward(request, {buf, args: scanner.args, argc: scanner.argc}, name, special === Special.Mset ? 2 : 1, merge, backend)) {
        request.complete(null, ECONNREFUSED)
      }
      return
    }
    let index: number
    if (cmd.arity === Arity.Published) index = routePublished(backend, buf, scanner)
    else if (cmd.arity === Arity.NoKey) index = backend.route(buf, 0, 0)
    else if (cmd.arity === Arity.Eval) index = backend.route(buf, scanner.argStart(3), scanner.argEnd(3))
    else index = backend.route(buf, scanner.argStart(1), scanner.argEnd(1))
    if (index === ACROSS_SERVERS) request.complete(backend.routesByServerList ? CROSSSERVER : CROSSSLOT_REPLY, null)
    else if (index < 0) request.complete(null, ECONNREFUSED)
    else backend.forward(index, request)
  }

  /** AUTH at the proxy: the pool's redis_auth is the only password. */
  private authenticate(buf: Uint8Array, start: number, end: number): Uint8Array {
    const password = this.password
    if (password === undefined) return NO_PASSWORD
    const ok = end - start === password.length && password.equals(buf.subarray(start, end))
    this.authenticated = ok
    return ok ? OK : BAD_PASSWORD
  }

  /** AUTH user password (Redis 6): the pool's redis_user with its redis_auth. */
  private authenticateUser(buf: Uint8Array): Uint8Array {
    const scanner = this.scanner
    const user = this.user!
    const userOk = user.equals(buf.subarray(scanner.argStart(1), scanner.argEnd(1)))
    const ok = userOk && this.authenticate(buf, scanner.argStart(2), scanner.argEnd(2)) === OK
    this.authenticated = ok
    return ok ? OK : WRONGPASS
  }
}
