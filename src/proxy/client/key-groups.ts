// The half of nutcracker's multi-key split that does not depend on the protocol: the keys of a
// request are grouped per server (in request order within a group), the groups are ordered by
// ascending server index (nutcracker sends fragments in that order), and once each group is a
// fragment request, the fragments are hung on their parent and forwarded. The redis split
// (fragment.ts) and the memcache get/gets split (memcache-fragment.ts) differ only in how a
// fragment's bytes are written and how replies merge.
import type {PoolBackend} from '../backend.js'
import type {Merge, Request} from './request.js'

/** Where the keys are: key k is [ranges[2a], ranges[2a+1]) with a = first + k * stride. */
export interface KeyRanges {
  buf: Uint8Array
  ranges: Int32Array
  first: number
  stride: number
  count: number
}

export interface KeyGroups {
  /** server index of each group, ascending: fragment i goes to servers[i] */
  servers: number[]
  /** per group: its keys' numbers, in request order */
  keys: number[][]
  /** per key: its group (so its fragment) */
  keyGroup: Int32Array
}

/** The keys grouped by the server `backend` routes each to; undefined when no server can take one. */
export function groupKeysByServer(keys: KeyRanges, backend: PoolBackend): KeyGroups | undefined {
  const {buf, ranges, first, stride, count} = keys
  const keyServer = new Int32Array(count)
  const perServer = new Map<number, number[]>()
  for (let k = 0; k < count; k++) {
    const at = 2 * (first + k * stride)
    const index = backend.route(buf, ranges[at], ranges[at + 1])
    if (index < 0) return undefined
    keyServer[k] = index
    let list = perServer.get(index)
    if (list === undefined) perServer.set(index, (list = []))
    list.push(k)
  }
  const servers = [...perServer.keys()].sort((a, b) => a - b)
  const groupOfServer = new Map<number, number>()
  servers.forEach((index, group) => groupOfServer.set(index, group))
  const keyGroup = new Int32Array(count)
  for (let k = 0; k < count; k++) keyGroup[k] = groupOfServer.get(keyServer[k])!
  return {servers, keys: servers.map((index) => perServer.get(index)!), keyGroup}
}

/** Hangs one fragment per group on `request` (merged by `onDone` once all replied) and forwards them. */
export function forwardFragments(request: Request, groups: KeyGroups, fragments: Request[], merge: Merge, onDone: (request: Request) => void, backend: PoolBackend): void {
  for (const fragment of fragments) fragment.parent = request
  request.fragments = fragments
  request.pendingFragments = fragments.length
  request.keyFragment = groups.keyGroup
  request.merge = merge
  request.onFragmentsDone = onDone
  for (let i = 0; i < fragments.length; i++) backend.forward(groups.servers[i], fragments[i])
}
