// Socket writes are collected during an event-loop turn and written once per socket in the check
// phase (setImmediate), after every readable socket of this turn has been read. Many clients'
// requests to one server then leave in one write, and a pipelined client's replies too.
import type {Socket} from 'node:net'

export class OutBuffer {
  chunks: Uint8Array[] = []
  bytes = 0
  scheduled = false
  /** end the socket once the queued bytes are written (QUIT, client EOF) */
  endAfterFlush = false

  constructor(readonly socket: Socket) {}
}

const dirty: OutBuffer[] = []
let flushScheduled = false

/** Queues `chunk` for `out`'s socket; it is written after the current turn's reads. */
export function queueWrite(out: OutBuffer, chunk: Uint8Array): void {
  out.chunks.push(chunk)
  out.bytes += chunk.length
  if (!out.scheduled) {
    out.scheduled = true
    dirty.push(out)
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flushAll)
    }
  }
}

function flushAll(): void {
  flushScheduled = false
  // a write can complete requests synchronously (errors), which may queue more: loop by index
  for (let i = 0; i < dirty.length; i++) flush(dirty[i])
  dirty.length = 0
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
