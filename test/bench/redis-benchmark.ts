// What the proxy benchmarks share: redis-benchmark run against a target with the CPU time its
// processes spent, rounds measured in turn (the order rotated each round, so no target always
// runs on a warmer or a quieter machine; within a round each test runs against every target one
// after the other, so the runs a ratio compares are seconds apart), and the table of medians with
// a ratio to a reference.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import net from 'node:net'
import {join} from 'node:path'
import {TWPROXY} from '../support/cli.js'
import {freePort, sleep, waitForPort} from '../support/servers.js'

export interface Sample {
  rps: number
  p50: number
  p99: number
  /** CPU µs per request of the target's processes (0 when it names none) */
  cpu: number
}

export interface BenchTarget {
  name: string
  port: number
  /** the processes whose CPU time is the target's */
  pids: () => number[]
  /** redis-benchmark --cluster */
  cluster?: boolean
  /** redis-benchmark -t tests, upper case */
  tests: string[]
}

export interface BenchSettings {
  clients: number
  keyspace: number
  /** requests per run, by pipeline depth */
  requests: Record<number, number>
  rounds: number
  warmupRequests: number
}

/** samples[pipeline][target][test]: one Sample per round */
export type Samples = Map<number, Map<string, Map<string, Sample[]>>>

const TICKS_PER_SECOND = 100

/** utime + stime of a process, in clock ticks (0 once it is gone). */
function cpuTicks(pid: number): number {
  const file = `/proc/${pid}/stat`
  if (!existsSync(file)) return 0
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** The direct children of a process (--workers: the primary's workers). */
export function childPids(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function runRedisBenchmark(target: BenchTarget, pipeline: number, test: string, requests: number, settings: BenchSettings): Sample {
  const pids = target.pids()
  const before = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0)
  const result = spawnSync('redis-benchmark', [
    '-h', '127.0.0.1', '-p', String(target.port), '-c', String(settings.clients), '-r', String(settings.keyspace), '-n', String(requests),
    '-P', String(pipeline), '-t', test.toLowerCase(), '--csv', ...(target.cluster ? ['--cluster'] : []),
  ], {encoding: 'utf8', timeout: 600_000})
  const ticks = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0) - before
  for (const line of result.stdout.split('\n')) {
    const cells = line.split(',').map((cell) => cell.replace(/"/g, ''))
    // MSET's row is named "MSET (10 keys)"
    if (cells.length < 7 || !(cells[0] === test || cells[0].startsWith(`${test} `))) continue
    return {rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]), cpu: (ticks / TICKS_PER_SECOND) * 1e6 / requests}
  }
  throw new Error(`redis-benchmark gave no ${test} figures on port ${target.port}: ${result.stderr}`)
}

/** The same warm-up for every target, then every pipeline depth in rounds; with the load seen. */
export function measure(targets: BenchTarget[], settings: BenchSettings): {samples: Samples; loads: string[]} {
  const samples: Samples = new Map()
  const loads: string[] = []
  for (const target of targets) {
    process.stderr.write(`warming up ${target.name}...\n`)
    for (const test of target.tests) runRedisBenchmark(target, 1, test, settings.warmupRequests, settings)
  }
  for (const pipeline of [1, 16]) {
    const byTarget = new Map(targets.map((t) => [t.name, new Map(t.tests.map((test) => [test, [] as Sample[]]))]))
    samples.set(pipeline, byTarget)
    const loadBefore = loadavg()[0]
    const tests = [...new Set(targets.flatMap((t) => t.tests))]
    for (let round = 0; round < settings.rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length])
      for (const test of tests) {
        for (const target of order) {
          if (!target.tests.includes(test)) continue
          process.stderr.write(`round ${round + 1}/${settings.rounds}: ${target.name}, pipeline ${pipeline}, ${test}...\n`)
          byTarget.get(target.name)!.get(test)!.push(runRedisBenchmark(target, pipeline, test, settings.requests[pipeline], settings))
        }
      }
    }
    loads.push(`-P ${pipeline}: 1-minute load ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`)
  }
  return {samples, loads}
}

/** Medians per target and test; `compared` targets get their ratio to `reference`, round by round. */
export function printSamples(samples: Samples, reference: string, compared: (target: string) => boolean, ratioHeader: string): void {
  const width = Math.max(14, ratioHeader.length)
  console.log(`${'target'.padEnd(28)} ${'P'.padStart(3)} ${'test'.padEnd(5)} ${'ops/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ` +
    `${'cpu µs/req'.padStart(11)} ${ratioHeader.padStart(width)}  ratio per round`)
  for (const [pipeline, byTarget] of samples) {
    const base = byTarget.get(reference)!
    for (const [target, byTest] of byTarget) {
      for (const [test, runs] of byTest) {
        let ratio = ''
        let perRound = ''
        if (compared(target)) {
          const ratios = runs.map((run, round) => run.rps / base.get(test)![round].rps)
          ratio = median(ratios).toFixed(2)
          perRound = ratios.map((r) => r.toFixed(2)).join(' ')
        }
        console.log(`${target.padEnd(28)} ${String(pipeline).padStart(3)} ${test.padEnd(5)} ` +
          `${median(runs.map((r) => r.rps)).toFixed(0).padStart(10)} ${median(runs.map((r) => r.p50)).toFixed(3).padStart(8)} ` +
          `${median(runs.map((r) => r.p99)).toFixed(3).padStart(8)} ${median(runs.map((r) => r.cpu)).toFixed(2).padStart(11)} ` +
          `${ratio.padStart(width)}  ${perRound}`)
      }
    }
  }
}

