// The proxy in front of a pool during a change. twproxy reloads its config on SIGUSR1 (existing
// clients keep their connections); nutcracker cannot reload, so it must be restarted, and keys
// only move once it runs the new config. Which one it is comes from the lab state or from the
// process's own command line.
import {readFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {Redis} from 'ioredis'
import type {ListenAddress, PoolConfig} from '../config/index.js'
import {UserError} from '../errors.js'
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

function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return undefined
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** --pid-file: the pid nutcracker/twproxy wrote with -p. */
export function readPidFile(file: string): number {
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch {
    throw new UserError(`The pid file ${file} cannot be read: pass the proxy's -p file, or its pid with --proxy-pid.`)
  }
  const pid = Number(text)
  if (!Number.isInteger(pid) || pid <= 0) throw new UserError(`The pid file ${file} does not hold a pid: pass the proxy's pid with --proxy-pid.`)
  return pid
}

/** Identifies the proxy running as `pid` by its command line. */
export function proxyFromPid(pid: number): PoolProxy {
  const argv = commandLine(pid)
  if (!argv || !isAlive(pid)) throw new UserError(`No process has pid ${pid}: pass the running proxy's pid with --proxy-pid (or --pid-file).`)
  const text = argv.join(' ')
  if (/twproxy/.test(text)) return {kind: 'twproxy', pid}
  if (/nutcracker/.test(text)) {
    const quoted = argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)).join(' ')
    return {kind: 'nutcracker', pid, restartStep: `kill -TERM ${pid} && ${quoted}`}
  }
  throw new UserError(`Process ${pid} (${argv[0]}) is neither twproxy nor nutcracker: pass the proxy's pid with --proxy-pid.`)
}

function proxyClient(listen: ListenAddress, password: string | undefined): Redis {
  const client = new Redis({
    ...(listen.kind === 'unix' ? {path: listen.path} : {host: listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host, port: listen.port}),
    password,
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    // a twemproxy answers neither INFO nor CLIENT SETINFO
    enableReadyCheck: false,
    disableClientInfo: true,
  })
  client.on('error', () => undefined)
  return client
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

/** Sends SIGUSR1 (twproxy's reload signal). */
export function signalReload(proxy: PoolProxy): void {
  if (proxy.kind !== 'twproxy' || proxy.pid === undefined) return
  try {
    process.kill(proxy.pid, 'SIGUSR1')
  } catch (error) {
    throw new UserError(`twproxy (pid ${proxy.pid}) cannot be signalled: ${(error as Error).message}. Is it still running?`, {cause: error})
  }
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
