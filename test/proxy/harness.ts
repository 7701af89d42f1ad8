// Shared by the proxy tests: twproxy started as a process (as users run it), raw TCP exchanges
// that record every byte and whether the proxy closed the connection, and a twin setup where the
// real nutcracker and twproxy each serve the same config over their own redis-servers, so the same
// requests can be sent to both and the replies compared byte for byte.
import {type ChildProcess, spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import net from 'node:net'
import {join} from 'node:path'
import {TWPROXY} from '../support/cli.js'
import {
  freePort, type RunningServer, startMemcached, startNutcracker, startRedis, stopPid, tempDir, waitForPort,
} from '../support/servers.js'
import {rmSync} from 'node:fs'

export interface Twproxy {
  pid: number
  child: ChildProcess
  statsPort: number
  dir: string
  configFile: string
  logFile: string
  stop(): Promise<void>
}

const started = new Set<Twproxy>()

export async function startTwproxy(config: string, waitPort: number, args: string[] = []): Promise<Twproxy> {
  const dir = tempDir('twproxy-test-')
  const configFile = join(dir, 'nutcracker.yml')
  const logFile = join(dir, 'twproxy.log')
  writeFileSync(configFile, config)
  const statsPort = await freePort()
  const child = spawn(process.execPath, [TWPROXY, '-c', configFile, '-s', String(statsPort), '-a', '127.0.0.1', '-o', logFile, ...args], {stdio: 'ignore'})
  const proxy: Twproxy = {
    pid: child.pid!, child, statsPort, dir, configFile, logFile,
    async stop() {
      started.delete(proxy)
      await stopPid(child)
      rmSync(dir, {recursive: true, force: true})
    },
  }
  started.add(proxy)
  try {
    await waitForPort(waitPort)
    await waitForPort(statsPort)
  } catch (error) {
    await proxy.stop()
    throw error
  }
  return proxy
}

export async function stopTwproxies(): Promise<void> {
  await Promise.all([...started].map((proxy) => proxy.stop()))
}

export interface Exchange {
  data: Buffer
  closed: boolean
}

/**
 * Sends `request` on a new connection and collects the reply bytes until the connection is
 * closed, the bytes received end with `until`, or `quietMs` pass with nothing new (bounded by
 * `maxMs` overall).
 */
export function exchange(port: number, request: Buffer | string, options: {until?: Buffer | string; quietMs?: number; maxMs?: number; host?: string} = {}): Promise<Exchange> {
  const until = options.until === undefined ? undefined : Buffer.from(options.until)
  const quietMs = options.quietMs ?? 300
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let closed = false
    let finished = false
    const socket = net.connect({host: options.host ?? '127.0.0.1', port})
    const finish = () => {
      if (finished) return
      finished = true
      clearTimeout(quiet)
      clearTimeout(overall)
      socket.destroy()
      resolve({data: Buffer.concat(chunks), closed})
    }
    let quiet = setTimeout(finish, quietMs + 500)
    const overall = setTimeout(finish, options.maxMs ?? 5000)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      clearTimeout(quiet)
      quiet = setTimeout(finish, quietMs)
      if (until !== undefined) {
        const all = Buffer.concat(chunks)
        if (all.length >= until.length && all.subarray(all.length - until.length).equals(until)) finish()
      }
    })
    socket.on('end', () => {
      closed = true
      finish()
    })
    socket.on('error', () => {
      closed = true
      finish()
    })
    socket.on('close', () => {
      closed = true
      finish()
    })
  })
}

/** A RESP request from its arguments. */
export function resp(...args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const arg of args) {
    const bytes = Buffer.from(arg)
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

export interface Twin {
  nutcracker: RunningServer & {statsPort: number}
  twproxy: Twproxy
  /** the listen port of each pool, by pool name, for nutcracker and twproxy */
  ports: {nutcracker: Record<string, number>; twproxy: Record<string, number>}
  backends: {nutcracker: RunningServer[]; twproxy: RunningServer[]}
  stop(): Promise<void>
}

export interface TwinPool {
  name: string
  /** pool keys other than listen and servers, as yaml lines ("redis: true") */
  settings: string[]
  /** how many backends */
  servers: number
  memcache?: boolean
  /** server entry suffix after host:port:weight, e.g. " name" */
  names?: string[]
  /** extra redis-server arguments (e.g. --requirepass) */
  redisArgs?: string[]
}

/** nutcracker and twproxy with the same pools, each over its own fresh backends. */
export async function startTwin(pools: TwinPool[], twproxyArgs: string[] = []): Promise<Twin> {
  const backends = {nutcracker: [] as RunningServer[], twproxy: [] as RunningServer[]}
  const ports = {nutcracker: {} as Record<string, number>, twproxy: {} as Record<string, number>}
  const configs = {nutcracker: '', twproxy: ''}
  for (const side of ['nutcracker', 'twproxy'] as const) {
    for (const pool of pools) {
      const servers: RunningServer[] = []
      for (let i = 0; i < pool.servers; i++) servers.push(pool.memcache ? await startMemcached() : await startRedis({args: pool.redisArgs}))
      backends[side].push(...servers)
      const port = await freePort()
      ports[side][pool.name] = port
      configs[side] += `${pool.name}:\n  listen: 127.0.0.1:${port}\n${pool.settings.map((s) => `  ${s}\n`).join('')}  servers:\n` +
        servers.map((s, i) => `   - 127.0.0.1:${s.port}:1${pool.names?.[i] ?? ` server${i + 1}`}\n`).join('')
    }
  }
  const firstPool = pools[0].name
  const nutcracker = await startNutcracker({config: configs.nutcracker, waitPort: ports.nutcracker[firstPool]})
  const twproxy = await startTwproxy(configs.twproxy, ports.twproxy[firstPool], twproxyArgs)
  return {
    nutcracker, twproxy, ports, backends,
    async stop() {
      await Promise.all([nutcracker.stop(), twproxy.stop(), ...backends.nutcracker.map((b) => b.stop()), ...backends.twproxy.map((b) => b.stop())])
    },
  }
}

/** Sends the same request to both proxies of a twin (same pool) and returns both exchanges. */
export async function both(twin: Twin, pool: string, request: Buffer | string, options: Parameters<typeof exchange>[2] = {}): Promise<{nutcracker: Exchange; twproxy: Exchange}> {
  const [nutcracker, twproxy] = await Promise.all([
    exchange(twin.ports.nutcracker[pool], request, options),
    exchange(twin.ports.twproxy[pool], request, options),
  ])
  return {nutcracker, twproxy}
}

/** The stats document of a stats port. */
export async function readStats(port: number): Promise<string> {
  // the stats server writes its document and closes: wait for the close, not for a quiet moment
  // (a proxy busy accepting thousands of connections can take over a second to answer)
  const result = await exchange(port, '', {quietMs: 10_000, maxMs: 10_000})
  return result.data.toString()
}

export {waitForPort}
