// twproxy's config reload (SIGUSR1; nutcracker has no reload and ignores that signal). Every
// pool gets a new backend built from the file: new requests go to it at once, existing client
// connections stay open, and requests already sent to the old backend finish there; the new one
// holds requests back until the old one has answered everything, then the old one is closed.
// What a reload cannot change (the set of pools, where they listen, redis or memcache, the
// client password) needs a restart: then nothing is changed and the reason is logged.
// A pool that moves onto, off or between Redis Clusters (the cut-over of a migration) swaps as
// soon as the new cluster's slot map is read, and its gate also waits for the keys of the
// requests in flight at the swap to be copied to their new owners (cluster-cutover.ts).
import {checkConfigFile} from '../../config/check.js'
import {commandKeysOf, fallbackServersOf, listenerTlsOf, redisUserOf} from '../../config/extension-keys/index.js'
import {formatProblem} from '../../config/problems.js'
import type {NutcrackerConfig, PoolConfig} from '../../config/types.js'
import {KeyPlacer} from '../../hashing/index.js'
import type {PoolBackend} from '../backend.js'
import {copyInFlightKeys, inFlightKeys, needsKeyCopy} from './cluster-cutover.js'
import type {Logger} from '../cli/log.js'
import {loadBackendsFor, type Proxy} from '../proxy.js'
import {ReloadedBackend, type Fallback, type ServerGate} from './reloaded-backend.js'
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
    if (commandKeysOf(a) !== commandKeysOf(b)) return `pool ${b.name}: command_keys changed`
    if (redisUserOf(a) !== redisUserOf(b)) return `pool ${b.name}: redis_user changed`
    if (JSON.stringify(listenerTlsOf(a)) !== JSON.stringify(listenerTlsOf(b))) return `pool ${b.name}: the listener's tls_ keys changed`
  }
  return undefined
}

/** Resolves when `promise` does, or after `ms` at the latest (the timer does not outlive it). */
async function bounded(promise: Promise<void>, ms: number): Promise<void> {
  const limit = new AbortController()
  await Promise.race([promise, sleep(ms, undefined, {signal: limit.signal}).catch(() => undefined)])
  limit.abort()
}

/** Resolves once `check` holds (bounded). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + DRAIN_LIMIT_MS
  for (let spin = 0; spin < 100_000 && Date.now() < deadline; spin++) {
    if (check()) return
    await sleep(spin < 20 ? 0 : 1)
  }
}

/** Resolves once the backend has no request in flight (bounded). */
function idle(backend: PoolBackend): Promise<void> {
  return until(() => backend.idle)
}

/** Everything sent to `backend` is answered (what it holds at a gate is forwarded first). */
async function drained(backend: PoolBackend): Promise<void> {
  await bounded(backend.whenForwarded(), DRAIN_LIMIT_MS)
  await idle(backend)
}

function fallbackFor(pool: PoolConfig, proxy: Proxy): Fallback | undefined {
  const servers = fallbackServersOf(pool)
  if (!pool.redis || servers === undefined || pool.distribution === 'random') return undefined
  const placer = new KeyPlacer({hash: pool.hash, hashTag: pool.hashTag, distribution: pool.distribution, servers})
  return {pool: proxy.newServerPool({...pool, servers, preconnect: false}), servers, placer}
}

/**
 * The gate of each server of a new backend that routes by its server list: the old backend is
 * idle at that server (so a hung server holds back only its own requests). None when a cluster
 * is involved: then the keys in flight are copied, and the whole pool waits for that.
 */
function serverGateFor(old: PoolBackend, primary: PoolBackend): ServerGate | undefined {
  if (needsKeyCopy(old, primary) || !primary.routesByServerList) return undefined
  return (index) => {
    const address = primary.serverAt(index)
    return address === undefined ? drained(old) : until(() => old.idleAt(address))
  }
}

function reloadedBackend(pool: PoolConfig, proxy: Proxy, primary: PoolBackend, gate: Promise<void>, serverGate?: ServerGate): ReloadedBackend {
  // a backend that places keys by a rule of its own (a cluster) moves its own keys: only the gate applies
  if (!primary.routesByServerList) return new ReloadedBackend(primary, undefined, undefined, gate)
  const placer = new KeyPlacer({hash: pool.hash, hashTag: pool.hashTag, distribution: pool.distribution, servers: pool.servers})
  return new ReloadedBackend(primary, fallbackFor(pool, proxy), {
    servers: pool.servers,
    placer,
    redisDb: pool.redisDb,
    redisAuth: pool.redisAuth,
    timeoutMs: pool.timeout > 0 ? Math.max(pool.timeout, 1000) : 10_000,
  }, gate, serverGate)
}

