// nutcracker's multi-key split and merge for MGET, DEL, UNLINK, TOUCH and MSET. With two keys or
// more, the keys are grouped per server (in request order), each group is sent as a new request
// named in lowercase (`*<n+1>\r\n$4\r\nmget\r\n$<len>\r\n<key>\r\n...`), groups go out in ascending
// server index order, and the replies are merged as nutcracker does: MGET values back in key order,
// DEL/UNLINK/TOUCH the sum, MSET +OK. A fragment reply of an unexpected type answers the whole
// request `-ERR Invalid argument`; a fragment that failed answers its error (the client stays connected).
import {arrayHeader, bulkSize, headerSize, writeBulk, writeHeader} from '../../protocol/redis-encode.js'
import {RedisReplyScanner} from '../../protocol/redis-reply.js'
import type {PoolBackend} from '../backend.js'
import {EINVAL} from '../io/errno.js'
import {forwardFragments, groupKeysByServer} from './key-groups.js'
import {Merge, Request} from './request.js'

/** Argument ranges of the request being split: arg i is [args[2i], args[2i+1]). */
export interface SplitSource {
  buf: Uint8Array
  args: Int32Array
  argc: number
}

/**
 * Splits `request` (already in its client's queue) into per-server fragments and forwards them.
 * `step` is 1 for key lists, 2 for key/value pairs. Returns false when no server can take a key.
 */
export function splitAndForward(request: Request, source: SplitSource, name: string, step: 1 | 2, merge: Merge, backend: PoolBackend): boolean {
  const {buf, args, argc} = source
  const groups = groupKeysByServer({buf, ranges: args, first: 1, stride: step, count: (argc - 1) / step}, backend)
  if (groups === undefined) return false
  const nameBytes = Buffer.from(name)
  const fragments = groups.keys.map((keys) => new Request(null, fragmentBytes(nameBytes, keys, step, source)))
  forwardFragments(request, groups, fragments, merge, mergeRedis, backend)
  return true
}

/** `*<n+1>\r\n$<len>\r\n<name>\r\n` then the arguments of `keys`, written once into one buffer. */
function fragmentBytes(name: Uint8Array, keys: number[], step: 1 | 2, source: SplitSource): Buffer {
  const {buf, args} = source
  let size = headerSize(keys.length * step + 1) + bulkSize(name.length)
  for (const k of keys) {
    for (let arg = 1 + k * step, last = arg + step; arg < last; arg++) size += bulkSize(args[2 * arg + 1] - args[2 * arg])
  }
  const out = Buffer.allocUnsafe(size)
  let pos = writeHeader(out, 0, keys.length * step + 1)
  pos = writeBulk(out, pos, name, 0, name.length)
  for (const k of keys) {
    for (let arg = 1 + k * step, last = arg + step; arg < last; arg++) pos = writeBulk(out, pos, buf, args[2 * arg], args[2 * arg + 1])
  }
  return out
}

const OK = Buffer.from('+OK\r\n')

function mergeRedis(request: Request): void {
  const fragments = request.fragments!
  for (const fragment of fragments) {
    if (fragment.error !== null) {
      // a fragment got no reply: the first failed fragment's error answers the request (the client stays connected, as with nutcracker 0.5.0)
      request.error = fragment.error
      return
    }
  }
  switch (request.merge) {
    case Merge.Mget:
      request.reply = mergeMget(request, fragments)
      break
    case Merge.Sum:
      request.reply = mergeSum(fragments)
      break
    case Merge.Ok:
      request.reply = fragments.every((f) => isOk(f.reply!)) ? OK : null
      break
  }
  if (request.reply === null) request.error = EINVAL
}

function isOk(reply: Uint8Array): boolean {
  return reply.length === 5 && reply[0] === 43 && reply[1] === 79 && reply[2] === 75
}

function mergeSum(fragments: Request[]): Uint8Array | null {
  let sum = 0
  for (const fragment of fragments) {
    const reply = fragment.reply!
    if (reply[0] !== 58 /* ':' */) return null
    let n = 0
    for (let i = 1; i < reply.length - 2; i++) n = n * 10 + (reply[i] - 48)
    sum = (sum + n) >>> 0
  }
  // nutcracker formats the uint32 sum with %d
  return Buffer.from(`:${sum | 0}\r\n`)
}

const scanner = new RedisReplyScanner()

function mergeMget(request: Request, fragments: Request[]): Uint8Array | null {
  // where the next unread element of each fragment's array starts
  const cursor = new Int32Array(fragments.length)
  for (let f = 0; f < fragments.length; f++) {
    const reply = fragments[f].reply!
    if (reply[0] !== 42 /* '*' */) return null
    const cr = reply.indexOf(13)
    cursor[f] = cr + 2
  }
  const keyFragment = request.keyFragment!
  const parts: Uint8Array[] = [arrayHeader(keyFragment.length)]
  let total = parts[0].length
  for (let k = 0; k < keyFragment.length; k++) {
    const f = keyFragment[k]
    const reply = fragments[f].reply!
    const start = cursor[f]
    const end = scanner.scan(reply, start, reply.length)
    if (end < 0) {
      scanner.reset()
      return null
    }
    parts.push(reply.subarray(start, end))
    total += end - start
    cursor[f] = end
  }
  return Buffer.concat(parts, total)
}
