// Sentinel groups for the proxy tests: a master and a replica per group (redis-server) and three
// redis-sentinel processes watching every group, on ports the test picks, stopped by PID.
import {type ChildProcess, spawn} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Redis} from 'ioredis'
import {freePort, type RunningServer, sleep, startRedis, stopPid, tempDir, waitForPort} from '../support/servers.js'

export interface SentinelGroup {
  name: string
  master: RunningServer
  replica: RunningServer
}

export interface Sentinels {
  ports: number[]
  groups: SentinelGroup[]
  stop(): Promise<void>
}

/** Polls `probe` until it returns a value other than undefined (bounded by count and time). */
export async function eventually<T>(what: string, limitMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + limitMs
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    await sleep(100)
  }
  throw new Error(`gave up waiting for ${what} after ${limitMs} ms`)
}

export async function sentinelCall<T>(port: number, ...args: string[]): Promise<T> {
  const client = new Redis({port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null})
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.call('SENTINEL', ...args)) as T
  } finally {
    client.disconnect()
  }
}

/** `names.length` groups under three sentinels that have found every replica and each other. */
export async function startSentinels(names: string[], downAfterMs = 1000): Promise<Sentinels> {
  const groups: SentinelGroup[] = []
  for (const name of names) {
    const master = await startRedis()
    const replica = await startRedis({args: ['--replicaof', '127.0.0.1', String(master.port)]})
    groups.push({name, master, replica})
  }
  const children: ChildProcess[] = []
  const dirs: string[] = []
  const ports: number[] = []
  for (let s = 0; s < 3; s++) {
    const port = await freePort()
    const dir = tempDir('twlab-sentinel-')
    const file = join(dir, 'sentinel.conf')
    const lines = [`port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${dir}`]
    for (const group of groups) {
      lines.push(
        `sentinel monitor ${group.name} 127.0.0.1 ${group.master.port} 2`,
        `sentinel down-after-milliseconds ${group.name} ${downAfterMs}`,
        `sentinel failover-timeout ${group.name} 10000`,
        `sentinel parallel-syncs ${group.name} 1`,
      )
    }
    writeFileSync(file, `${lines.join('\n')}\n`)
    children.push(spawn('redis-sentinel', [file], {stdio: 'ignore'}))
    dirs.push(dir)
    ports.push(port)
  }
  const stop = async () => {
    await Promise.all(children.map((child) => stopPid(child)))
    for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
    await Promise.all(groups.flatMap((g) => [g.master.stop(), g.replica.stop()]))
  }
  try {
    for (const port of ports) await waitForPort(port)
    for (const port of ports) {
      for (const group of groups) {
        await eventually(`sentinel ${port} to know ${group.name}'s replica and peers`, 30_000, async () => {
          const replicas = await sentinelCall<unknown[]>(port, 'replicas', group.name)
          const peers = await sentinelCall<unknown[]>(port, 'sentinels', group.name)
          return replicas.length === 1 && peers.length === 2 ? true : undefined
        })
      }
    }
  } catch (error) {
    await stop()
    throw error
  }
  return {ports, groups, stop}
}
