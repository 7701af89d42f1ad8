// nutcracker's memcache get/gets split and merge. With two keys or more, the keys are grouped per
// server as `get k1 k3 \r\n` (each key followed by a space), and the merged reply takes, for each
// key in request order, the next VALUE block of that key's fragment reply, then END. Blocks are
// popped in sequence, not matched by name, exactly as nutcracker does.
import {valueBlocks} from '../../protocol/memcache-reply.js'
import type {PoolBackend} from '../backend.js'
import {Merge, Request} from './request.js'

const END = Buffer.from('END\r\n')
const CRLF = Buffer.from('\r\n')
const SPACE = Buffer.from(' ')

export function splitGetAndForward(request: Request, buf: Uint8Array, keys: Int32Array, keyCount: number, gets: boolean, backend: PoolBackend): boolean {
  const keyServer = new Int32Array(keyCount)
  const perServer = new Map<number, number[]>()
  for (let k = 0; k < keyCount; k++) {
    const index = backend.route(buf, keys[2 * k], keys[2 * k + 1])
    if (index < 0) return false
    keyServer[k] = index
    let list = perServer.get(index)
    if (list === undefined) perServer.set(index, (list = []))
    list.push(k)
  }
  const order = [...perServer.keys()].sort((a, b) => a - b)
  const head = Buffer.from(gets ? 'gets ' : 'get ')
  const fragments: Request[] = []
  const fragmentOfServer = new Map<number, number>()
  for (const index of order) {
    const parts: Uint8Array[] = [head]
    for (const k of perServer.get(index)!) parts.push(buf.subarray(keys[2 * k], keys[2 * k + 1]), SPACE)
    parts.push(CRLF)
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
  request.merge = Merge.MemcacheGet
  request.onFragmentsDone = mergeGet
  for (let i = 0; i < fragments.length; i++) backend.forward(order[i], fragments[i])
  return true
}

function mergeGet(request: Request): void {
  const fragments = request.fragments!
  for (const fragment of fragments) {
    if (fragment.error !== null) {
      request.error = fragment.error
      return
    }
  }
  const blocks = fragments.map((fragment) => valueBlocks(fragment.reply!))
  const cursor = new Int32Array(fragments.length)
  const parts: Uint8Array[] = []
  const keyFragment = request.keyFragment!
  for (let k = 0; k < keyFragment.length; k++) {
    const f = keyFragment[k]
    const list = blocks[f]
    const c = cursor[f]
    if (2 * c < list.length) {
      parts.push(fragments[f].reply!.subarray(list[2 * c], list[2 * c + 1]))
      cursor[f] = c + 1
    }
  }
  parts.push(END)
  request.reply = Buffer.concat(parts)
}
