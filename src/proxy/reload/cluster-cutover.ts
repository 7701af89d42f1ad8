// The key copy of a reload that moves a pool onto or off a Redis Cluster (servers -> cluster,
// cluster -> cluster, cluster -> servers). A migration tool pauses writes on the old servers,
// copies the data, rewrites the file and sends SIGUSR1; twproxy swaps the backend at once and
// holds new requests at the gate. Requests already in flight on the old backend at the swap (writes
// blocked by the pause) are answered later, after the tool unpauses: their effect would be left
// behind on the old servers. So, once they are all answered and before the gate opens, every key
// they touched is copied from the server they ran on to its owner in the new backend
// (MIGRATE ... COPY REPLACE, which keeps the TTL), and a key the old server no longer has
// (+NOKEY: the request deleted it) is deleted at the new owner.
import {type Address, formatAddress} from '../../address.js'
import {encodeCommand} from '../../protocol/redis-encode.js'
import type {PoolBackend} from '../backend.js'
import {Request} from '../client/request.js'
import {requestKeys} from '../client/request-keys.js'

/** A key of a request in flight at the swap, and where it ran: route index `index` of `source`. */
export interface InFlightKey {
  source: PoolBackend
  index: number
  key: Buffer
}

export interface CopyResult {
  copied: number
  deleted: number
  failed: number
  /** the first failure, for the log */
  firstError?: string
}

/**
 * True when a reload from `old` to `next` needs the in-flight keys copied: unless both place keys
 * by the pool's server list (a pool change then hands keys over itself), the pool moves onto, off
 * or between clusters.
 */
export function needsKeyCopy(old: PoolBackend, next: PoolBackend): boolean {
  return !(old.routesByServerList && next.routesByServerList)
}

/** Every key of every request in flight on (or held by) `old` now, with where it runs. */
export function inFlightKeys(old: PoolBackend): InFlightKey[] {
  const out: InFlightKey[] = []
  // one copy per key and source is enough
  const seen = new Set<string>()
  for (const {backend, index, request} of old.inFlight()) {
    const data = request.data
    const keys = requestKeys(data, request.owner?.published)
    if (keys === null) continue
    for (let k = 0; k < keys.length; k += 2) {
      const key = Buffer.from(data.subarray(keys[k], keys[k + 1]))
      const where = backend.keyRoute(index, key)
      // A key the request only names but that lives elsewhere (SUNIONSTORE's sources on a pool
      // without hash tags) is not on the server the request ran on: MIGRATE would answer +NOKEY
      // and the copy would delete the real key at its new owner. Only keys owned where they ran
      // carry the request's effect.
      if (backend.route(key, 0, key.length) !== where) continue
      const id = `${where}:${key.toString('latin1')}`
      if (seen.has(id)) continue
      seen.add(id)
      out.push({source: backend, index: where, key})
    }
  }
  return out
}

/** The server that owns `key` in `target` now. */
function ownerIn(target: PoolBackend, key: Buffer): Address | undefined {
  const index = target.route(key, 0, key.length)
  return index < 0 ? undefined : target.serverAt(index)
}

/** A request whose reply resolves a promise (the proxy's own, never a client's), sent to route index `index` of `to`. */
function call(to: PoolBackend, index: number, data: Buffer): Promise<{reply: string; error: string | null}> {
  return new Promise((resolve) => {
    const request = new Request({
      requestDone: (done) => resolve({reply: done.reply === null ? '' : Buffer.from(done.reply).toString('latin1').trim(), error: done.error}),
    }, data)
    if (index < 0) request.complete(null, 'no server for the key')
    else to.forward(index, request)
  })
}

export interface CopyOptions {
  /** the target's database (0 for a cluster) */
  targetDb: number
  /** the pool's redis_auth, which the source logs in to the target with */
  auth?: string
  /** the pool's redis_user: the ACL user that password belongs to */
  user?: string
  /** how long each MIGRATE waits */
  timeoutMs: number
}

/**
 * MIGRATE's login to the target: `AUTH2 user password` for the pool's ACL user, `AUTH password`
 * for the default user, nothing without a password.
 */
function migrateAuth(options: CopyOptions): string[] {
  if (options.auth === undefined) return []
  return options.user === undefined ? ['AUTH', options.auth] : ['AUTH2', options.user, options.auth]
}

/** Copies each key from where it ran to its owner in `target` (skipping keys already there). */
export async function copyInFlightKeys(keys: InFlightKey[], target: PoolBackend, options: CopyOptions): Promise<CopyResult> {
  const result: CopyResult = {copied: 0, deleted: 0, failed: 0}
  const fail = (why: string) => {
    result.failed++
    result.firstError ??= why
  }
  await Promise.all(keys.map(async ({source, index, key}) => {
    const from = source.serverAt(index)
    const to = ownerIn(target, key)
    if (from === undefined || to === undefined) return fail(`no owner for key '${key.toString('latin1')}'`)
    if (formatAddress(from) === formatAddress(to)) return
    const args: Array<string | Uint8Array> = ['MIGRATE', to.host, String(to.port), '', String(options.targetDb), String(options.timeoutMs), 'COPY', 'REPLACE',
      ...migrateAuth(options), 'KEYS', key]
    const migrated = await call(source, index, encodeCommand(args))
    if (migrated.error !== null || migrated.reply.startsWith('-')) return fail(migrated.error ?? migrated.reply.slice(1))
    if (migrated.reply === '+NOKEY') {
      const deleted = await call(target, target.route(key, 0, key.length), encodeCommand(['DEL', key]))
      if (deleted.error !== null || deleted.reply.startsWith('-')) return fail(deleted.error ?? deleted.reply.slice(1))
      result.deleted++
      return
    }
    result.copied++
  }))
  return result
}
