// Accepted connections without a net.Socket until they first have something to say. A net.Socket
// (its stream state, event emitter, timers' fields) costs about 3.5 KB per connection on top of the
// kernel's socket and libuv's handle; a pool with thousands of idle clients (connection pools
// opened ahead of need) would hold megabytes for nothing. Here the listening server's accepted
// handles are kept as they are, reading into the shared read buffer, and the first read event
// (bytes, end of stream or an error) makes the net.Socket around the handle, exactly as
// net.Server would have made it, and then replays that event to it: the socket sees the same
// reads, in the same order, as if it had existed from the start.
//
// A client that was served and then went quiet can go back to that state (restSocket): its handle
// is taken from its net.Socket, which is dropped, and parked again; its next read event makes a
// new socket around the same handle and hands it back to the client (its owner), replayed the
// same way.
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

/** A parked handle of a client that rests: who gets the socket made at its next read event. */
interface RestingHandle extends AcceptedHandle {
  writeQueueSize?: number
  restingOwner?: RestingOwner | null
  restingHalfOpen?: boolean
}

/** A client whose socket rests (restSocket): it gets a new socket at the handle's next read event. */
export interface RestingOwner {
  /** the new socket, delivering nothing before wake returns (as for onSocket of parkAccepted) */
  wake(socket: net.Socket): void
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

/** The symbol net.Socket marks its handle's owner with (found on the first socket that rests). */
let ownerKey: symbol | null | undefined

function findOwnerKey(handle: object): symbol | null {
  if (ownerKey === undefined) ownerKey = Object.getOwnPropertySymbols(handle).find((symbol) => symbol.description === 'owner_symbol') ?? null
  return ownerKey
}

/** A socket around a parked handle that reads on as it is (manualStart: not started again). */
function socketAround(handle: AcceptedHandle, allowHalfOpen: boolean): net.Socket {
  return new net.Socket({handle, allowHalfOpen, manualStart: true, readable: true, writable: true} as unknown as net.SocketConstructorOpts)
}

/** Replays the read event being handled (its result is in the stream state) to the socket just made. */
function replayRead(state: StreamState, handle: AcceptedHandle, nread: number, arrayBuffer?: ArrayBuffer): void {
  state.streamBaseState[state.kReadBytesOrError] = nread
  handle.onread(arrayBuffer)
}

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
    const socket = socketAround(this, allowHalfOpen)
    ;(socket as {server?: net.Server}).server = server
    onSocket(socket)
    if (socket.destroyed) return
    // the socket's own onread now, reading into the same buffer: the bytes are still there
    replayRead(state, this, nread, arrayBuffer)
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

/**
 * Parks the handle of an idle plain socket again, for `owner` to get a new socket at its next
 * read event (wakeRead); the socket given is dropped and must not be used again. Returns the
 * parked handle (closeResting closes it), or null, nothing changed, unless the socket is open both ways, reading, and holds nothing: no bytes
 * waiting to be read or written (in the stream or in libuv), no timeout, not TLS.
 */
export function restSocket(socket: net.Socket, owner: RestingOwner): AcceptedHandle | null {
  const handle = (socket as unknown as {_handle: RestingHandle | null})._handle
  if (streamState === null || handle === null || typeof handle.useUserBuffer !== 'function' || handle.reading !== true) return null
  if ((socket as {encrypted?: boolean}).encrypted === true || socket.destroyed || socket.connecting || !socket.readable || !socket.writable ||
    socket.isPaused() || socket.readableLength !== 0 || socket.writableLength !== 0 || handle.writeQueueSize !== 0 ||
    (socket.timeout !== undefined && socket.timeout > 0)) return null
  const owned = findOwnerKey(handle)
  if (owned === null) return null
  handle.restingOwner = owner
  handle.restingHalfOpen = socket.allowHalfOpen
  handle.onread = wakeRead
  ;(handle as unknown as Record<symbol, unknown>)[owned] = null
  ;(socket as unknown as {_handle: RestingHandle | null})._handle = null
  return handle
}

/** The next read event of a resting handle: a new socket for its owner, then the event replayed. */
function wakeRead(this: RestingHandle, arrayBuffer?: ArrayBuffer): void {
  const state = streamState!
  const nread = state.streamBaseState[state.kReadBytesOrError]
  const owner = this.restingOwner!
  this.restingOwner = null
  const socket = socketAround(this, this.restingHalfOpen === true)
  owner.wake(socket)
  if (socket.destroyed) return
  replayRead(state, this, nread, arrayBuffer)
}

/** Closes the handle of a resting socket (its owner closes). */
export function closeResting(handle: AcceptedHandle): void {
  ;(handle as RestingHandle).restingOwner = null
  handle.close()
}
