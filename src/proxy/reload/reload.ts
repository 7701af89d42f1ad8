// twproxy's config reload (SIGUSR1; nutcracker has no reload and ignores that signal). Every
// pool gets a new backend built from the file: new requests go to it at once, existing client
// connections stay open, and requests already sent to the old backend finish there; the new one
// holds requests back until the old one has answered everything, then the old one is closed.
// What a reload cannot change (the set of pools, where they listen, redis or memcache, the
// client password) needs a restart: then nothing is changed and the reason is logged.
// A pool that moves onto, off or between Redis Clusters (the cut-over of a migration) swaps as
// soon as the new cluster's slot map is read, and its gate also waits for the keys of the
// requests in flight at the swap to be copied to their new owners (cluster-cutover.ts).
import {checkConfigFile, clusterSeedsOf, fallbackServersOf, formatProblem} from '../../config/index.js'
import type {NutcrackerConfig, PoolConfig} from '../../config/types.js'
import {KeyPlacer} from '../../hashing/index.js'
import type {PoolBackend} from '../backend.js'
import {ClusterBackend} from '../cluster/cluster-backend.js'
import {copyInFlightKeys, inFlightKeys, involvesCluster} from './cluster-cutover.js'
import type {Logger} from '../cli/log.js'
import type {PoolServers, Proxy} from '../proxy.js'
import {ReloadedBackend, type Fallback} from './reloaded-backend.js'
import {ServerPool} from '../server/server-pool.js'
import {setTimeout as sleep} from 'node:timers/promises'

/** Longest wait for the old backend's requests before the new one goes ahead anyway. */
const DRAIN_LIMIT_MS = 10_000

/** Why `next` cannot replace `current` without a restart, or undefined when it can. */
export function restartNeeded(current: NutcrackerConfig, next: NutcrackerConfig): string | undefined {
  const names = (config: NutcrackerConfig) => config.pools.map((pool) => pool.name).join(',')
  if (names(current) !== names(next)) return `the pools changed (${names(current)} -> ${names(next)})`
  for (let i = 0; i < next.pools.length; i++) {
    const a = current.pools[i]
    const b = next.pools[i]
    if (a.listen.text !== b.listen.text) return `pool ${b.name}: listen changed`
    if (a.redis !== b.redis) return `pool ${b.name}: redis changed`
    if (a.redisAuth !== b.redisAuth) return `pool ${b.name}: redis_auth changed`
  }
  return undefined
}

function isIdle(pool: PoolServers): boolean {
  if (pool instanceof ClusterBackend) return pool.idle
  return pool.openConnections().every((conn) => conn.closed || conn.depth === 0)
}

/** Resolves once every connection of the pools has no request in flight (bounded). */
async function connectionsIdle(pools: PoolServers[]): Promise<void> {
  const deadline = Date.now() + DRAIN_LIMIT_MS
  for (let spin = 0; spin < 100_000 && Date.now() < deadline; spin++) {
    if (pools.every(isIdle)) return
    await sleep(spin < 20 ? 0 : 1)
  }
}

/** Everything sent to `backend` is answered (a ReloadedBackend first forwards what it holds). */
async function drained(backend: PoolBackend): Promise<void> {
  if (backend instanceof ReloadedBackend) {
    await Promise.race([backend.whenForwarded(), sleep(DRAIN_LIMIT_MS)])
    await connectionsIdle(backend.pools())
  } else {
    await connectionsIdle([backend as PoolServers])
  }
}

function fallbackFor(pool: PoolConfig, proxy: Proxy): Fallback | undefined {
  const servers = fallbackServersOf(pool)
  if (!pool.redis || servers === undefined || pool.distribution === 'random') return undefined
  const placer = new KeyPlacer({hash: pool.hash, hashTag: pool.hashTag, distribution: pool.distribution, servers})
  return {pool: proxy.newServerPool({...pool, servers, preconnect: false}), servers, placer}
}

function reloadedBackend(pool: PoolConfig, proxy: Proxy, primary: PoolServers, gate: Promise<void>): ReloadedBackend {
  // a cluster moves its own keys: only the gate applies
  if (primary instanceof ClusterBackend) return new ReloadedBackend(primary, undefined, undefined, gate)
  const placer = new KeyPlacer({hash: pool.hash, hashTag: pool.hashTag, distribution: pool.distribution, servers: pool.servers})
  return new ReloadedBackend(primary, fallbackFor(pool, proxy), {
    servers: pool.servers,
    placer,
    redisDb: pool.redisDb,
    redisAuth: pool.redisAuth,
    timeoutMs: pool.timeout > 0 ? Math.max(pool.timeout, 1000) : 10_000,
  }, gate)
}

/**
 * At start-up: a pool whose file still has fallback_servers (the proxy was restarted in the
 * middle of a pool change) hands moving keys over from the start, as after a reload.
 */
