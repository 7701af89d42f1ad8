// One request in flight through the proxy. A client queues its requests in arrival order; each is
// either answered by the proxy itself, forwarded to one server, or split into fragments (each a
// Request with a parent) whose replies are merged once all have arrived.

import type {PublishedCommands} from '../../protocol/redis-commands.js'

/** What a request needs from the client that owns it. */
export interface RequestOwner {
  /** called when `request` is done (reply or error set) */
  requestDone(request: Request): void
  /** the pool's published commands (`command_keys: backend`), so a reload finds their keys too */
  readonly published?: PublishedCommands
}

export const enum Merge {
  /** forward the reply as is */
  None = 0,
  /** MGET: one array of the keys' values, in request order */
  Mget = 1,
  /** DEL/UNLINK/TOUCH: the sum of the integer replies */
  Sum = 2,
  /** MSET: +OK when every fragment said +OK */
  Ok = 3,
  /** memcache get/gets: the VALUE blocks in key order, then END */
  MemcacheGet = 4,
}

export class Request {
  /** the client waiting for the reply; null for requests whose reply is swallowed (server preamble) */
  owner: RequestOwner | null
  /** bytes to send to the server (the client's original bytes unless this is a fragment) */
  data: Uint8Array
  /** the reply, set when done */
  reply: Uint8Array | null = null
  /** strerror text when the proxy has to answer with an error instead of a server reply */
  error: string | null = null
  done = false
  /** the client went away or nobody wants the reply: drop it when it arrives */
  swallow = false
  /** close the client once this request's reply (if any) is written: QUIT, fragment failure */
  closeAfter = false
  /** memcache noreply: nothing comes back from the server, nothing goes to the client */
  noreply = false
  /** monotonic msec after which the server connection is timed out (0: no timeout) */
  deadline = 0
  /** monotonic msec when it was queued to a server (only measured with --metrics) */
  sentAt = 0
  /** for fragments: the request they were split from */
  parent: Request | null = null
  /** for a split request: its fragments in server order, and how many are not done */
  fragments: Request[] | null = null
  pendingFragments = 0
  merge: Merge = Merge.None
  /** for a split request: for each key in order, the index of its fragment in `fragments` */
  keyFragment: Int32Array | null = null
  /** for the proxy's own requests (AUTH/SELECT preamble): sees the reply before it is dropped */
  onInternalReply: ((reply: Uint8Array) => void) | null = null
  /** the server index that received it (stats) */
  serverIndex = -1

  constructor(owner: RequestOwner | null, data: Uint8Array) {
    this.owner = owner
    this.data = data
  }

  /** Marks the request done with a reply and tells its owner (or its parent). */
  complete(reply: Uint8Array | null, error: string | null): void {
    if (this.done) return
    this.done = true
    this.reply = reply
    this.error = error
    if (this.parent !== null) {
      const parent = this.parent
      if (--parent.pendingFragments === 0) parent.fragmentsDone()
      return
    }
    if (this.owner !== null && !this.swallow) this.owner.requestDone(this)
  }

  /** Set by fragment.ts: merges fragment replies into this request's reply. */
  onFragmentsDone: ((request: Request) => void) | null = null

  private fragmentsDone(): void {
    this.onFragmentsDone?.(this)
    this.done = true
    if (this.owner !== null && !this.swallow) this.owner.requestDone(this)
  }
}
