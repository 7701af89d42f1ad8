// Where a published command (`command_keys: backend`, see command-keys.ts) goes: the server of
// its first key, as nutcracker routes every command. One whose keys fall on different servers
// (or cluster slots) cannot run on one server, so it is answered with an error rather than
// sent: the CROSSSLOT a cluster node gives, or its pool-of-servers wording.
import {publishedKeyIndexes} from '../../protocol/redis-commands.js'
import type {RedisRequestScanner} from '../../protocol/redis-request.js'
import type {PoolBackend} from '../backend.js'

/** routePublished(): the keys are on more than one server. */
export const ACROSS_SERVERS = -2

export const CROSSSERVER = Buffer.from("-ERR Keys in request don't hash to the same server\r\n")

/** The route index of the request's first key; ACROSS_SERVERS or -1 (no server) otherwise. */
export function routePublished(backend: PoolBackend, buf: Uint8Array, scanner: RedisRequestScanner): number {
  const keys = scanner.cmd!.keys!
  const range = keys.ranges[0]
  // the usual case: one key (first key = last key), no list to build
  if (keys.ranges.length === 1 && range.lastKey === 0) return backend.route(buf, scanner.argStart(range.begin), scanner.argEnd(range.begin))
  const indexes = publishedKeyIndexes(keys, scanner.argc)
  const index = backend.route(buf, scanner.argStart(indexes[0]), scanner.argEnd(indexes[0]))
  if (index < 0) return index
  for (let k = 1; k < indexes.length; k++) {
    const i = indexes[k]
    if (backend.route(buf, scanner.argStart(i), scanner.argEnd(i)) !== index) return ACROSS_SERVERS
  }
  return index
}
