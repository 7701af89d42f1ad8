// Socket writes are collected and written once per socket, at one of two moments:
// - `Flush.Turn` (server connections): in the check phase (setImmediate), after every readable
//   socket of this loop turn has been read, so many clients' requests to one server leave in one
//   write: the server then reads and answers them together.
// - `Flush.Callback` (client connections): as soon as the I/O callback that produced them returns
//   (process.nextTick), so a reply does not wait a loop phase; the replies one server read
//   completed for a client still leave together.
// Each batch leaves in one write, through the socket's handle where possible (socket-write.ts).
import type {Socket} from 'node:net'
import {SocketWriter} from './socket-write.js'

export const enum Flush {
  Turn = 0,
  Callback = 1,
}

/** what a write waiting in a socket's stream holds besides its bytes (objects, allocation) */
const WRITE_OVERHEAD = 256

// Both lists below keep their arrays and count their entries: at pipeline depth 1 they empty after
// every request, and a fresh array (or `length = 0`) would give the backing store back each time.

export class OutBuffer {
  /** chunks[0, count) are queued; the slots after hold nothing */
  readonly chunks: Array<Uint8Array | undefined> = []
  count = 0
  bytes = 0
  scheduled = false
  /** end the socket once the queued bytes are written (QUIT, client EOF) */
  endAfterFlush = false
  readonly writer: SocketWriter

  constructor(readonly socket: Socket, readonly when: Flush = Flush.Turn) {
    this.writer = new SocketWriter(socket)
  }

  /**
   * Memory held for bytes queued here or written and not yet taken by the kernel (an upper
   * bound): the bytes, and for each write the stream holds, its buffer and entry.
   */
  get pendingBytes(): number {
    return this.bytes + this.writer.queuedBytes + WRITE_OVERHEAD * this.writer.streamWrites
  }
}

class FlushQueue {
  private readonly dirty: Array<OutBuffer | undefined> = []
  private count = 0
  private scheduled = false
  private readonly run = () => this.flushAll()

  constructor(private readonly schedule: (run: () => void) => void) {}

  add(out: OutBuffer): void {
    this.dirty[this.count++] = out
    if (!this.scheduled) {
      this.scheduled = true
      this.schedule(this.run)
    }
  }

  private flushAll(): void {
    this.scheduled = false
    const dirty = this.dirty
    // a write can complete requests synchronously (errors), which may queue more: loop by index
    for (let i = 0; i < this.count; i++) {
      const out = dirty[i]!
      dirty[i] = undefined
      flush(out)
    }
    this.count = 0
  }
}

const perTurn = new FlushQueue(setImmediate)
const perCallback = new FlushQueue(process.nextTick)

/** Queues `chunk` for `out`'s socket; it is written at `out.when`. */
export function queueWrite(out: OutBuffer, chunk: Uint8Array): void {
  out.chunks[out.count++] = chunk
  out.bytes += chunk.length
  if (!out.scheduled) {
    out.scheduled = true
    if (out.when === Flush.Callback) perCallback.add(out)
    else perTurn.add(out)
  }
}

function ownCopy(chunk: Uint8Array): Uint8Array {
  const copy = Buffer.allocUnsafeSlow(chunk.length)
  copy.set(chunk)
  return copy
}

function flush(out: OutBuffer): void {
  out.scheduled = false
  const count = out.count
  if (count === 0) return
  const chunks = out.chunks
  const socket = out.socket
  let data: Uint8Array | null = null
  // A peer that does not keep up holds what is written to it: give it memory of its own, not a
  // share of a read buffer or of Buffer's pool that would keep more alive than its bytes.
  const held = out.writer.queuedBytes > 0
  if (socket.destroyed) {
    chunks.fill(undefined, 0, count)
  } else if (count === 1) {
    data = chunks[0]!
    chunks[0] = undefined
    if (held && data.buffer.byteLength > data.length) data = ownCopy(data)
  } else {
    data = held ? Buffer.allocUnsafeSlow(out.bytes) : Buffer.allocUnsafe(out.bytes)
    let at = 0
    for (let i = 0; i < count; i++) {
      const chunk = chunks[i]!
      data.set(chunk, at)
      at += chunk.length
      chunks[i] = undefined
    }
  }
  out.count = 0
  out.bytes = 0
  if (data === null) return
  out.writer.write(data)
  if (out.endAfterFlush && !socket.destroyed) socket.end()
}
