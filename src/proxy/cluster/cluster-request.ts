// What the cluster backend keeps per node and per request. A node is a server connection
// endpoint named "host:port"; a client's request travels to nodes wrapped in a ClusterRequest, so
// a MOVED/ASK/TRYAGAIN answer can be followed (and the request resent) before the client sees
// anything.
import {formatAddress} from '../../address.js'
import {Request, type RequestOwner} from '../client/request.js'
import type {ServerConnection, ServerEndpoint} from '../server/server-connection.js'
import {ServerStats} from '../stats/stats.js'

export class ClusterNode implements ServerEndpoint {
  readonly name: string
  readonly stats: ServerStats
  /** position among the masters in the stats document; -1 when not a master now */
  index = -1
  connections: ServerConnection[] = []
  nextConnection = 0

  constructor(readonly host: string, readonly port: number) {
    this.name = formatAddress({host, port})
    this.stats = new ServerStats(this.name)
  }
}

/** What travels to a node on behalf of a client's request, so a redirect can be followed before the client sees it. */
export class ClusterRequest extends Request {
  redirects = 0
  /** msec since epoch until which it may still be retried; 0 before its first retry */
  retryUntil = 0
  /** the node it was last sent to (an empty host in MOVED/ASK means this one) */
  node: ClusterNode | undefined

  constructor(owner: RequestOwner, readonly original: Request, readonly slot: number, readonly seq: number) {
    super(owner, original.data)
  }

  /** Ready to be sent again. */
  reset(): void {
    this.done = false
    this.reply = null
    this.error = null
  }
}

/** Whether a reply starts with `prefix` (ASCII), read in place. */
export function replyStartsWith(reply: Uint8Array, prefix: string): boolean {
  if (reply.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (reply[i] !== prefix.charCodeAt(i)) return false
  return true
}
