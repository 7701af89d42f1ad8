// A client of a memcache pool (redis: false): scans ASCII requests in place, closes on quit,
// splits multi-key get/gets, and forwards everything else unchanged to the key's server.
import type net from 'node:net'
import {McCommand, MemcacheRequestScanner} from '../../protocol/memcache-request.js'
import {ClientConnection, type ClientContext} from './client.js'
import {ECONNREFUSED} from '../io/errno.js'
import {splitGetAndForward} from './memcache-fragment.js'
import {Request} from './request.js'

const EMPTY = new Uint8Array(0)
const PLACEHOLDER = Buffer.from('placeholder')
const errorReplies = new Map<string, Uint8Array>()

export class MemcacheClient extends ClientConnection {
  protected override readonly scanner: MemcacheRequestScanner

  constructor(socket: net.Socket, ctx: ClientContext) {
    super(socket, ctx)
    this.scanner = new MemcacheRequestScanner(1024 * 1024, ctx.limits.maxRequestBytes)
  }

  protected errorReply(error: string): Uint8Array {
    let reply = errorReplies.get(error)
    if (reply === undefined) errorReplies.set(error, (reply = Buffer.from(`SERVER_ERROR ${error}\r\n`)))
    return reply
  }

  protected override handle(buf: Uint8Array): void {
    const scanner = this.scanner
    const request = new Request(this, buf)
    this.enqueue(request)
    const command = scanner.command
    if (command === McCommand.Quit) {
      request.closeAfter = true
      this.stopReading = true
      request.complete(EMPTY, null)
      return
    }
    const backend = this.ctx.backend
    if ((command === McCommand.Get || command === McCommand.Gets) && scanner.keyCount > 1) {
      if (!splitGetAndForward(request, buf, scanner.keys, scanner.keyCount, command === McCommand.Gets, backend)) {
        request.complete(null, ECONNREFUSED)
      }
      return
    }
    request.noreply = scanner.noreply
    const index = command === McCommand.Version
      ? backend.route(PLACEHOLDER, 0, PLACEHOLDER.length)
      : backend.route(buf, scanner.keys[0], scanner.keys[1])
    if (index < 0) {
      request.noreply = false
      request.complete(null, ECONNREFUSED)
    } else {
      backend.forward(index, request)
    }
  }
}
