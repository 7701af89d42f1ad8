// The proxy in front of a pool during a change. twproxy reloads its config on SIGUSR1 (existing
// clients keep their connections); nutcracker cannot reload, so it must be restarted, and keys
// only move once it runs the new config. Which one it is comes from the lab state or from the
// process's own command line.
import {randomBytes} from 'node:crypto'
import type {Redis} from 'ioredis'
import type {ListenAddress, PoolConfig} from '../config/index.js'
import {UserError} from '../errors.js'
import {createClient} from '../targets/client-factory.js'
import {findProxyProcess, reloadTwproxy, shellWords} from '../targets/proxy-process.js'
import type {PoolServerClients} from './clients.js'
import type {MovePlacement} from './plan.js'
import {setTimeout as sleep} from 'node:timers/promises'

export type ProxyKind = 'twproxy' | 'nutcracker' | 'none'

export interface PoolProxy {
  kind: ProxyKind
  pid?: number
  /** how to restart it, for nutcracker */
  restartStep?: string
}

/** Identifies the proxy running as `pid` by its command line. */
export function proxyFromPid(pid: number): PoolProxy {
  const running = findProxyProcess(pid)
  if (!running) throw new UserError(`No process has pid ${pid}: pass the running proxy's pid with --proxy-pid (or --pid-file).`)
  if (running.program === 'twproxy') return {kind: 'twproxy', pid}
  if (running.program === 'nutcracker') return {kind: 'nutcracker', pid, restartStep: `kill -TERM ${pid} && ${shellWords(running.argv)}`}
  throw new UserError(`Process ${pid} (${running.argv[0]}) is neither twproxy nor nutcracker: pass the proxy's pid with --proxy-pid.`)
}

/** The proxy's own port, to write through it as clients do. */
function proxyClient(listen: ListenAddress, password: string | undefined): Redis {
  const endpoint = listen.kind === 'unix' ? {path: listen.path} : {host: listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host, port: listen.port}
  return createClient(endpoint, {policy: 'probe', password, proxy: true})
}

/** A key whose owner differs between the old and the new list. */
function probeKey(placement: MovePlacement): string {
  const base = `twlab:pool-reload-probe:${randomBytes(6).toString('hex')}`
  for (let i = 0; i < 100_000; i++) {
    const key = `${base}:${i}`
    if (placement.oldOwner(key).address !== placement.newOwner(key).address) return key
  }
  throw new Error('no key changes owner between the two server lists')
}

/** Sends twproxy its reload signal; other proxies have none. */
export function signalReload(proxy: PoolProxy): void {
  if (proxy.kind === 'twproxy' && proxy.pid !== undefined) reloadTwproxy(proxy.pid)
}

/**
 * Tells twproxy to reload and waits until it routes by the new list: a probe key that changes
 * owner is written through the proxy until it lands on its new owner. Only then may keys move,
 * or a write routed the old way could land behind the move.
 */
export async function reloadAndVerify(proxy: PoolProxy, pool: PoolConfig, placement: MovePlacement, clients: PoolServerClients, password?: string, timeoutMs = 10_000): Promise<void> {
  signalReload(proxy)
  const key = probeKey(placement)
  const oldOwner = clients.get(placement.oldOwner(key))
  const newOwner = clients.get(placement.newOwner(key))
  const client = proxyClient(pool.listen, password ?? pool.redisAuth)
  const deadline = Date.now() + timeoutMs
  try {
    for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
      try {
        await client.set(key, '1', 'PX', 60_000)
        if ((await newOwner.exists(key)) === 1) return
      } catch {
        // the proxy may be between configs for a moment; try again
      }
      // twproxy reloads within a few ms of the signal: look again soon
      await sleep(20)
    }
    throw new UserError(`twproxy (pid ${proxy.pid}) did not start routing by the new servers within ${timeoutMs / 1000} s of SIGUSR1: check its log, then run the same command again.`)
  } finally {
    await Promise.allSettled([oldOwner.del(key), newOwner.del(key)])
    client.disconnect()
  }
}
