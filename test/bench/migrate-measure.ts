// What the migrate benchmarks measure with: a command timed with its CPU time (bash `times`),
// the servers' CPU (INFO cpu) and command counts (INFO commandstats), keys on a cluster, the load
// average each figure was taken under, and medians of rounds.
import {spawn} from 'node:child_process'
import {loadavg} from 'node:os'
import {Redis} from 'ioredis'
import type {TestCluster} from '../migrate/cluster-support.js'

export interface Timed {
  code: number | null
  stdout: string
  /** user + system CPU seconds of the command and its children */
  cpuSeconds: number
}

/** Runs a command under bash, whose `times` reports the CPU time the command used. */
export function runTimed(command: string, args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', '"$0" "$@" 2>/dev/null; code=$?; times >&2; exit $code', command, ...args],
      {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => {
      // `times`: the shell's own user and system time, then its children's.
      const children = stderr.trim().split('\n').at(-1) ?? ''
      const cpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0)
      resolve({code, stdout, cpuSeconds})
    })
  })
}

/** CPU seconds (user + system) the servers have used so far. */
export async function serverCpu(ports: number[]): Promise<number> {
  let total = 0
  for (const port of ports) {
    const client = new Redis({host: '127.0.0.1', port})
    const info = await client.info('cpu')
    client.disconnect()
    for (const field of ['used_cpu_user', 'used_cpu_sys']) total += Number(new RegExp(`${field}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  }
  return total
}

/** Calls and microseconds per command (INFO commandstats) summed over the servers. */
export async function commandStats(ports: number[]): Promise<Map<string, {calls: number; usec: number}>> {
  const stats = new Map<string, {calls: number; usec: number}>()
  for (const port of ports) {
    const client = new Redis({host: '127.0.0.1', port})
    const info = await client.info('commandstats')
    client.disconnect()
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      const entry = stats.get(m[1]) ?? {calls: 0, usec: 0}
      entry.calls += Number(m[2])
      entry.usec += Number(m[3])
      stats.set(m[1], entry)
    }
  }
  return stats
}

/** What `after` adds to `before` (commandStats), the busiest commands first, as one line. */
export function commandStatsDelta(before: Map<string, {calls: number; usec: number}>, after: Map<string, {calls: number; usec: number}>, top = 6): string {
  const rows = [...after].map(([name, a]) => {
    const b = before.get(name) ?? {calls: 0, usec: 0}
    return {name, calls: a.calls - b.calls, usec: a.usec - b.usec}
  }).filter((r) => r.calls > 0).sort((x, y) => y.usec - x.usec).slice(0, top)
  return rows.map((r) => `${r.name} ${r.calls} calls ${(r.usec / 1e6).toFixed(2)} s`).join(', ')
}

export function cpuPerKey(toolSeconds: number, serverSeconds: number, keys: number): string {
  const us = (seconds: number) => ((seconds / Math.max(keys, 1)) * 1e6).toFixed(1)
  return `CPU ${us(toolSeconds + serverSeconds)} us/key (tool ${us(toolSeconds)}, servers ${us(serverSeconds)})`
}

export function load(): string {
  return loadavg().map((n) => n.toFixed(1)).join(' ')
}

export function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9
}

export async function clusterKeys(cluster: TestCluster): Promise<number> {
  let total = 0
  for (const master of cluster.masters) {
    const client = new Redis({host: '127.0.0.1', port: master.port})
    total += await client.dbsize()
    client.disconnect()
  }
  return total
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