export function applyStartupFallbacks(proxy: Proxy): void {
  proxy.config.pools.forEach((pool, i) => {
    if (fallbackServersOf(pool) === undefined || !pool.redis) return
    const primary = proxy.pools[i]
    if (!(primary instanceof ServerPool)) return
    proxy.replaceBackend(i, pool, reloadedBackend(pool, proxy, primary, Promise.resolve()), primary)
  })
}

/**
 * The gate of a pool's new backend: the old backend has answered everything it was sent, then
 * (when a cluster is involved) the keys in flight at the swap are copied to their new owners.
 */
function gateFor(pool: PoolConfig, old: PoolBackend, primary: PoolServers, logger: Logger): Promise<void> {
  if (!involvesCluster(old, primary)) return drained(old)
  const keys = inFlightKeys(old)
  const closedAt = Date.now()
  const timeoutMs = pool.timeout > 0 ? Math.max(pool.timeout, 1000) : 5000
  const copy = drained(old).then(() => copyInFlightKeys(keys, primary, {targetDb: pool.redisDb, auth: pool.redisAuth, timeoutMs}))
  return Promise.race([copy, sleep(2 * DRAIN_LIMIT_MS).then(() => undefined)]).then((result) => {
    const copied = result === undefined
      ? `${keys.length} in-flight keys not all copied in time`
      : `${result.copied} in-flight keys copied, ${result.deleted} deleted${result.failed > 0 ? `, ${result.failed} failed (${result.firstError})` : ''}`
    const line = `reload: pool '${pool.name}' gate was closed for ${Date.now() - closedAt} ms (${copied})`
    if (result === undefined || result.failed > 0) logger.error(line, 'reload.ts')
    else logger.notice(line, 'reload.ts')
  })
}

/** A new cluster backend that has read its slot map, or undefined when none of its nodes answered. */
async function startedCluster(pool: PoolConfig, proxy: Proxy): Promise<ClusterBackend | undefined> {
  const cluster = proxy.newPoolServers(pool) as ClusterBackend
  if (await cluster.start()) return cluster
  cluster.close()
  return undefined
}

let reloading: Promise<unknown> = Promise.resolve()

/**
 * Reads the config file again and swaps every pool's backend. Returns false (and logs why) when
 * the file is invalid or changes something only a restart can, or a new cluster cannot be read.
 * Reloads run one after another.
 */
export function reloadProxy(proxy: Proxy, file: string, logger: Logger): Promise<boolean> {
  const run = reloading.then(() => reloadNow(proxy, file, logger))
  reloading = run.catch(() => false)
  return run
}

async function reloadNow(proxy: Proxy, file: string, logger: Logger): Promise<boolean> {
  const check = await checkConfigFile(file, {extensions: true})
  if (!check.ok || check.config === undefined) {
    for (const problem of check.problems) logger.error(`reload: ${formatProblem(problem)}`, 'reload.ts')
    logger.error(`reload of '${file}' failed: keeping the running configuration`, 'reload.ts')
    return false
  }
  const next = check.config
  const why = restartNeeded(proxy.config, next)
  if (why !== undefined) {
    logger.error(`reload of '${file}': ${why}, which needs a restart: keeping the running configuration`, 'reload.ts')
    return false
  }
  // every new cluster's slot map is read before any pool swaps, so a cluster that cannot be
  // reached leaves the whole running configuration in place
  const clusters = await Promise.all(next.pools.map((pool) => (clusterSeedsOf(pool) === undefined ? undefined : startedCluster(pool, proxy))))
  const unreachable = next.pools.findIndex((pool, i) => clusterSeedsOf(pool) !== undefined && clusters[i] === undefined)
  if (unreachable >= 0) {
    for (const cluster of clusters) cluster?.close()
    logger.error(`reload of '${file}': no node of pool '${next.pools[unreachable].name}''s cluster answered: keeping the running configuration`, 'reload.ts')
    return false
  }
  const built = next.pools.map((pool, i) => clusters[i] ?? proxy.newServerPool(pool))
  next.pools.forEach((pool, i) => {
    const old = proxy.backends[i]
    const primary = built[i]
    const gate = gateFor(pool, old, primary, logger)
    const backend = reloadedBackend(pool, proxy, primary, gate)
    proxy.replaceBackend(i, pool, backend, primary)
    void gate.then(() => old.close())
    if (pool.preconnect) backend.preconnect()
    const fallback = fallbackServersOf(pool)
    const what = primary instanceof ClusterBackend ? `the cluster of ${primary.masters.length} masters ${primary.masters.join(', ')}` : `${pool.servers.length} servers`
    logger.notice(`reload: pool '${pool.name}' now has ${what}${fallback ? `, handing keys over from ${fallback.length} previous servers` : ''}`, 'reload.ts')
  })
  proxy.config = next
  return true
}
