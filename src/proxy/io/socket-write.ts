// Socket writes without Node's stream path, the counterpart of socket-read.ts. socket.write() takes
// every write through Writable's machinery (writeOrBuffer, a fresh WriteWrap, onwrite, afterWrite
// by nextTick, state bookkeeping) although libuv nearly always hands the bytes to the kernel at
// once; at pipeline depth 1 that is twice per request. When nothing is queued anywhere for the
// socket, a write here goes straight to its handle: libuv tries it synchronously and queues what
// the kernel did not take. Order holds because libuv queues in order: a write made while one is
// queued (here or by socket.write) goes behind it, and end() (a libuv shutdown) waits for it.
//
// Everything else takes socket.write(): a TLS socket (its handle is the TLS layer), no handle, still connecting, ended, bytes held in the
// stream, a direct write still queued in libuv (so a peer that reads slowly gets the stream's
// buffering and batching as before), or a Node without these internals.
import net from 'node:net'
import {getSystemErrorName} from 'node:util'

/** The request object libuv writes carry (Node's WriteWrap); only touched by the fields below. */
interface WriteReq {
  oncomplete: (this: WriteReq, status: number) => void
  /** keeps the bytes alive while libuv holds a pointer to them */
  buffer: Uint8Array | null
  writer: SocketWriter | null
}

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Uint8Array): number
  readonly writeQueueSize: number
}

interface StreamBinding {
  WriteWrap: new () => WriteReq
  streamBaseState: Int32Array
  kLastWriteWasAsync: number
}

/** Node's stream binding, or null where this Node does not offer what the direct path needs. */
function loadBinding(): StreamBinding | null {
  try {
    const binding = (process as unknown as {binding?: (name: string) => unknown}).binding
    const found = typeof binding === 'function' ? (binding('stream_wrap') as Partial<StreamBinding>) : undefined
    if (found === undefined || typeof found.WriteWrap !== 'function' || !(found.streamBaseState instanceof Int32Array) ||
      typeof found.kLastWriteWasAsync !== 'number') return null
    return found as StreamBinding
  } catch {
    return null
  }
}

const binding = process.env.TWPROXY_STREAM_WRITES === '1' ? null : loadBinding()

type TimedSocket = net.Socket & {_unrefTimer?: () => void}

/** socket.write() refreshes a socket's idle timeout; a direct write does it through the same method. */
const canRefreshTimeout = typeof (net.Socket.prototype as TimedSocket)._unrefTimer === 'function'

/**
 * A request object for the next direct write. A write that completes synchronously leaves it
 * untouched (libuv never saw it), so one object serves every such write; a write libuv queues
 * keeps its object until it completes, and the next write gets a new one.
 */
let spare: WriteReq | null = null

function onWriteComplete(this: WriteReq, status: number): void {
  const writer = this.writer!
  this.writer = null
  this.buffer = null
  writer.queuedDirect = 0
  // ECANCELED: the socket was destroyed with the write queued; nothing left to report
  if (status < 0 && !writer.socket.destroyed) writer.socket.destroy(writeError(status))
}

/** The error socket.write() would have reported for a failed write (code, errno, syscall). */
function writeError(status: number): Error {
  const code = getSystemErrorName(status)
  return Object.assign(new Error(`write ${code}`), {errno: status, code, syscall: 'write'})
}

/** Writes to one socket, directly through its handle when that keeps every stream guarantee. */
export class SocketWriter {
  /**
   * Bytes of the direct write libuv still holds, as counted when it was queued (an upper bound
   * until it completes); 0 when none is queued.
   */
  queuedDirect = 0
  /** writes handed to socket.write() and not yet done (each holds a buffer and the stream's entry) */
  streamWrites = 0
  private readonly onStreamWrite = () => {
    this.streamWrites--
  }

  constructor(readonly socket: net.Socket) {}

  write(data: Uint8Array): void {
    const socket = this.socket
    const handle = (socket as unknown as {_handle: StreamHandle | null})._handle
    // a TLS socket's handle encrypts: only its stream path may write to it
    if (binding === null || handle === null || (socket as {encrypted?: boolean}).encrypted === true || this.queuedDirect !== 0 || socket.writableLength !== 0 ||
      socket.connecting || !socket.writable || typeof handle.writeBuffer !== 'function' ||
      (!canRefreshTimeout && socket.timeout !== undefined && socket.timeout > 0)) {
      this.streamWrites++
      socket.write(data, this.onStreamWrite)
      return
    }
    let req = spare
    if (req === null) {
      req = new binding.WriteWrap()
      req.oncomplete = onWriteComplete
      req.buffer = null
      req.writer = null
    }
    const err = handle.writeBuffer(req, data)
    if (err !== 0) {
      // libuv may have wrapped the object before failing: never reuse it
      spare = null
      socket.destroy(writeError(err))
      return
    }
    if (binding.streamBaseState[binding.kLastWriteWasAsync] !== 0) {
      spare = null
      req.buffer = data
      req.writer = this
      this.queuedDirect = Math.max(1, handle.writeQueueSize)
    } else {
      spare = req
    }
    if (socket.timeout !== undefined && socket.timeout > 0) (socket as TimedSocket)._unrefTimer!()
  }

  /** Bytes written to this socket and not yet taken by the kernel (an upper bound). */
  get queuedBytes(): number {
    return this.socket.writableLength + this.queuedDirect
  }
}

/** Whether writes go directly through socket handles in this process (false: socket.write()). */
export const directWrites = binding !== null
