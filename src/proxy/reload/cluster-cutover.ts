// The key copy of a reload that moves a pool onto or off a Redis Cluster (servers -> cluster,
// cluster -> cluster, cluster -> servers). A migration tool pauses writes on the old servers,
// copies the data, rewrites the file and sends SIGUSR1; twproxy swaps the backend at once and
// holds new requests at the gate. Requests already in flight on the old backend at the swap (writes
// blocked by the pause) are answered later, after the tool unpauses: their effect would be left
// behind on the old servers. So, once they are all answered and before the gate opens, every key
// they touched is copied from the server they ran on to its owner in the new backend
// (MIGRATE ... COPY REPLACE, which keeps the TTL), and a key the old server no longer has
// (+NOKEY: the request deleted it) is deleted at the new owner.
import {keySlot} from '../../hashing/index.js'
import {ClusterBackend} from '../cluster/cluster-backend.js'
import type {NodeAddress} from '../cluster/cluster-slot-map.js'
import type {PoolBackend} from '../backend.js'
import type {PoolServers} from '../proxy.js'
import {ReloadedBackend} from './reloaded-backend.js'
import {Request} from '../client/request.js'
import {requestKeys} from '../client/request-keys.js'
import {ServerPool} from '../server/server-pool.js'

/** Where a key's last write ran: server `index` of a server pool, or a cluster (its slot's owner). */
type Source = {pool: ServerPool; index: number} | {cluster: ClusterBackend}

export interface InFlightKey {
  source: Source
  key: Buffer
}

export interface CopyResult {
  copied: number
  deleted: number
  failed: number
  /** the first failure, for the log */
  firstError?: string
}

const CRLF = '\r\n'

function command(args: Array<string | Uint8Array>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`)]
  for (const arg of args) {
    const bytes = Buffer.from(arg)
    parts.push(Buffer.from(`$${bytes.length}${CRLF}`), bytes, Buffer.from(CRLF))
  }
  return Buffer.concat(parts)
}

/** True when a reload from `old` to `next` moves a pool onto, off or between clusters. */
export function involvesCluster(old: PoolBackend, next: PoolServers): boolean {
  const oldPrimary = old instanceof ReloadedBackend ? old.primary : old
  return next instanceof ClusterBackend || oldPrimary instanceof ClusterBackend
}

function addKeys(out: InFlightKey[], source: Source, data: Uint8Array): void {
  const keys = requestKeys(data)
  if (keys === null) return
  for (let k = 0; k < keys.length; k += 2) out.push({source, key: Buffer.from(data.subarray(keys[k], keys[k + 1]))})
}

function collectFrom(servers: PoolServers, out: InFlightKey[]): void {
  if (servers instanceof ClusterBackend) {
    const source = {cluster: servers}
    for (const conn of servers.openConnections()) for (const request of conn.pendingRequests()) addKeys(out, source, request.data)
    for (const request of servers.heldRequests()) addKeys(out, source, request.data)
    return
  }
  for (const conn of servers.openConnections()) {
    const source = {pool: servers, index: conn.server.index}
    for (const request of conn.pendingRequests()) addKeys(out, source, request.data)
  }
}

/** Every key of every request in flight on (or held by) `old` now, with where it runs. */
export function inFlightKeys(old: PoolBackend): InFlightKey[] {
  const out: InFlightKey[] = []
  if (old instanceof ReloadedBackend) {
    collectFrom(old.primary, out)
    for (const {index, request} of old.waitingRequests()) {
      const source: Source = old.primary instanceof ClusterBackend ? {cluster: old.primary} : {pool: old.primary, index}
      addKeys(out, source, request.data)
    }
  } else if (old instanceof ServerPool || old instanceof ClusterBackend) {
    collectFrom(old, out)
  }
  // one copy per key and source is enough
  const seen = new Set<string>()
  return out.filter((item) => {
    const id = `${'cluster' in item.source ? 'c' : `s${item.source.index}`}:${item.key.toString('latin1')}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

function sourceAddress(source: Source, key: Buffer): NodeAddress | undefined {
  if ('cluster' in source) return source.cluster.ownerOf(keySlot(key))
  return source.pool.endpoints[source.index]
}

function targetAddress(target: PoolServers, key: Buffer): NodeAddress | undefined {
  if (target instanceof ClusterBackend) return target.ownerOf(keySlot(key))
  const index = target.route(key, 0, key.length)
  return index < 0 ? undefined : target.endpoints[index]
}

function send(to: Source | PoolServers, key: Buffer, request: Request): void {
  if (to instanceof ClusterBackend || to instanceof ServerPool) {
    const index = to.route(key, 0, key.length)
    if (index < 0) request.complete(null, 'no server for the key')
    else to.forward(index, request)
  } else if ('cluster' in to) {
    to.cluster.forward(keySlot(key), request)
  } else {
    to.pool.forward(to.index, request)
  }
}

/** A request whose reply resolves a promise (the proxy's own, never a client's). */
function call(to: Source | PoolServers, key: Buffer, data: Buffer): Promise<{reply: string; error: string | null}> {
  return new Promise((resolve) => {
    const request = new Request({
      requestDone: (done) => resolve({reply: done.reply === null ? '' : Buffer.from(done.reply).toString('latin1').trim(), error: done.error}),
    }, data)
    send(to, key, request)
  })
}

/**
 * Copies each key from where it ran to its owner in `target` (skipping keys already there).
 * `targetDb` is the target's database (0 for a cluster); every MIGRATE waits at most `timeoutMs`.
 */
export async function copyInFlightKeys(keys: InFlightKey[], target: PoolServers, options: {targetDb: number; auth?: string; timeoutMs: number}): Promise<CopyResult> {
  const result: CopyResult = {copied: 0, deleted: 0, failed: 0}
  const fail = (why: string) => {
    result.failed++
    result.firstError ??= why
  }
  await Promise.all(keys.map(async ({source, key}) => {
    const from = sourceAddress(source, key)
    const to = targetAddress(target, key)
    if (from === undefined || to === undefined) return fail(`no owner for key '${key.toString('latin1')}'`)
    if (from.host === to.host && from.port === to.port) return
    const args: Array<string | Uint8Array> = ['MIGRATE', to.host, String(to.port), '', String(options.targetDb), String(options.timeoutMs), 'COPY', 'REPLACE']
    if (options.auth !== undefined) args.push('AUTH', options.auth)
    args.push('KEYS', key)
    const migrated = await call(source, key, command(args))
    if (migrated.error !== null || migrated.reply.startsWith('-')) return fail(migrated.error ?? migrated.reply.slice(1))
    if (migrated.reply === '+NOKEY') {
      const deleted = await call(target, key, command(['DEL', key]))
      if (deleted.error !== null || deleted.reply.startsWith('-')) return fail(deleted.error ?? deleted.reply.slice(1))
      result.deleted++
      return
    }
    result.copied++
  }))
  return result
}
