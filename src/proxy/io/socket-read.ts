// Socket reads without Node's stream path. By default Node allocates a fresh 64 KiB buffer for
// every read, shrinks it, wraps it in a Buffer and pushes it through Readable's machinery to a
// 'data' event; at pipeline depth 1 that is once per request. With net's `onread` every read
// lands in one shared buffer and goes straight to a callback. The chunk is copied out at once
// (small reads come from Buffer's pool, no malloc): requests wait for the per-turn write to their
// server, replies wait in client output queues and split requests, so nothing may point into a
// buffer the next read overwrites.
import type net from 'node:net'

const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)
/** The buffer every read lands in (parked-accept.ts reads into it before a socket exists). */
export const sharedReadBuffer: Uint8Array = READ_BUFFER
// A plain Uint8Array over the read bytes is made in half the time of a Buffer's subarray (which
// goes through Buffer's own constructor); it only lives for the copy.
const READ_MEMORY = READ_BUFFER.buffer
const READ_OFFSET = READ_BUFFER.byteOffset

export type ChunkHandler = (chunk: Buffer) => void

/**
 * Bytes [start, end) of a chunk read: the chunk itself when that is all of it (at pipeline depth
 * 1 a read is one whole request or reply), so no view is made of it.
 */
export function readSpan(chunk: Uint8Array, start: number, end: number): Uint8Array {
  return start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end)
}

/**
 * Bytes [start, end) of a chunk read, to be kept a while (a reply waiting for its client). A read
 * of 4 KiB or more has memory of its own, so a small part of it would keep all of it alive: such
 * a part, under half the read, is copied out.
 */
export function ownedSpan(chunk: Uint8Array, start: number, end: number): Uint8Array {
  if (start === 0 && end === chunk.length) return chunk
  const length = end - start
  const held = chunk.buffer.byteLength
  if (held <= Buffer.poolSize || 2 * length >= held) return chunk.subarray(start, end)
  const copy = Buffer.allocUnsafe(length)
  copy.set(chunk.subarray(start, end))
  return copy
}

/** Returns true: keep reading (pausing is the socket's pause()). */
function copyOut(nread: number, buf: Uint8Array, onChunk: ChunkHandler): boolean {
  const chunk = Buffer.allocUnsafe(nread)
  chunk.set(buf === READ_BUFFER ? new Uint8Array(READ_MEMORY, READ_OFFSET, nread) : buf.subarray(0, nread))
  onChunk(chunk)
  return true
}

/** `onread` for net.connect: each read, copied out of the shared buffer, goes to onChunk. */
export function onreadOption(onChunk: ChunkHandler): net.OnReadOpts {
  return {buffer: READ_BUFFER, callback: (nread, buf) => copyOut(nread, buf, onChunk)}
}

type UserBufferHandle = {useUserBuffer?: (buffer: Uint8Array) => void}

/** The symbols behind net.Socket's `onread` option, found once on a socket that has them. */
let onreadKeys: {buffer: symbol; callback: symbol} | null | undefined

function findOnreadKeys(socket: net.Socket): {buffer: symbol; callback: symbol} | null {
  if (onreadKeys !== undefined) return onreadKeys
  const symbols = Object.getOwnPropertySymbols(socket)
  const buffer = symbols.find((symbol) => symbol.description === 'kBuffer')
  const callback = symbols.find((symbol) => symbol.description === 'kBufferCb')
  onreadKeys = buffer !== undefined && callback !== undefined ? {buffer, callback} : null
  return onreadKeys
}

/**
 * Starts reading a socket a net.Server accepted paused (`pauseOnConnect`), delivering chunks to
 * onChunk. net.Server has no `onread` option, so this sets on the new socket what the option
 * would have set (the same two fields net.connect fills, and the handle's user buffer); where
 * this Node has no such fields it falls back to 'data' events. pause()/resume() work either way.
 */
export function readAccepted(socket: net.Socket, onChunk: ChunkHandler): void {
  const keys = findOnreadKeys(socket)
  const handle = (socket as unknown as {_handle: UserBufferHandle | null})._handle
  const fields = socket as unknown as Record<symbol, unknown>
  if (keys !== null && handle !== null && typeof handle.useUserBuffer === 'function' && fields[keys.buffer] === null) {
    fields[keys.buffer] = READ_BUFFER
    fields[keys.callback] = (nread: number, buf: Uint8Array) => copyOut(nread, buf, onChunk)
    handle.useUserBuffer(READ_BUFFER)
  } else {
    socket.on('data', onChunk)
  }
  socket.resume()
}
