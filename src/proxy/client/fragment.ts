// nutcracker's multi-key split and merge for MGET, DEL, UNLINK, TOUCH and MSET. With two keys or
// more, the keys are grouped per server (in request order), each group is sent as a new request
// named in lowercase (`*<n+1>\r\n$4\r\nmget\r\n$<len>\r\n<key>\r\n...`), groups go out in ascending
// server index order, and the replies are merged as nutcracker does: MGET values back in key order,
// DEL/UNLINK/TOUCH the sum, MSET +OK. A fragment reply of an unexpected type answers the whole
// request `-ERR Invalid argument`; a fragment that failed answers its error (the client stays connected).
import {RedisReplyScanner} from '../../protocol/redis-reply.js'
import type {PoolBackend} from '../backend.js'
import {EINVAL} from '../io/errno.js'
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
  const keyCount = (argc - 1) / step
  const keyServer = new Int32Array(keyCount)
  const perServer = new Map<number, number[]>()
  for (let k = 0; k < keyCount; k++) {
    const arg = 1 + k * step
    const index = backend.route(buf, args[2 * arg], args[2 * arg + 1])
    if (index < 0) return false
    keyServer[k] = index
    let keys = perServer.get(index)
    if (keys === undefined) perServer.set(index, (keys = []))
    keys.push(k)
  }
  const order = [...perServer.keys()].sort((a, b) => a - b)
  const fragments: Request[] = []
  const fragmentOfServer = new Map<number, number>()
  const nameHeader = Buffer.from(`$${name.length}\r\n${name}\r\n`)
  for (const index of order) {
    const keys = perServer.get(index)!
    const parts: Uint8Array[] = [Buffer.from(`*${keys.length * step + 1}\r\n`), nameHeader]
    for (const k of keys) {
      for (let j = 0; j < step; j++) {
        const arg = 1 + k * step + j
        const start = args[2 * arg]
        const end = args[2 * arg + 1]
        parts.push(Buffer.from(`$${end - start}\r\n`), buf.subarray(start, end), CRLF)
      }
    }
    const fragment = new Request(null, Buffer.concat(parts))
    fragment.parent = request
    fragmentOfServer.set(index, fragments.length)
    fragments.push(fragment)
  }
  const keyFragment = new Int32Array(keyCount)
  for (let k = 0; k < keyCount; k++) keyFragment[k] = fragmentOfServer.get(keyServer[k])!
  request.fragments = fragments
  request.pendingFragments = fragments.length
  request.keyFragment = keyFragment
  request.merge = merge
  request.onFragmentsDone = mergeRedis
  for (let i = 0; i < fragments.length; i++) backend.forward(order[i], fragments[i])
  return true
}

const CRLF = Buffer.from('\r\n')
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
  const parts: Uint8Array[] = [Buffer.from(`*${keyFragment.length}\r\n`)]
  let total = parts[0].length
  for (let k = 0; k < keyFragment.length; k++) {
    const f = keyFragment[k]
    const reply = fragments[f].reply!
    const start = cursor[f]
    const end = scanner.scan(reply, start, reply.length)
    if (end < 0) return null
    parts.push(reply.subarray(start, end))
    total += end - start
    cursor[f] = end
  }
  return Buffer.concat(parts, total)
}