/** twproxy on `config` (written to `dir`), listening on `port`, with its own stats port and log. */
/** The benchmarks' nutcracker-style pool: `servers` behind 127.0.0.1:port, ketama over fnv1a_64. */
export function ketamaPool(port: number, servers: Array<{port: number}>): string {
  return `bench:\n  listen: 127.0.0.1:${port}\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n` +
    `  servers:\n${servers.map((server, i) => `   - 127.0.0.1:${server.port}:1 server${i + 1}\n`).join('')}`
}

export async function startTwproxy(dir: string, port: number, config: string, options: {args?: string[]; env?: NodeJS.ProcessEnv} = {}): Promise<ChildProcess> {
  const file = join(dir, `twproxy-${port}.yml`)
  writeFileSync(file, config)
  const child = spawn(process.execPath, [TWPROXY, '-c', file, '-s', String(await freePort()), '-a', '127.0.0.1', '-o', join(dir, `twproxy-${port}.log`), ...(options.args ?? [])],
    {stdio: 'ignore', env: {...process.env, ...options.env}})
  await waitForPort(port)
  return child
}

/** Resident memory of a process, in KiB (/proc). */
export function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])
}

/**
 * The process's own resident memory, in KiB: its anonymous pages (heap, stacks), without the
 * pages of its program file, which every process running that program shares (/proc RssAnon).
 */
export function privateKiB(pid: number): number {
  return Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])
}

export interface IdleMemory {
  /** the process before any client, MiB */
  baseMiB: number
  /** of which its own (anonymous) pages, MiB: the rest is its program file, shared */
  basePrivateMiB: number
  /** what each idle client added, bytes */
  perClient: number
  clients: number
}

/** RSS of a freshly started proxy, then with `count` idle clients connected (opened 500 at a time). */
export async function idleClientMemory(pid: number, port: number, count: number): Promise<IdleMemory> {
  return clientMemory(pid, port, count, false)
}

/**
 * The same with clients that each sent one PING and read its reply before going idle: what a
 * client costs once it has been served (its socket and state made), not only accepted.
 */
export async function servedClientMemory(pid: number, port: number, count: number): Promise<IdleMemory> {
  return clientMemory(pid, port, count, true)
}

const PING = Buffer.from('*1\r\n$4\r\nPING\r\n')

function openClient(port: number, ping: boolean): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port}, () => {
      if (!ping) {
        resolve(socket)
        return
      }
      socket.once('data', (reply) => {
        if (reply.toString('latin1') === '+PONG\r\n') resolve(socket)
        else reject(new Error(`PING answered ${JSON.stringify(reply.toString('latin1'))}`))
      })
      socket.write(PING)
    })
    socket.once('error', reject)
  })
}

/**
 * How long a process stays idle before its size is read, before the clients connect and after.
 * twproxy's idle clients give up their sockets within a second, and V8 hands memory no longer
 * used back at its next full collection, which an idle process runs by itself some seconds later
 * (its memory reducer): both figures are steady states, so neither the start-up's garbage nor the
 * clients' is counted, nor freed memory credited to the clients.
 */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 15_000)

/**
 * Waits SETTLE_MS, then on until the resident size has stopped falling for five seconds (at most a
 * minute more): V8 gives freed memory back when its memory reducer runs, which a busy machine can
 * put off past any fixed wait. Returns the settled size, KiB.
 */
async function settledRssKiB(pid: number): Promise<number> {
  await sleep(SETTLE_MS)
  let lowest = rssKiB(pid)
  let steadySince = Date.now()
  const deadline = Date.now() + 60_000
  for (let poll = 0; poll < 120 && Date.now() < deadline && Date.now() - steadySince < 5000; poll++) {
    await sleep(500)
    const now = rssKiB(pid)
    if (now < lowest - 64) {
      lowest = now
      steadySince = Date.now()
    }
  }
  return Math.min(lowest, rssKiB(pid))
}

async function clientMemory(pid: number, port: number, count: number, ping: boolean): Promise<IdleMemory> {
  const base = await settledRssKiB(pid)
  const basePrivate = privateKiB(pid)
  const sockets: net.Socket[] = []
  try {
    for (let opened = 0; opened < count; opened += 500) {
      sockets.push(...await Promise.all(Array.from({length: Math.min(500, count - opened)}, () => openClient(port, ping))))
    }
    const loaded = await settledRssKiB(pid)
    return {baseMiB: base / 1024, basePrivateMiB: basePrivate / 1024, perClient: ((loaded - base) * 1024) / count, clients: count}
  } finally {
    for (const socket of sockets) socket.destroy()
  }
}
