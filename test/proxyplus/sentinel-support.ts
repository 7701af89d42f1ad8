// Sentinel groups for the proxy tests: a master and a replica per group (redis-server) and three
// redis-sentinel processes watching every group, on ports the test picks, stopped by PID.
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
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
  /** each sentinel's log file (readable until stop) */
  logFiles: string[]
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

/** `names.length` groups, each replica synced with its master, under three sentinels that have found every replica and each other. */
export async function startSentinels(names: string[], downAfterMs = 1000): Promise<Sentinels> {
  const groups: SentinelGroup[] = []
  for (const name of names) {
    // Redis 7 waits 5 s (repl-diskless-sync-delay) before the first full sync; until it is done
    // the replica holds nothing, and promoting it would drop every write the master acknowledged
    const master = await startRedis({args: ['--repl-diskless-sync-delay', '0']})
    const replica = await startRedis({args: ['--replicaof', '127.0.0.1', String(master.port)]})
    groups.push({name, master, replica})
  }
  const children: ChildProcess[] = []
  const dirs: string[] = []
  const ports: number[] = []
  const logFiles: string[] = []
  for (let s = 0; s < 3; s++) {
    const port = await freePort()
    const dir = tempDir('twlab-sentinel-')
    const file = join(dir, 'sentinel.conf')
    const logFile = join(dir, 'sentinel.log')
    const lines = [`port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${dir}`, `logfile ${logFile}`]
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
    logFiles.push(logFile)
  }
  const stop = async () => {
    await Promise.all(children.map((child) => stopPid(child)))
    for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
    await Promise.all(groups.flatMap((g) => [g.master.stop(), g.replica.stop()]))
  }
  try {
    for (const group of groups) await waitInSync(group)
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
  return {ports, groups, logFiles, stop}
}

/** INFO replication of one server as field -> value. */
export async function replicationInfo(port: number): Promise<Map<string, string>> {
  const client = new Redis({port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null})
  client.on('error', () => {})
  try {
    await client.connect()
    const text = await client.info('replication')
    return new Map(text.split(/\r?\n/).filter((line) => line.includes(':')).map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon), line.slice(colon + 1)]
    }))
  } finally {
    client.disconnect()
  }
}

/** Waits until the group's replica has finished its first sync and holds all the master has. */
export async function waitInSync(group: SentinelGroup, limitMs = 30_000): Promise<void> {
  await eventually(`${group.name}'s replica to sync with its master`, limitMs, async () => {
    const [master, replica] = await Promise.all([replicationInfo(group.master.port), replicationInfo(group.replica.port)])
    const up = replica.get('master_link_status') === 'up'
    return up && replica.get('slave_repl_offset') === master.get('master_repl_offset') ? true : undefined
  })
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/**
 * Msec since epoch of the earliest "+switch-master <name> ..." line in the sentinels' logs
 * ("<pid>:X 22 Nov 2026 01:10:11.123 # +switch-master alpha ..."), or undefined.
 */
export function switchMasterTime(logFiles: string[], name: string): number | undefined {
  const pattern = new RegExp(`^\\d+:X (\\d+) (\\w{3}) (\\d{4}) (\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) # \\+switch-master ${name} `, 'm')
  let earliest: number | undefined
  for (const file of logFiles) {
    const match = pattern.exec(readFileSync(file, 'utf8'))
    if (match === null) continue
    const [, day, month, year, h, m, s, ms] = match
    // sentinel logs local time, as the proxy's log does
    const time = new Date(Number(year), MONTHS.indexOf(month), Number(day), Number(h), Number(m), Number(s), Number(ms)).getTime()
    if (earliest === undefined || time < earliest) earliest = time
  }
  return earliest
}
