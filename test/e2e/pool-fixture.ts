// A ketama pool for the pool-change tests: redis-servers (some in the pool, some spare), a
// nutcracker.yml in a temp dir, and twproxy (bin/twproxy.js) or nutcracker in front, each
// process stopped by its PID.
import {spawn, type ChildProcess} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {TWPROXY} from '../support/cli.js'
import {freePort, startRedis, stopPid, tempDir, waitForPort, type RunningServer} from '../support/servers.js'

export interface PoolFixture {
  dir: string
  configFile: string
  proxyPort: number
  proxy: ProxyProcess
  redis: RunningServer[]
  /** "127.0.0.1:PORT" of redis i */
  address(i: number): string
  proxyClient(): Redis
  direct(i: number): Redis
  startProxy(): Promise<ProxyProcess>
  stop(): Promise<void>
}

export interface ProxyProcess {
  pid: number
  child: ChildProcess
  stop(): Promise<void>
}

export function poolYaml(listenPort: number, servers: string[]): string {
  return `# pool under test\nalpha:\n  listen: 127.0.0.1:${listenPort}\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n  timeout: 5000\n  server_connections: 1\n  servers:\n${servers.map((s) => `   - ${s}`).join('\n')}\n`
}

export async function startPoolFixture(options: {total: number; inPool: number; proxy: 'twproxy' | 'nutcracker'}): Promise<PoolFixture> {
  const dir = tempDir('twlab-pool-')
  const redis: RunningServer[] = []
  const clients: Redis[] = []
  for (let i = 0; i < options.total; i++) redis.push(await startRedis())
  const proxyPort = await freePort()
  const statsPort = await freePort()
  const configFile = join(dir, 'nutcracker.yml')
  writeFileSync(configFile, poolYaml(proxyPort, redis.slice(0, options.inPool).map((r, i) => `127.0.0.1:${r.port}:1 s${i + 1}`)))
  const startProxy = async (): Promise<ProxyProcess> => {
    const args = ['-c', configFile, '-s', String(statsPort), '-a', '127.0.0.1', '-o', join(dir, 'proxy.log')]
    const child = options.proxy === 'twproxy'
      ? spawn(process.execPath, [TWPROXY, ...args], {stdio: 'ignore'})
      : spawn('nutcracker', args, {stdio: 'ignore'})
    if (child.pid === undefined) throw new Error(`${options.proxy} did not start`)
    const proc: ProxyProcess = {pid: child.pid, child, stop: () => stopPid(child)}
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${options.proxy} exited (${code}) at start; see ${join(dir, 'proxy.log')}`))))
    try {
      await Promise.race([waitForPort(proxyPort), exited])
    } catch (error) {
      await proc.stop()
      throw error
    }
    exited.catch(() => undefined)
    return proc
  }
  const fixture: PoolFixture = {
    dir,
    configFile,
    proxyPort,
    proxy: await startProxy(),
    redis,
    address: (i) => `127.0.0.1:${redis[i].port}`,
    proxyClient() {
      const client = new Redis({host: '127.0.0.1', port: proxyPort, enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1})
      clients.push(client)
      return client
    },
    direct(i) {
      const client = new Redis({host: '127.0.0.1', port: redis[i].port, maxRetriesPerRequest: 1})
      clients.push(client)
      return client
    },
    startProxy,
    async stop() {
      for (const client of clients) client.disconnect()
      await fixture.proxy.stop()
      await Promise.all(redis.map((r) => r.stop()))
      rmSync(dir, {recursive: true, force: true})
    },
  }
  return fixture
}

/** Writes `count` keys through the proxy: strings (a third with a TTL), hashes and lists. */
export async function preload(client: Redis, prefix: string, count: number): Promise<Map<string, {type: string; value: string; ttl: boolean}>> {
  const keys = new Map<string, {type: string; value: string; ttl: boolean}>()
  const pipeline = client.pipeline()
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`
    const value = `v${i}-${'x'.repeat(i % 50)}`
    if (i % 10 === 7) {
      pipeline.hset(key, 'f', value)
      keys.set(key, {type: 'hash', value, ttl: false})
    } else if (i % 10 === 8) {
      pipeline.rpush(key, value, 'second')
      keys.set(key, {type: 'list', value, ttl: false})
    } else if (i % 3 === 0) {
      pipeline.set(key, value, 'PX', 600_000)
      keys.set(key, {type: 'string', value, ttl: true})
    } else {
      pipeline.set(key, value)
      keys.set(key, {type: 'string', value, ttl: false})
    }
  }
  await pipeline.exec()
  return keys
}

/** The keys whose value or TTL is not as preloaded, read through the proxy. */
export async function missingOrWrong(client: Redis, keys: Map<string, {type: string; value: string; ttl: boolean}>): Promise<string[]> {
  const wrong: string[] = []
  const entries = [...keys.entries()]
  for (let i = 0; i < entries.length; i += 500) {
    const pipeline = client.pipeline()
    const chunk = entries.slice(i, i + 500)
    for (const [key, spec] of chunk) {
      if (spec.type === 'hash') pipeline.hget(key, 'f')
      else if (spec.type === 'list') pipeline.lindex(key, 0)
      else pipeline.get(key)
      pipeline.pttl(key)
    }
    const replies = (await pipeline.exec()) ?? []
    chunk.forEach(([key, spec], j) => {
      const [valueError, value] = replies[2 * j]
      const [, pttl] = replies[2 * j + 1]
      const ttlOk = spec.ttl ? (pttl as number) > 0 && (pttl as number) <= 600_000 : pttl === -1
      if (valueError || value !== spec.value || !ttlOk) wrong.push(key)
    })
  }
  return wrong
}
