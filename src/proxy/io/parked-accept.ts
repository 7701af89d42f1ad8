// Accepted connections without a net.Socket until they first have something to say. A net.Socket
// (its stream state, event emitter, timers' fields) costs about 3.5 KB per connection on top of the
// kernel's socket and libuv's handle; a pool with thousands of idle clients (connection pools
// opened ahead of need) would hold megabytes for nothing. Here the listening server's accepted
// handles are kept as they are, reading into the shared read buffer, and the first read event
// (bytes, end of stream or an error) makes the net.Socket around the handle, exactly as
// net.Server would have made it, and then replays that event to it: the socket sees the same
// reads, in the same order, as if it had existed from the start.
//
// Where this Node lacks the internals (the handle's user buffer, the stream state array), or for
// a server whose handle does not deliver connections this way, accept() falls back to the
// server's own 'connection' sockets.
import net from 'node:net'
import {sharedReadBuffer} from './socket-read.js'

/** The handle libuv accepted (a TCP or a pipe handle), as far as this module touches it. */
export interface AcceptedHandle {
  onread: (arrayBuffer?: ArrayBuffer) => void
  reading: boolean
  useUserBuffer(buffer: Uint8Array): void
  readStart(): number
  readStop(): number
  close(callback?: () => void): void
}

interface ListenHandle {
  onconnection: (err: number, handle: AcceptedHandle | undefined) => void
}

interface StreamState {
  streamBaseState: Int32Array
  kReadBytesOrError: number
}

function loadStreamState(): StreamState | null {
  try {
    const binding = (process as unknown as {binding?: (name: string) => unknown}).binding
    const found = typeof binding === 'function' ? (binding('stream_wrap') as Partial<StreamState>) : undefined
    if (found === undefined || !(found.streamBaseState instanceof Int32Array) || typeof found.kReadBytesOrError !== 'number') return null
    return found as StreamState
  } catch {
    return null
  }
}

const streamState = loadStreamState()

/**
 * Takes over a listening server's accepted connections (call once it listens): each is parked
 * until its first read event, then handed to `onSocket` as a net.Socket that delivers nothing
 * before onSocket returns (it sets up how it reads, as for a `pauseOnConnect` socket). `admit` decides at accept time (the client limit) and may refuse:
 * the connection is closed. Returns the set of parked handles (closed by closeParked), or null
 * where connections arrive as sockets (the server's 'connection' event, which the caller keeps).
 */
export function parkAccepted(server: net.Server, admit: () => boolean, onSocket: (socket: net.Socket) => void): Set<AcceptedHandle> | null {
  const listenHandle = (server as unknown as {_handle: ListenHandle | null})._handle
  if (streamState === null || listenHandle === null || typeof listenHandle.onconnection !== 'function') return null
  const state = streamState
  const original = listenHandle.onconnection
  const parked = new Set<AcceptedHandle>()
  const allowHalfOpen = (server as unknown as {allowHalfOpen?: boolean}).allowHalfOpen === true

  // the first read event of a parked handle: make its socket, then replay the event to it
  function firstRead(this: AcceptedHandle, arrayBuffer?: ArrayBuffer): void {
    const nread = state.streamBaseState[state.kReadBytesOrError]
    parked.delete(this)
    // the handle goes on reading as it is (manualStart: the socket does not start it again), so
    // no read runs before the event is replayed and none is lost after
    const socket = new net.Socket({handle: this, allowHalfOpen, manualStart: true, readable: true, writable: true} as unknown as net.SocketConstructorOpts)
    ;(socket as {server?: net.Server}).server = server
    onSocket(socket)
    if (socket.destroyed) return
    // the socket's own onread now, reading into the same buffer: the bytes are still there
    state.streamBaseState[state.kReadBytesOrError] = nread
    this.onread(arrayBuffer)
  }

  listenHandle.onconnection = function onconnection(err, handle) {
    if (err !== 0 || handle === undefined || typeof handle.useUserBuffer !== 'function') {
      original.call(this, err, handle)
      return
    }
    if (!admit()) {
      handle.close()
      return
    }
    handle.onread = firstRead
    handle.useUserBuffer(sharedReadBuffer)
    const readErr = handle.readStart()
    if (readErr !== 0) {
      // let the socket report it: the same path as any read error
      firstReadError(handle, readErr)
      return
    }
    handle.reading = true
    parked.add(handle)
  }

  function firstReadError(handle: AcceptedHandle, err: number): void {
    parked.add(handle)
    state.streamBaseState[state.kReadBytesOrError] = err
    firstRead.call(handle)
  }
  return parked
}

/** Closes parked connections (the listener stops); returns how many were closed. */
export function closeParked(parked: Set<AcceptedHandle>): number {
  const count = parked.size
  for (const handle of parked) handle.close()
  parked.clear()
  return count
}