/**
 * At start-up: a pool whose file still has fallback_servers (the proxy was restarted in the
 * middle of a pool change) hands moving keys over from the start, as after a reload.
 */
export function applyStartupFallbacks(proxy: Proxy): void {
  proxy.config.pools.forEach((pool, i) => {
    if (fallbackServersOf(pool) === undefined || !pool.redis) return
    const primary = proxy.pools[i]
    if (!primary.routesByServerList) return
    proxy.replaceBackend(i, reloadedBackend(pool, proxy, primary, Promise.resolve()), primary)
  })
}

/**
 * The gate of a pool's new backend: the old backend has answered everything it was sent, then
 * (when a cluster is involved) the keys in flight at the swap are copied to their new owners.
 */
function gateFor(pool: PoolConfig, old: PoolBackend, primary: PoolBackend, logger: Logger): Promise<void> {
  if (!needsKeyCopy(old, primary)) return drained(old)
  const keys = inFlightKeys(old)
  const closedAt = Date.now()
  const timeoutMs = pool.timeout > 0 ? Math.max(pool.timeout, 1000) : 5000
  const copy = drained(old).then(() => copyInFlightKeys(keys, primary, {targetDb: pool.redisDb, auth: pool.redisAuth, user: redisUserOf(pool), timeoutMs}))
  return Promise.race([copy, sleep(2 * DRAIN_LIMIT_MS).then(() => undefined)]).then((result) => {
    const copied = result === undefined
      ? `${keys.length} in-flight keys not all copied in time`
      : `${result.copied} in-flight keys copied, ${result.deleted} deleted${result.failed > 0 ? `, ${result.failed} failed (${result.firstError})` : ''}`
    const line = `reload: pool '${pool.name}' gate was closed for ${Date.now() - closedAt} ms (${copied})`
    if (result === undefined || result.failed > 0) logger.error(line, 'reload.ts')
    else logger.notice(line, 'reload.ts')
  })
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

/** The new file, when it is valid and a reload can apply it; otherwise undefined, and why is logged. */
async function readNextConfig(proxy: Proxy, file: string, logger: Logger): Promise<NutcrackerConfig | undefined> {
  const check = await checkConfigFile(file, {extensions: true})
  if (!check.ok || check.config === undefined) {
    for (const problem of check.problems) logger.error(`reload: ${formatProblem(problem)}`, 'reload.ts')
    logger.error(`reload of '${file}' failed: keeping the running configuration`, 'reload.ts')
    return undefined
  }
  const why = restartNeeded(proxy.config, check.config)
  if (why !== undefined) {
    logger.error(`reload of '${file}': ${why}, which needs a restart: keeping the running configuration`, 'reload.ts')
    return undefined
  }
  return check.config
}

/**
 * Every pool's new backend, started (a cluster's slot map read) before any pool swaps, so a
 * backend that cannot start leaves the whole running configuration in place: then undefined,
 * and why is logged.
 */
async function startedBackends(next: NutcrackerConfig, proxy: Proxy, file: string, logger: Logger): Promise<PoolBackend[] | undefined> {
  await loadBackendsFor(next)
  const built = next.pools.map((pool) => proxy.newBackend(pool))
  const failures = await Promise.all(built.map((backend) => backend.start()))
  const failure = failures.find((why) => why !== undefined)
  if (failure === undefined) return built
  for (const backend of built) proxy.discardBackend(backend)
  logger.error(`reload of '${file}': ${failure}: keeping the running configuration`, 'reload.ts')
  return undefined
}

/** Pool i of `next` swaps to `primary`; the old backend closes once the new one's gate opens. */
function swapPool(proxy: Proxy, pool: PoolConfig, i: number, primary: PoolBackend, logger: Logger): void {
  const old = proxy.backends[i]
  const gate = gateFor(pool, old, primary, logger)
  const backend = reloadedBackend(pool, proxy, primary, gate, serverGateFor(old, primary))
  proxy.replaceBackend(i, backend, primary)
  void gate.then(() => old.close())
  if (pool.preconnect) backend.preconnect()
  const fallback = fallbackServersOf(pool)
  logger.notice(`reload: pool '${pool.name}' now has ${primary.describe()}${fallback ? `, handing keys over from ${fallback.length} previous servers` : ''}`, 'reload.ts')
}

async function reloadNow(proxy: Proxy, file: string, logger: Logger): Promise<boolean> {
  const next = await readNextConfig(proxy, file, logger)
  if (next === undefined) return false
  const built = await startedBackends(next, proxy, file, logger)
  if (built === undefined) return false
  next.pools.forEach((pool, i) => swapPool(proxy, pool, i, built[i], logger))
  proxy.config = next
  return true
}
