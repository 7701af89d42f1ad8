// nutcracker's memcache get/gets split and merge. With two keys or more, the keys are grouped per
// server as `get k1 k3 \r\n` (each key followed by a space), and the merged reply takes, for each
// key in request order, the next VALUE block of that key's fragment reply, then END. Blocks are
// popped in sequence, not matched by name, exactly as nutcracker does.
import {valueBlocks} from '../../protocol/memcache-reply.js'
import type {PoolBackend} from '../backend.js'
import {forwardFragments, groupKeysByServer} from './key-groups.js'
import {Merge, Request} from './request.js'

const END = Buffer.from('END\r\n')
const CRLF = Buffer.from('\r\n')
const SPACE = Buffer.from(' ')
const GET = Buffer.from('get ')
const GETS = Buffer.from('gets ')

export function splitGetAndForward(request: Request, buf: Uint8Array, keys: Int32Array, keyCount: number, gets: boolean, backend: PoolBackend): boolean {
  const groups = groupKeysByServer({buf, ranges: keys, first: 0, stride: 1, count: keyCount}, backend)
  if (groups === undefined) return false
  const head = gets ? GETS : GET
  const fragments = groups.keys.map((group) => {
    const parts: Uint8Array[] = [head]
    for (const k of group) parts.push(buf.subarray(keys[2 * k], keys[2 * k + 1]), SPACE)
    parts.push(CRLF)
    return new Request(null, Buffer.concat(parts))
  })
  forwardFragments(request, groups, fragments, Merge.MemcacheGet, mergeGet, backend)
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
