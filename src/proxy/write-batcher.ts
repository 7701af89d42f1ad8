// Socket writes are collected and written once per socket, at one of two moments:
// - `Flush.Turn` (server connections): in the check phase (setImmediate), after every readable
//   socket of this loop turn has been read, so many clients' requests to one server leave in one
//   write: the server then reads and answers them together.
// - `Flush.Callback` (client connections): as soon as the I/O callback that produced them returns
//   (process.nextTick), so a reply does not wait a loop phase; the replies one server read
//   completed for a client still leave together.
import type {Socket} from 'node:net'

export const enum Flush {
  Turn = 0,
  Callback = 1,
}

export class OutBuffer {
  chunks: Uint8Array[] = []
  bytes = 0
  scheduled = false
  /** end the socket once the queued bytes are written (QUIT, client EOF) */
  endAfterFlush = false

  constructor(readonly socket: Socket, readonly when: Flush = Flush.Turn) {}
}

class FlushQueue {
  private readonly dirty: OutBuffer[] = []
  private scheduled = false
  private readonly run = () => this.flushAll()

  constructor(private readonly schedule: (run: () => void) => void) {}

  add(out: OutBuffer): void {
    this.dirty.push(out)
    if (!this.scheduled) {
      this.scheduled = true
      this.schedule(this.run)
    }
  }

  private flushAll(): void {
    this.scheduled = false
    const dirty = this.dirty
    // a write can complete requests synchronously (errors), which may queue more: loop by index
    for (let i = 0; i < dirty.length; i++) flush(dirty[i])
    dirty.length = 0
  }
}

const perTurn = new FlushQueue(setImmediate)
const perCallback = new FlushQueue(process.nextTick)

/** Queues `chunk` for `out`'s socket; it is written at `out.when`. */
export function queueWrite(out: OutBuffer, chunk: Uint8Array): void {
  out.chunks.push(chunk)
  out.bytes += chunk.length
  if (!out.scheduled) {
    out.scheduled = true
    if (out.when === Flush.Callback) perCallback.add(out)
    else perTurn.add(out)
  }
}

function flush(out: OutBuffer): void {
  out.scheduled = false
  const chunks = out.chunks
  if (chunks.length === 0) return
  const socket = out.socket
  if (socket.destroyed) {
    out.chunks = []
    out.bytes = 0
    return
  }
  const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, out.bytes)
  out.chunks = []
  out.bytes = 0
  socket.write(data)
  if (out.endAfterFlush) socket.end()
}
